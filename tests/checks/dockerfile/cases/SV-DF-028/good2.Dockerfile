FROM rockylinux:9
RUN dnf install -y httpd-2.4.57 /tmp/x.rpm && dnf clean all

FROM rockylinux:9
# expect
RUN dnf install -y httpd-2.4.57 mod_ssl && dnf clean all

FROM rockylinux:9
RUN dnf install -y httpd && dnf clean all
RUN microdnf install -y x && rm -rf /var/cache/yum

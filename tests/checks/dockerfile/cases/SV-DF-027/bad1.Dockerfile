FROM rockylinux:9
# expect
RUN dnf install -y httpd

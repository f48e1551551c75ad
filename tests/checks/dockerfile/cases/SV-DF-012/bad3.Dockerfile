FROM rockylinux:9
# expect
RUN rpm -i --nosignature /tmp/x.rpm
# expect
RUN dnf install -y --nogpgcheck x && dnf clean all

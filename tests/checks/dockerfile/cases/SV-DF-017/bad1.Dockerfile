FROM debian:12
# expect
COPY id_rsa /root/.ssh/id_rsa

FROM debian:12
COPY id_rsa.pub /root/.ssh/authorized_keys
COPY .env.example /app/
COPY certs/ca.pem /usr/local/share/ca-certificates/

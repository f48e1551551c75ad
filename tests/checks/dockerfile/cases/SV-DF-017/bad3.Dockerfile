FROM python:3.12
# expect
ADD config/.pypirc /root/
# expect
COPY certs/server-key.pem /etc/ssl/private/

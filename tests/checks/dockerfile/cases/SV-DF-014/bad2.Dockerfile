FROM debian:12
# expect
EXPOSE 9000-8000/tcp
# expect
EXPOSE 80/http

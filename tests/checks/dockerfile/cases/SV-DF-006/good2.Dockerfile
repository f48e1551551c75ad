FROM alpine:3.20
COPY install.sh /tmp/

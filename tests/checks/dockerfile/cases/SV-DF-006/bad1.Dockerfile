FROM alpine:3.20
# expect
ADD https://example.com/install.sh /tmp/

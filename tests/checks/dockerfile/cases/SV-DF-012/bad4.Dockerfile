FROM alpine:3.20
# expect
RUN apk add --allow-untrusted /tmp/x.apk

FROM alpine:3.20
# expect
RUN apk add --no-cache -t .deps curl

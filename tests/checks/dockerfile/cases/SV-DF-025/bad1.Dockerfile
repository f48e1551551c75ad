FROM alpine:3.20
# expect
RUN apk update && apk add curl

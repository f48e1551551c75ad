FROM alpine:3.20
# expect
RUN apk add --no-cache curl=8.9.1-r0 wget=1.24.5-r0

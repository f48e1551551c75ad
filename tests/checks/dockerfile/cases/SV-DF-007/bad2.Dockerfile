FROM alpine:3.20
# expect
ADD ["src/", "/app/src/"]

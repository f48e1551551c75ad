FROM golang:1.22
# expect
COPY --from=1 /a /b
FROM alpine:3.20

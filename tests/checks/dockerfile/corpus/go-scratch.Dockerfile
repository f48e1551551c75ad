# concepts: root-user, healthcheck
FROM golang:1.22 AS builder
WORKDIR /go/src/app
COPY . .
RUN go build -o /app .
FROM scratch
COPY --from=builder /app /app
ENTRYPOINT ["/app"]

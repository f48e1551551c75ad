FROM golang:1.22 AS build
RUN go build
FROM gcr.io/distroless/static:nonroot
COPY --from=build /out /app

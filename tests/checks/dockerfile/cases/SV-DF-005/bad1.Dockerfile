FROM golang:1.22 AS build
# expect
COPY --from=biuld /out /out

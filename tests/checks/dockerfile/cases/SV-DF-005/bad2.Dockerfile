FROM golang:1.22 AS build
# expect
COPY --from=build /a /b

FROM golang:1.22 AS build
FROM alpine:3.20
COPY --from=build /out /out
COPY --from=0 /out /out2
COPY --from=nginx:1.27 /etc/nginx /etc/nginx

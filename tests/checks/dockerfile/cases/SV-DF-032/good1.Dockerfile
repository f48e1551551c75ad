FROM debian:12
LABEL org.opencontainers.image.authors="Jane <jane@example.com>"

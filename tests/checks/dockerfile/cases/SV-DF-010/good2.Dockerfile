FROM debian:12
HEALTHCHECK CMD curl -f http://localhost:8080/ || exit 1
RUN curl -f http://localhost:8080/health

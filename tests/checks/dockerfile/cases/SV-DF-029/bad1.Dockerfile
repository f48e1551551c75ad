FROM nginx:1.27 AS base
HEALTHCHECK CMD curl -f http://localhost/ || exit 1
# expect
FROM debian:12

FROM debian:12 AS base
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
FROM debian:12
# a new stage from an image starts again with /bin/sh -c
# expect
RUN ps aux | grep app

FROM debian:12 AS base
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN curl -fsSL https://example.com/app.tgz | tar -xz -C /opt
FROM base
# the SHELL is inherited from the base stage
RUN dpkg -l | grep ssl
SHELL ["/bin/bash", "-euxo", "pipefail", "-c"]
RUN ps aux | grep app

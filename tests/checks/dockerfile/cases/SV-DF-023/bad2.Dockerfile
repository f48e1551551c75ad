FROM debian:12
# a cleanup before the install does not count
# expect
RUN rm -rf /var/lib/apt/lists/* && apt-get update && apt-get install -y --no-install-recommends curl
# a cache mount of the package archives does not cover the lists
# expect
RUN --mount=type=cache,target=/var/cache/apt apt-get update && apt-get install -y --no-install-recommends git

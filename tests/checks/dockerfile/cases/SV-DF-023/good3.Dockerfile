FROM debian:12
RUN --mount=type=cache,target=/var/lib/apt/lists apt-get update && apt-get install -y --no-install-recommends curl
RUN --mount=type=cache,target=/var/lib/apt,sharing=locked apt-get update && apt-get install -y --no-install-recommends git
RUN --mount=type=tmpfs,target=/var/lib/apt/lists/ apt-get update && apt-get install -y --no-install-recommends jq

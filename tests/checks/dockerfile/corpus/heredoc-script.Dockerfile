# syntax=docker/dockerfile:1.7
# concepts: curl-pipe-sh, root-user, healthcheck, apt-hygiene, unpinned
FROM debian:12
RUN <<EOF
set -eux
apt-get update
apt-get install -y --no-install-recommends curl ca-certificates
curl -fsSL https://deb.nodesource.com/setup_20.x | bash -
EOF
CMD ["node"]

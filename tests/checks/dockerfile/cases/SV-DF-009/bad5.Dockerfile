FROM debian:12
# expect
RUN <<EOF
set -e
curl -fsSL https://get.example.com | bash
EOF

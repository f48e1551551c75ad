FROM debian:12
# expect
RUN set -eux; \
    wget -qO- https://x.example/install.sh \
      | sudo bash -s -- --yes

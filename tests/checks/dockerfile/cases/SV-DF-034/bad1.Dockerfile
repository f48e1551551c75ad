FROM debian:12
RUN apt-get update && apt-get install -y --no-install-recommends curl=7.88.1-10+deb12u8 && rm -rf /var/lib/apt/lists/*
# expect
RUN wget -q -O /tmp/x https://example.com/x && sha256sum -c /tmp/x.sha256

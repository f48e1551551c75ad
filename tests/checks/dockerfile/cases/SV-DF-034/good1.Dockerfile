FROM debian:12 AS fetch
RUN wget -q -O /tmp/x https://example.com/x
FROM debian:12
# another stage built on an image: its own tools
RUN curl -fsSLo /tmp/y https://example.com/y
RUN apt-get update && apt-get install -y --no-install-recommends curl-dev=1 && rm -rf /var/lib/apt/lists/*

FROM debian:12 AS tools
RUN apt-get update && apt-get install -y --no-install-recommends wget=1.21.3-1+b2 && rm -rf /var/lib/apt/lists/*
FROM tools
# the stage inherits wget from its base stage
# expect
RUN curl -fsSLo /tmp/x https://example.com/x

FROM debian:12
# an update alone leaves its lists in this layer, whatever a later RUN removes
# expect
RUN apt-get update
RUN apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*

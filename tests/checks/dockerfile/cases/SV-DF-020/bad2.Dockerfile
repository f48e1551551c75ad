FROM debian:12
# expect
RUN apt-get update && apt-get -y dist-upgrade && rm -rf /var/lib/apt/lists/*

FROM debian:12
# expect
RUN apt-get update
RUN apt-get install -y curl

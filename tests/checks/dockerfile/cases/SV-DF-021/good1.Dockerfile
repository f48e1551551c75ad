FROM debian:12
RUN apt-get update && apt-get install -y curl
RUN apt-get install -qy git
RUN apt-get -qq install wget
RUN apt-get install --yes jq

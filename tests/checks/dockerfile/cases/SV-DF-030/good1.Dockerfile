FROM debian:12
ARG HOME=/home/app
WORKDIR /app
WORKDIR $HOME/src

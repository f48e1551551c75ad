FROM debian:12
RUN echo 'APT::Get::Assume-Yes "true";' > /etc/apt/apt.conf.d/90yes
RUN apt-get update && apt-get install curl

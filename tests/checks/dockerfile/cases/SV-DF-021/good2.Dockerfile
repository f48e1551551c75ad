FROM debian:12
RUN apt-get -q -q install curl
RUN apt-get --quiet --quiet install curl
RUN apt-get -q=2 install curl
RUN apt-get --assume-yes install git
RUN apt-get -o APT::Get::Assume-Yes=true install jq
RUN yes | apt-get install vim

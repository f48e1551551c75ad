FROM debian:12
# expect
RUN sudo apt-get install -y curl

FROM debian:12
# expect
RUN apt-get install -y curl=7.88.1-10 git

FROM debian:12
# a single -q does not answer yes (hadolint takes any -q as -y)
# expect
RUN apt-get -q update && apt-get -q install curl
# expect
RUN apt-get install --quiet git
# expect
RUN apt-get install -o Dpkg::Options::=--force-confold -t bookworm-backports jq

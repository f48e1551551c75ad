FROM debian:12
# expect
WORKDIR app

FROM debian:12
# expect
EXPOSE 70000

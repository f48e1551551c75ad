FROM debian:12
# expect
EXPOSE 80 3389/tcp
# expect
EXPOSE 2370-2380

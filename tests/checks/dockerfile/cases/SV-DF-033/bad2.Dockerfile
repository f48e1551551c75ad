FROM debian:12
# expect
COPY app
# expect
ENV MODE
# expect
SHELL /bin/bash -c
USER 1000

FROM debian:12
# expect
ENV DB_PASSWORD=hunter2

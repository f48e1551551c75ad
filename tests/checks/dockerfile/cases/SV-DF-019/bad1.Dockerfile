FROM debian:12
# expect
RUN chmod -R 777 /app

FROM debian:12
# expect
RUN wget --no-check-certificate https://example.com/a

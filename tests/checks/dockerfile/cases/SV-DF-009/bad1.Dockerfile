FROM debian:12
# expect
RUN curl -fsSL https://get.example.com | sh

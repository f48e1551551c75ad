FROM debian:12
# expect
ENV API_KEY secret-value

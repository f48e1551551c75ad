FROM debian:12
# expect
RUN sh -c "$(curl -fsSL https://raw.example.com/install.sh)"

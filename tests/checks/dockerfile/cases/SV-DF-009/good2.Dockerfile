FROM debian:12
RUN curl -fsSL https://example.com/key.asc | gpg --dearmor -o /usr/share/keyrings/x.gpg

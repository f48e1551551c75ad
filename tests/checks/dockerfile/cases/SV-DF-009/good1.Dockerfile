FROM debian:12
RUN curl -fsSLo /tmp/i.sh https://get.example.com && echo "abc  /tmp/i.sh" | sha256sum -c - && sh /tmp/i.sh

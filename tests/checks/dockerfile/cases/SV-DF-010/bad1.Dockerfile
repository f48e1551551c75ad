FROM debian:12
# expect
RUN curl -fsSLo /usr/local/bin/tool https://example.com/tool && chmod +x /usr/local/bin/tool

FROM debian:12
RUN curl -fsSL -o /a https://example.com/a
ENV NODE_TLS_REJECT_UNAUTHORIZED=1
RUN curl -o k https://example.com/k

FROM debian:12
# expect
RUN curl -fsSLk https://example.com/a -o /a

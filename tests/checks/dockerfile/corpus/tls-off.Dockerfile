# concepts: tls-disabled, signature-disabled, unverified-download, root-user, healthcheck, unpinned
FROM debian:12
ENV GIT_SSL_NO_VERIFY=1
RUN apt-get update && apt-get install -y --allow-unauthenticated --no-install-recommends git \
 && rm -rf /var/lib/apt/lists/*
RUN curl -k -o /tmp/x.deb https://mirror.example.com/x.deb && dpkg -i /tmp/x.deb
RUN wget --no-check-certificate -O /tmp/y https://example.com/y && echo "abc  /tmp/y" | sha256sum -c -
CMD ["git", "--version"]

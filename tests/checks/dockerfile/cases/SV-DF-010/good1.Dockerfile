FROM debian:12
RUN curl -fsSLo /tmp/a.tgz https://example.com/a.tgz \
 && echo "24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d  /tmp/a.tgz" | sha256sum -c - \
 && tar -xzf /tmp/a.tgz

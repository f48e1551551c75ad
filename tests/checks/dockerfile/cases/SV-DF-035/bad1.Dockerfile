FROM debian:12
# expect
RUN curl -fsSL https://example.com/app.tgz | tar -xz -C /opt
# expect
RUN VERSION="$(git ls-remote --tags https://example.com/r | tail -n1)" && echo "$VERSION"

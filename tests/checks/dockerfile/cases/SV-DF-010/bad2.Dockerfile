FROM debian:12
# expect
RUN ["wget", "-O", "/tmp/a.tgz", "https://example.com/a.tgz"]

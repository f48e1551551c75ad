FROM debian:12
# expect
MAINTAINER Jane <jane@example.com>

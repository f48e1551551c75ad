FROM debian:12
WORKDIR /usr/src/app
RUN make install
RUN (cd docs && make html) && make dist
RUN ROOT="$(cd /opt && pwd)" && echo "$ROOT"
RUN echo cd /tmp

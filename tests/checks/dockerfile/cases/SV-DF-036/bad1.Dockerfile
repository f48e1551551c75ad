FROM debian:12
# expect
RUN cd /usr/src/app && make install
# expect
RUN git clone https://example.com/r.git /src/r && cd /src/r && ./configure
# expect
RUN ["sh", "-c", "cd /opt && ls"]

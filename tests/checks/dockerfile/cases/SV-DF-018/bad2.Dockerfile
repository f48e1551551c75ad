FROM debian:12
# expect
RUN make && sudo -u app make install

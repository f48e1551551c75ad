FROM debian:12
# expect
RUN chmod o+w /etc/app.conf
# expect
COPY --chmod=666 app.conf /etc/

FROM debian:12
RUN chmod 755 /app && chmod 1777 /tmp/shared && chmod u+w,g+w /app
COPY --chmod=644 app.conf /etc/

FROM debian:12
USER app
# expect
USER root
CMD ["app"]

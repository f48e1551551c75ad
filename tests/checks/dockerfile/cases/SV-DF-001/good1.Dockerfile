FROM debian:12
RUN useradd app
USER app
CMD ["app"]

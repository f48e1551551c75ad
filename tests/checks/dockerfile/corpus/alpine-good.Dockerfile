# concepts:
FROM alpine:3.20@sha256:3333333333333333333333333333333333333333333333333333333333333333
RUN apk add --no-cache ca-certificates=20240705-r0 tini=0.19.0-r3 \
 && addgroup -S app && adduser -S -G app app
COPY --chown=app:app bin/app /usr/local/bin/app
USER app
HEALTHCHECK CMD ["/usr/local/bin/app", "health"]
ENTRYPOINT ["/sbin/tini", "--", "/usr/local/bin/app"]

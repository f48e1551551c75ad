FROM alpine:3.20
# expect
RUN rm -rf /var/cache/apk/* && apk add curl
# expect
RUN --mount=type=cache,target=/var/cache/apt apk add git

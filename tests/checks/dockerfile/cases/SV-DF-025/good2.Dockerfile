FROM alpine:3.20
RUN --mount=type=cache,target=/var/cache/apk apk add curl
RUN apk add git && apk cache purge
RUN apk --no-cache add jq

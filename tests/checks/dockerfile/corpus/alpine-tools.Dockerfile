# concepts: apk-cache, unpinned, root-user, healthcheck, latest-tag
FROM alpine:latest
RUN apk update && apk add curl jq bash
COPY entrypoint.sh /entrypoint.sh
RUN chmod +x /entrypoint.sh
ENTRYPOINT ["/entrypoint.sh"]

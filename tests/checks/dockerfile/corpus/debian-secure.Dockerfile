# concepts:
FROM debian:12.5-slim@sha256:4444444444444444444444444444444444444444444444444444444444444444
ARG TOOL_VERSION=1.4.2
ARG TOOL_SHA256=24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates=20230311 curl=7.88.1-10+deb12u5 \
 && curl -fsSLo /tmp/tool.tgz "https://example.com/tool-${TOOL_VERSION}.tgz" \
 && echo "${TOOL_SHA256}  /tmp/tool.tgz" | sha256sum -c - \
 && tar -xzf /tmp/tool.tgz -C /usr/local/bin \
 && rm -rf /var/lib/apt/lists/* /tmp/tool.tgz
RUN useradd --uid 10001 app
USER 10001
HEALTHCHECK CMD ["tool", "--health"]
ENTRYPOINT ["tool"]

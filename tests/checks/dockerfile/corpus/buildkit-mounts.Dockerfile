# syntax=docker/dockerfile:1.7
# concepts: unpinned, healthcheck
FROM python:3.12-slim@sha256:5555555555555555555555555555555555555555555555555555555555555555
RUN --mount=type=cache,target=/var/lib/apt,sharing=locked \
    --mount=type=cache,target=/var/cache/apt,sharing=locked \
    apt-get update && apt-get install -y --no-install-recommends git
RUN --mount=type=cache,target=/root/.cache/pip \
    --mount=type=secret,id=pip_conf,target=/etc/pip.conf \
    pip install -r requirements.txt
USER 1000
CMD ["python", "-m", "app"]

# concepts: healthcheck
ARG PY_VERSION=3.12
ARG VARIANT=slim-bookworm
FROM python:${PY_VERSION}-${VARIANT}
RUN useradd -u 1001 app
USER app
CMD ["python"]

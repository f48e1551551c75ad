# syntax=docker/dockerfile:1
# Sievert (CLI, `sievert server` and `sievert worker`) on Debian's slim Python image.
#   docker build -t sievert .
#   docker run --rm -v sievert-data:/var/lib/sievert sievert db update
#   docker compose up -d        # PostgreSQL + server + workers: see docker-compose.yml
# Pin the base by digest for reproducible builds: --build-arg PYTHON_IMAGE=python:3.11-slim-bookworm@sha256:...
ARG PYTHON_IMAGE=python:3.11-slim-bookworm
# sievert:ignore=SV-DF-003 the digest is chosen at build time with --build-arg PYTHON_IMAGE
FROM ${PYTHON_IMAGE} AS build
WORKDIR /src
COPY pyproject.toml constraints.txt README.md ./
COPY src ./src
RUN python -m venv /opt/sievert \
    && /opt/sievert/bin/pip install --no-cache-dir -c constraints.txt .

# sievert:ignore=SV-DF-003 the digest is chosen at build time with --build-arg PYTHON_IMAGE
FROM ${PYTHON_IMAGE}
COPY --from=build /opt/sievert /opt/sievert
RUN useradd --system --uid 10001 --home-dir /var/lib/sievert --create-home sievert
ENV PATH=/opt/sievert/bin:$PATH \
    XDG_DATA_HOME=/var/lib/sievert \
    XDG_CACHE_HOME=/var/lib/sievert/cache \
    SIEVERT_DB_DIR=/var/lib/sievert/db \
    SIEVERT_STORAGE_DIR=/var/lib/sievert/uploads
USER sievert
WORKDIR /var/lib/sievert
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"]
ENTRYPOINT ["sievert"]
CMD ["server", "--host", "0.0.0.0", "--port", "8080"]

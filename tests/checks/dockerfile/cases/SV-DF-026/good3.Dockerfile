FROM python:3.12
ENV PIP_CACHE_DIR=/tmp/pip-cache
RUN --mount=type=cache,target=/root/.cache/pip pip install flask==3.0.3
RUN --mount=type=cache,target=/root/.cache pip install rich==13.7.1
RUN --mount=type=cache,target=/tmp/pip-cache pip install requests==2.32.3
RUN pip install click==8.1.7 && pip cache purge
RUN pip install jinja2==3.1.4 && rm -rf /root/.cache/pip

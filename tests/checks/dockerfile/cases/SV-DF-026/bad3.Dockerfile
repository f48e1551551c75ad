FROM python:3.12
# expect
RUN pip cache purge && pip install flask==3.0.3
# expect
RUN --mount=type=cache,target=/var/cache/apt pip install requests==2.32.3
# expect
RUN PIP_NO_CACHE_DIR=0 pip install rich==13.7.1

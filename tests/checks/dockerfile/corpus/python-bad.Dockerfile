# concepts: root-user, healthcheck, apt-hygiene, pip-cache, unpinned, tls-disabled, curl-pipe-sh
FROM python:3.11
RUN apt-get update
RUN apt-get install -y build-essential curl
RUN pip install --trusted-host pypi.internal.example flask gunicorn
RUN curl -sSL https://install.python-poetry.org | python3 -
COPY . /app
WORKDIR /app
CMD python app.py

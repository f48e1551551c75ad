FROM python:3.12
# expect
RUN curl -sSL https://install.python-poetry.org | python3 -

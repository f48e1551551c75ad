FROM python:3.12
# expect
RUN pip install --no-cache-dir flask "django>=4"

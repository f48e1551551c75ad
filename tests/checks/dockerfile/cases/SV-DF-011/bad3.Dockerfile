FROM python:3.12
# expect
RUN pip install --trusted-host pypi.example.com flask==3.0

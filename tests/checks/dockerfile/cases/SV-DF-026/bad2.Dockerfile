FROM python:3.12
# expect
RUN python3 -m pip install flask==3.0

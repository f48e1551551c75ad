FROM python:3.12
# expect
RUN pip install -r requirements.txt

FROM python:3.12
RUN pip install --no-cache-dir -r requirements.txt

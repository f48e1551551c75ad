FROM debian:12
# expect
RUN pip install --index-url https://deploy:S3cr3tPassw0rd@pypi.example.com/simple flask==3.0

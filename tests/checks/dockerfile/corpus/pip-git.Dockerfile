# concepts: pip-cache, unpinned, root-user, healthcheck
FROM python:3.12-alpine
RUN pip install requests==2.32.3 "numpy>=1.26"
RUN python -m pip install --upgrade pip
CMD ["python"]

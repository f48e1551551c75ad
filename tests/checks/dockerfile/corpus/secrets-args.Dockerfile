# concepts: secrets-env, root-user, healthcheck
FROM python:3.12-slim
ARG GITHUB_TOKEN
ARG AWS_SECRET_ACCESS_KEY
ENV DATABASE_PASSWORD=SuperSecret123
ENV AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE
RUN pip install --no-cache-dir git+https://${GITHUB_TOKEN}@github.com/org/private.git@v1.2.0
CMD ["python", "-m", "app"]

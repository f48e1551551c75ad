FROM debian:12
# an inline value is a secret, whatever the name around it
# expect
ENV GITHUB_TOKEN=ghx_not_a_path
# expect
ENV DB_PASSWORD hunter2
# expect
ARG API_KEY=secret-inline-value

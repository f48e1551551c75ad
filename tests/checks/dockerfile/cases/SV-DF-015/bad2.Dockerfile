# expect
ARG NPM_TOKEN
FROM node:20
# expect
ARG GITHUB_TOKEN

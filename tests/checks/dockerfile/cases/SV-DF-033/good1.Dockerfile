ARG IMAGE=alpine:3.20
ARG TAG
FROM $IMAGE AS base
FROM --platform=$BUILDPLATFORM python:$TAG
COPY app /app
ENV MODE=prod
SHELL ["/bin/bash", "-c"]
USER 1000

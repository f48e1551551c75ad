FROM debian:12 AS base
ARG IMAGE=alpine:3.20
# expect
FROM $IMAGE
USER 1000

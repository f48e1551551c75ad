FROM debian:12 AS base
USER app
FROM base
# expect
USER 0:0

ARG IMG=alpine
# expect
FROM ${IMG}

# expect
FROM ubuntu
USER 1

FROM debian:12
ENTRYPOINT ["a"]
CMD ["x"]
# expect
ENTRYPOINT ["b"]

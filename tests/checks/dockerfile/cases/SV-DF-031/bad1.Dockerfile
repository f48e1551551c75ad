FROM debian:12
CMD ["a"]
# expect
CMD ["b"]

# concepts: secrets-env, root-user, healthcheck, apt-hygiene, unpinned
FROM debian:12
ENV http_proxy=http://proxyuser:Pr0xyPassw0rd@proxy.example.com:3128
RUN apt-get update && apt-get install -y curl
CMD ["bash"]

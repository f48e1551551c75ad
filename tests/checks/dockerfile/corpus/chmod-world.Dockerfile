# concepts: chmod-777, root-user, healthcheck
FROM node:20-slim
WORKDIR /app
COPY --chmod=777 start.sh /app/start.sh
RUN mkdir /data && chmod o+w /data
CMD ["/app/start.sh"]

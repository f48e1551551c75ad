# concepts: bad-copy-from, root-user, healthcheck
FROM node:20 AS deps
RUN npm ci
FROM node:20 AS runner
COPY --from=dep /node_modules /app/node_modules
COPY --from=runner /x /y
CMD ["node"]

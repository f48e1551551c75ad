# concepts: latest-tag, root-user, healthcheck, secrets-env, tls-disabled, unpinned, maintainer
FROM node
MAINTAINER dev@example.com
ENV NPM_TOKEN=npm_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789
ENV NODE_TLS_REJECT_UNAUTHORIZED=0
WORKDIR /app
COPY . .
RUN npm install -g pm2 && npm install
EXPOSE 8080
CMD ["pm2-runtime", "index.js"]

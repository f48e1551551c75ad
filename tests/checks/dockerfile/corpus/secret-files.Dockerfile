# concepts: secret-file, root-user, healthcheck
FROM node:20-alpine
WORKDIR /app
COPY .npmrc package.json package-lock.json ./
RUN npm ci
COPY id_rsa /root/.ssh/id_rsa
COPY .env ./
COPY . .
CMD ["node", "index.js"]

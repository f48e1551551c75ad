FROM node:20
# expect
COPY .npmrc package.json /app/
# expect
COPY .env /app/.env

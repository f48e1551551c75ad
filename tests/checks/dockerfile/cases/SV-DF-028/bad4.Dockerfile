FROM node:20
# expect
RUN npm install -g typescript

FROM node:20
# expect
ENV NODE_TLS_REJECT_UNAUTHORIZED=0
# expect
RUN npm config set strict-ssl false

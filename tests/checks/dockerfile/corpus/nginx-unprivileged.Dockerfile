# concepts:
FROM nginxinc/nginx-unprivileged:1.27-alpine@sha256:2222222222222222222222222222222222222222222222222222222222222222
COPY --chown=nginx:nginx dist/ /usr/share/nginx/html/
USER nginx
EXPOSE 8080
HEALTHCHECK CMD wget -qO- http://localhost:8080/ || exit 1

# concepts: exposed-ports, invalid-port, root-user, healthcheck
FROM redis:7.2
EXPOSE 6379 70000 23/tcp 3389

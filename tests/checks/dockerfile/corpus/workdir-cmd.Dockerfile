# concepts: workdir-relative, multiple-cmd, root-user, healthcheck
FROM busybox:1.36
WORKDIR app
COPY . .
CMD ["sh", "-c", "echo one"]
ENTRYPOINT ["/bin/sh"]
CMD ["-c", "echo two"]
ENTRYPOINT ["/bin/ash"]

# concepts: yum-clean, signature-disabled, root-user, healthcheck, unpinned
FROM registry.access.redhat.com/ubi9/ubi:9.4
RUN dnf install -y --nogpgcheck httpd
RUN rpm -ivh --nosignature /tmp/extra.rpm
EXPOSE 8080
CMD ["httpd", "-DFOREGROUND"]

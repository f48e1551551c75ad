# concepts: latest-tag, root-user, healthcheck, apt-hygiene, sudo, chmod-777, apt-upgrade, curl-pipe-sh, unverified-download, exposed-ports, unpinned
FROM ubuntu
RUN apt-get update && apt-get upgrade -y
RUN apt-get install -y sudo curl vim openssh-server
RUN curl -fsSL https://get.docker.com | sh
RUN sudo chmod -R 777 /opt
RUN wget https://example.com/tool.tar.gz && tar xzf tool.tar.gz -C /opt
EXPOSE 22 2375
CMD ["/usr/sbin/sshd", "-D"]

# concepts: yum-clean, root-user, healthcheck, maintainer, unpinned
FROM centos:7
MAINTAINER ops
RUN yum install -y epel-release && yum install -y nginx
EXPOSE 80 443
CMD ["nginx", "-g", "daemon off;"]

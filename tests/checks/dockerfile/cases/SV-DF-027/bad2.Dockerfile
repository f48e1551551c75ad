FROM centos:7
# expect
RUN yum install -y httpd && yum update -y

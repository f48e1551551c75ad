FROM centos:7
# a clean before the install does not count
# expect
RUN yum clean all && yum install -y httpd
# expect
RUN zypper install -y curl && dnf clean all
# expect
RUN --mount=type=cache,target=/var/cache/zypp microdnf install -y git

FROM fedora:40
RUN --mount=type=cache,target=/var/cache/dnf dnf install -y git
RUN --mount=type=cache,target=/var/cache/yum microdnf install -y jq
RUN dnf install -y vim && yum clean all
RUN zypper install -y curl && zypper clean -a
RUN --mount=type=cache,target=/var/cache/zypp zypper install -y wget
RUN tdnf install -y tar && rm -rf /var/cache/tdnf

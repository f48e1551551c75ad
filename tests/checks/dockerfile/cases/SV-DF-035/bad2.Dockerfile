FROM debian:12
SHELL ["/bin/bash", "-c"]
# expect
RUN grep -v '^#' /etc/hosts | sort > /tmp/hosts
# exec form runs its own shell, without pipefail
# expect
RUN ["/bin/bash", "-c", "dpkg -l | grep ssl"]

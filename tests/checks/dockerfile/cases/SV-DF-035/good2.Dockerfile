FROM alpine:3.20
RUN set -o pipefail && wget -qO- https://example.com/a.tgz | tar -xz
RUN set -euo pipefail; ls /etc | sort
RUN ["/bin/bash", "-o", "pipefail", "-c", "dpkg -l | grep ssl"]
RUN echo "abc  /tmp/file" | sha256sum -c -
RUN yes | apt-get install vim
RUN test -f /a || echo missing
RUN echo 'a|b' > /tmp/x
SHELL ["pwsh", "-Command"]
RUN Get-ChildItem | Select-Object Name

"""A labelled corpus of small Dockerfiles, written at run time, for accuracy against the peers.

Every case is one Dockerfile with the exact set of sievert rule ids it must raise (nothing
more, nothing less): several flagged and several clean cases per rule, on the edge cases the
peers' own rules describe (hadolint DLxxxx, trivy DS-xxxx). The default suite asserts sievert
at 100% with no false positive on it (tests/checks/dockerfile/test_labelled.py);
`bench/compare_config.py` runs hadolint and trivy on the same files.

Clean scaffolding keeps the other rules quiet: bases pinned by tag and digest, a final
`USER 10001`, a HEALTHCHECK, packages pinned with `-y --no-install-recommends` and caches
removed, downloads verified.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DIGEST = "@sha256:" + "4f2d6c8a1b3e5f7091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7a8"
DEBIAN = "debian:12.8-slim" + DIGEST
ALPINE = "alpine:3.20.3" + DIGEST
PYTHON = "python:3.12.7-slim" + DIGEST
FEDORA = "fedora:40" + DIGEST
ROCKY = "rockylinux:9.3" + DIGEST
LEAP = "opensuse/leap:15.6" + DIGEST
UBI = "registry.access.redhat.com/ubi9/ubi-minimal:9.4" + DIGEST
GOLANG = "golang:1.23.2" + DIGEST
TAIL = 'USER 10001\nHEALTHCHECK CMD ["/usr/local/bin/healthcheck"]\n'
APT = (
    "apt-get update && apt-get install -y --no-install-recommends {} && rm -rf /var/lib/apt/lists/*"
)
CURL = "curl=7.88.1-10+deb12u8"
WGET = "wget=1.21.3-1+b2"
FETCH = "curl -fsSLo /tmp/app.tgz https://example.com/app-1.2.tgz && sha256sum -c /tmp/app.sha256"
CONFIG_FOLDER = "allowlist"
CONFIG = "allowed_registries: [docker.io]\n"
"""The `.sievert.yaml` of the SV-DF-004 cases' folder (the only rule that needs a config)."""


@dataclass(frozen=True, slots=True)
class Case:
    """One labelled Dockerfile."""

    name: str
    expect: frozenset[str]
    """Every sievert rule id the file must raise."""
    text: str
    folder: str = ""

    @property
    def path(self) -> str:
        """Where the file goes under the corpus root."""
        return f"{self.folder}/{self.name}" if self.folder else self.name


def image(body: str, base: str = DEBIAN) -> str:
    """A one-stage Dockerfile: pinned base, `body`, a non-root USER and a HEALTHCHECK."""
    return f"FROM {base}\n{body.strip()}\n{TAIL}"


def apt(*packages: str) -> str:
    """A clean apt install of `packages`."""
    return "RUN " + APT.format(" ".join(packages))


def apt_with(
    options: str = "-y --no-install-recommends",
    prefix: str = "",
    mount: str = "",
    cleanup: bool = True,
) -> str:
    """`apt-get update && apt-get install OPTIONS curl=...`, lists removed unless not `cleanup`."""
    flag = f"--mount=type=cache,target={mount} " if mount else ""
    tail = " && rm -rf /var/lib/apt/lists/*" if cleanup else ""
    return f"RUN {flag}{prefix}apt-get update && apt-get install {options} {CURL}{tail}"


# rule number -> (bad cases, good cases); a case is (extra expected ids, text).
Cases = list[tuple[tuple[int, ...], str]]
RULES: dict[int, tuple[Cases, Cases]] = {
    1: (
        [
            ((), f"FROM {DEBIAN}\nRUN useradd -u 10001 app\nHEALTHCHECK NONE\n"),
            ((), f"FROM {DEBIAN}\nUSER 10001\nUSER root\nHEALTHCHECK NONE\n"),
            ((), f"FROM {DEBIAN}\nUSER 0:0\nHEALTHCHECK NONE\n"),
        ],
        [
            ((), f"FROM {DEBIAN}\nUSER app:app\nHEALTHCHECK NONE\n"),
            ((), f"FROM {DEBIAN}\nUSER root\nRUN id\nUSER 10001\nHEALTHCHECK NONE\n"),
            ((), f"FROM gcr.io/distroless/static-debian12:nonroot{DIGEST}\nHEALTHCHECK NONE\n"),
        ],
    ),
    2: (
        [
            ((3,), image("RUN true", "debian")),
            ((3,), image("RUN true", "debian:latest")),
            ((3,), image("RUN true", "registry.example.com:5000/team/app")),
        ],
        [
            ((3,), image("RUN true", "debian:12.8")),
            ((), image("RUN true", "debian" + DIGEST)),
            ((), "ARG TAG\n" + image("RUN true", "python:$TAG")),
            ((3,), image("RUN true", "registry.example.com:5000/team/app:1.4")),
        ],
    ),
    3: (
        [
            ((), image("RUN true", "debian:12.8-slim")),
            ((), f"FROM {GOLANG} AS build\nRUN go version\n" + image("RUN true", "alpine:3.20")),
        ],
        [
            ((), image("RUN true")),
            ((), f"FROM {GOLANG} AS build\nRUN go version\nFROM build\n{TAIL}"),
            ((), f"FROM scratch\nCOPY app /app\n{TAIL}"),
        ],
    ),
    5: (
        [
            ((), f"FROM {GOLANG} AS build\nCOPY --from=build /a /b\n{TAIL}"),
            ((), f"FROM {DEBIAN}\nCOPY --from=builder /app /app\n{TAIL}"),
            ((), f"FROM {DEBIAN}\nCOPY --from=1 /app /app\n{TAIL}\nFROM {DEBIAN}\n{TAIL}"),
        ],
        [
            (
                (),
                f"FROM {GOLANG} AS build\nRUN go version\n"
                f"FROM {DEBIAN}\nCOPY --from=build /a /b\n{TAIL}",
            ),
            ((), f"FROM {GOLANG}\nRUN go version\nFROM {DEBIAN}\nCOPY --from=0 /a /b\n{TAIL}"),
            ((), image("COPY --from=docker.io/library/busybox:1.36 /bin/busybox /bin/")),
        ],
    ),
    6: (
        [
            ((), image("ADD https://example.com/install.sh /tmp/")),
            ((), image("ADD http://example.com/config.json /etc/app/")),
        ],
        [
            ((), image("ADD --checksum=sha256:" + "ab" * 32 + " https://example.com/a.sh /a.sh")),
            ((), image("COPY install.sh /tmp/")),
        ],
    ),
    7: (
        [
            ((), image("ADD app.py requirements.txt /app/")),
            ((), image("ADD conf/ /etc/app/")),
        ],
        [
            ((), image("ADD rootfs.tar.gz /")),
            ((), image("COPY app.py /app/")),
        ],
    ),
    8: (
        [
            ((), image("ADD https://example.com/tool-1.2.tar.gz /opt/")),
            ((), image("ADD https://example.com/node-v20.tar.xz /opt/")),
        ],
        [
            ((), image("ADD --checksum=sha256:" + "cd" * 32 + " https://example.com/t.tgz /opt/")),
            ((), image("ADD vendor.tar.gz /opt/")),
        ],
    ),
    9: (
        [
            ((35,), image("RUN curl -fsSL https://example.com/install.sh | sh")),
            ((35,), image("RUN wget -qO- https://example.com/setup | bash -s -- --yes")),
            ((), image('RUN sh -c "$(curl -fsSL https://example.com/install.sh)"')),
        ],
        [
            ((), image(f"RUN {FETCH} && tar -xzf /tmp/app.tgz -C /opt")),
            (
                (),
                image(
                    "RUN curl -fsSLo /tmp/i.sh https://example.com/i.sh"
                    " && sha256sum -c /tmp/i.sha256 && sh /tmp/i.sh"
                ),
            ),
        ],
    ),
    10: (
        [
            ((), image("RUN curl -fsSLo /usr/local/bin/jq https://example.com/jq-1.7")),
            ((), image("RUN wget -q https://example.com/app.tgz && tar -xzf app.tgz")),
        ],
        [
            ((), image(f"RUN {FETCH}")),
            ((), image("RUN curl -fsS http://localhost:8080/health")),
            (
                (),
                image("RUN curl -fsSLO https://example.com/a.tgz && gpg --verify a.tgz.asc a.tgz"),
            ),
        ],
    ),
    11: (
        [
            ((), image("RUN curl -fsSLk https://example.com/a -o /a && sha256sum -c /a.sha256")),
            (
                (),
                image(
                    "RUN wget --no-check-certificate -q https://x.example/a && sha256sum -c a.sum"
                ),
            ),
            ((28,), image("RUN pip install --no-cache-dir --trusted-host pypi.org flask")),
        ],
        [
            ((), image(f"RUN {FETCH}")),
            ((), image("RUN pip install --no-cache-dir flask==3.0.3")),
        ],
    ),
    12: (
        [
            ((), image(f"RUN {APT.format('--allow-unauthenticated ' + CURL)}")),
            ((), image("RUN dnf install -y --nogpgcheck httpd-2.4.62 && dnf clean all", FEDORA)),
        ],
        [
            ((), image(apt(CURL))),
            ((), image("RUN dnf install -y httpd-2.4.62 && dnf clean all", FEDORA)),
        ],
    ),
    13: (
        [
            ((), image("EXPOSE 22")),
            ((), image("EXPOSE 8080 23/tcp")),
        ],
        [
            ((), image("EXPOSE 8080")),
            ((), image("EXPOSE 443/tcp 8443")),
        ],
    ),
    14: (
        [
            ((), image("EXPOSE 70000")),
            ((), image("EXPOSE 8080/xyz")),
        ],
        [
            ((), image("EXPOSE 8000-8010")),
            ((), image("EXPOSE 53/udp")),
        ],
    ),
    15: (
        [
            ((), image("ENV DB_PASSWORD=hunter2")),
            ((), image("ARG NPM_TOKEN\nRUN echo building")),
            ((), image("ENV API_KEY inline-api-key-value")),
        ],
        [
            ((), image("ENV GOOGLE_APPLICATION_CREDENTIALS=/var/run/gcp/creds.json")),
            ((), image("ENV DB_PASSWORD_FILE=/run/secrets/db_password")),
            ((), image("ENV API_TOKEN=/run/secrets/api_token")),
            ((), image("ENV APP_SECRET=arn:aws:secretsmanager:eu-west-1:123456789012:secret:x")),
            ((), image('ENV APP_SECRET=""')),
        ],
    ),
    16: (
        [
            ((15,), image("ENV AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE")),
            ((), image("RUN git clone https://bob:s3cr3tpass@git.example.com/app.git /src")),
            ((), image("LABEL build.ref=Zq8xT2pLk9Vw4RmN7sYb3HcJ6dFg1A")),
        ],
        [
            ((), image("LABEL org.opencontainers.image.revision=4f2d6c8a1b3e5f7091a2b3c4d5e6f7")),
            ((), image("RUN git clone https://git.example.com/app.git /src")),
        ],
    ),
    17: (
        [
            ((), image("COPY id_rsa /root/.ssh/id_rsa")),
            ((), image("COPY .env /app/.env")),
            ((), image("COPY .npmrc /root/.npmrc")),
        ],
        [
            ((), image("COPY .env.example /app/")),
            ((), image("COPY app/ /app/")),
        ],
    ),
    18: (
        [
            ((), image("RUN sudo apt-get clean")),
            ((), image("RUN sudo -u app make")),
        ],
        [
            ((), image("RUN make")),
            ((), image(apt("sudo=1.9.13p3-1+deb12u1"))),
        ],
    ),
    19: (
        [
            ((), image("RUN chmod -R 777 /app")),
            ((), image("COPY --chmod=777 app /app")),
            ((), image("RUN chmod o+w /srv")),
        ],
        [
            ((), image("RUN chmod 1777 /scratch")),
            ((), image("RUN chmod 755 /app")),
        ],
    ),
    20: (
        [
            ((), image(f"RUN apt-get upgrade -y && {APT.format(CURL)}")),
            (
                (),
                image(
                    "RUN apt-get update && apt-get dist-upgrade -y && rm -rf /var/lib/apt/lists/*"
                ),
            ),
        ],
        [
            ((), image(apt(CURL))),
            ((), image("RUN apt-get --version")),
        ],
    ),
    21: (
        [
            ((), image(apt_with("--no-install-recommends"))),
            ((), image(apt_with("-q --no-install-recommends"))),
        ],
        [
            ((), image(apt_with("-qq --no-install-recommends"))),
            ((), image(apt_with("-q -q --no-install-recommends"))),
            ((), image(apt_with("--assume-yes --no-install-recommends"))),
            ((), image(apt_with("--yes --no-install-recommends"))),
        ],
    ),
    22: (
        [
            ((), image(apt_with("-y"))),
            ((), image(apt_with("-y").replace("apt-get install", "apt install"))),
        ],
        [
            ((), image(apt(CURL))),
            (
                (),
                image(
                    "RUN echo 'APT::Install-Recommends \"false\";' > /etc/apt/apt.conf.d/99norec\n"
                    + apt_with("-y")
                ),
            ),
        ],
    ),
    23: (
        [
            ((), image(apt_with(cleanup=False))),
            ((), image(apt_with(prefix="rm -rf /var/lib/apt/lists/* && ", cleanup=False))),
            ((), image(apt_with(mount="/var/cache/apt", cleanup=False))),
        ],
        [
            ((), image(apt(CURL))),
            ((), image(apt_with(mount="/var/lib/apt/lists", cleanup=False))),
            ((), image(apt_with(mount="/var/lib/apt,sharing=locked", cleanup=False))),
        ],
    ),
    24: (
        [
            ((23,), image(f"RUN apt-get update\n{apt(CURL)}")),
            ((23,), image("RUN apt-get update && echo done")),
        ],
        [
            ((), image(apt(CURL))),
            (
                (),
                image(
                    "RUN apt-get update\\\n && apt-get install -y --no-install-recommends "
                    f"{CURL}\\\n && rm -rf /var/lib/apt/lists/*"
                ),
            ),
        ],
    ),
    25: (
        [
            ((), image("RUN apk add curl=8.9.1-r0", ALPINE)),
            ((), image("RUN rm -rf /var/cache/apk/* && apk add curl=8.9.1-r0", ALPINE)),
            (
                (),
                image("RUN --mount=type=cache,target=/var/cache/apt apk add git=2.45.2-r0", ALPINE),
            ),
        ],
        [
            ((), image("RUN apk add --no-cache curl=8.9.1-r0", ALPINE)),
            ((), image("RUN apk add curl=8.9.1-r0 && rm -rf /var/cache/apk/*", ALPINE)),
            (
                (),
                image("RUN --mount=type=cache,target=/var/cache/apk apk add git=2.45.2-r0", ALPINE),
            ),
        ],
    ),
    26: (
        [
            ((), image("RUN pip install flask==3.0.3", PYTHON)),
            ((), image("RUN pip cache purge && pip install flask==3.0.3", PYTHON)),
            ((), image("RUN python -m pip install requests==2.32.3", PYTHON)),
        ],
        [
            ((), image("RUN pip install --no-cache-dir flask==3.0.3", PYTHON)),
            ((), image("ENV PIP_NO_CACHE_DIR=1\nRUN pip install flask==3.0.3", PYTHON)),
            (
                (),
                image(
                    "RUN --mount=type=cache,target=/root/.cache/pip pip install flask==3.0.3",
                    PYTHON,
                ),
            ),
        ],
    ),
    27: (
        [
            ((), image("RUN yum install -y httpd-2.4.57", ROCKY)),
            ((), image("RUN yum clean all && yum install -y httpd-2.4.57", ROCKY)),
            ((), image("RUN dnf install -y git-2.46.2", FEDORA)),
            ((), image("RUN microdnf install -y jq-1.6", UBI)),
            ((), image("RUN zypper install -y curl=8.6.0", LEAP)),
        ],
        [
            ((), image("RUN yum install -y httpd-2.4.57 && yum clean all", ROCKY)),
            (
                (),
                image(
                    "RUN --mount=type=cache,target=/var/cache/dnf dnf install -y git-2.46.2", FEDORA
                ),
            ),
            ((), image("RUN microdnf install -y jq-1.6 && microdnf clean all", UBI)),
            ((), image("RUN zypper install -y curl=8.6.0 && zypper clean -a", LEAP)),
        ],
    ),
    28: (
        [
            ((), image(apt("curl"))),
            ((), image("RUN apk add --no-cache curl", ALPINE)),
            ((), image("RUN pip install --no-cache-dir flask", PYTHON)),
            ((), image("RUN npm install -g typescript")),
        ],
        [
            ((), image(apt(CURL))),
            ((), image("RUN pip install --no-cache-dir -r requirements.txt", PYTHON)),
            ((), image("RUN npm install -g typescript@5.6.3")),
        ],
    ),
    29: (
        [
            ((), f"FROM {DEBIAN}\nUSER 10001\n"),
            ((), f"FROM {DEBIAN} AS base\nHEALTHCHECK NONE\nFROM {DEBIAN}\nUSER 10001\n"),
        ],
        [
            ((), image("RUN true")),
            ((), f"FROM {DEBIAN}\nUSER 10001\nHEALTHCHECK NONE\n"),
            ((), f"FROM {DEBIAN} AS base\nHEALTHCHECK NONE\nFROM base\nUSER 10001\n"),
        ],
    ),
    30: (
        [
            ((), image("WORKDIR app")),
            ((), image("WORKDIR src/app")),
        ],
        [
            ((), image("WORKDIR /app")),
            ((), image("WORKDIR $HOME/app")),
        ],
    ),
    31: (
        [
            ((), image('CMD ["a"]\nCMD ["b"]')),
            ((), image('ENTRYPOINT ["a"]\nENTRYPOINT ["b"]')),
        ],
        [
            ((), image('ENTRYPOINT ["app"]\nCMD ["--help"]')),
            ((), f'FROM {DEBIAN} AS t\nCMD ["a"]\nFROM {DEBIAN}\nCMD ["b"]\n{TAIL}'),
        ],
    ),
    32: (
        [
            ((), image("MAINTAINER dev@example.com")),
            ((), image('MAINTAINER "Jo Dev <jo@example.com>"')),
        ],
        [
            ((), image('LABEL org.opencontainers.image.authors="jo@example.com"')),
            ((), image('LABEL maintainer="jo@example.com"')),
        ],
    ),
    33: (
        [
            ((), f"FROM {DEBIAN} AS base\nARG IMAGE={ALPINE}\nFROM $IMAGE\n{TAIL}"),
            ((), image("FOO bar")),
            ((), image("COPY app")),
            ((), image("ENV MODE")),
        ],
        [
            ((), f"ARG IMAGE={ALPINE}\nFROM $IMAGE\n{TAIL}"),
            ((), f"ARG TAG\nFROM python:$TAG\n{TAIL}"),
            ((), f"FROM --platform=$BUILDPLATFORM {GOLANG}\n{TAIL}"),
        ],
    ),
    34: (
        [
            ((), image(f"{apt(CURL)}\nRUN wget -q https://example.com/a && sha256sum -c a.sum")),
            ((), image("RUN apk add --no-cache curl=8.9.1-r0 wget=1.24.5-r0", ALPINE)),
            ((), image(apt(CURL, WGET))),
            ((), image(f"RUN {FETCH} && wget -q https://example.com/b && sha256sum -c b.sum")),
            (
                (),
                image(f"RUN {FETCH}\nRUN wget -q https://example.com/b && sha256sum -c b.sum"),
            ),
            (
                (),
                f"FROM {DEBIAN} AS tools\n{apt(WGET)}\nFROM tools\nRUN {FETCH}\n{TAIL}",
            ),
        ],
        [
            ((), image(f"{apt(CURL)}\nRUN {FETCH}")),
            (
                (),
                f"FROM {DEBIAN} AS fetch\nRUN wget -q https://example.com/a && sha256sum -c a.sum\n"
                f"FROM {DEBIAN}\nRUN {FETCH}\n{TAIL}",
            ),
            ((), image(apt("libcurl4=7.88.1-10+deb12u8", "wget2=2.0.1-1"))),
        ],
    ),
    35: (
        [
            ((), image("RUN grep -v '^#' /etc/hosts | sort > /tmp/hosts")),
            ((), image('SHELL ["/bin/bash", "-c"]\nRUN dpkg -l | grep ssl')),
            ((), image('RUN ["/bin/bash", "-c", "ps aux | grep app"]')),
            (
                (),
                f'FROM {DEBIAN} AS base\nSHELL ["/bin/bash", "-o", "pipefail", "-c"]\n'
                f"FROM {DEBIAN}\nRUN ls /etc | sort\n{TAIL}",
            ),
            ((), image('RUN V="$(git ls-remote --tags https://example.com/r | tail -n1)"')),
        ],
        [
            ((), image('SHELL ["/bin/bash", "-o", "pipefail", "-c"]\nRUN ls /etc | sort')),
            ((), image('SHELL ["/bin/bash", "-euxo", "pipefail", "-c"]\nRUN dpkg -l | grep ssl')),
            ((), image("RUN set -o pipefail && ls /etc | sort", ALPINE)),
            ((), image('SHELL ["/bin/ash", "-eo", "pipefail", "-c"]\nRUN ls /etc | sort', ALPINE)),
            (
                (),
                f'FROM {DEBIAN} AS base\nSHELL ["/bin/bash", "-o", "pipefail", "-c"]\n'
                f"FROM base\nRUN ls /etc | sort\n{TAIL}",
            ),
            ((), image('RUN echo "ab  /tmp/f" | sha256sum -c -')),
            ((), image("RUN test -f /etc/hosts || exit 1")),
        ],
    ),
    36: (
        [
            ((), image("RUN cd /usr/src && make install")),
            ((), image("RUN mkdir -p /src && cd /src && make")),
            ((), image('RUN ["sh", "-c", "cd /opt && make"]')),
        ],
        [
            ((), image("WORKDIR /usr/src\nRUN make install")),
            ((), image("RUN (cd docs && make html) && make dist")),
            ((), image('RUN ROOT="$(cd /opt && pwd)" && test -d "$ROOT"')),
        ],
    ),
}
ALLOWLIST: list[tuple[frozenset[str], str]] = [
    (frozenset({"SV-DF-004"}), image("RUN true", "quay.io/team/app:1.0" + DIGEST)),
    (frozenset({"SV-DF-004"}), image("COPY --from=ghcr.io/org/tool:2" + DIGEST + " /t /t")),
    (frozenset(), image("RUN true")),
    (frozenset(), image("RUN true", "docker.io/library/debian:12.8" + DIGEST)),
]
"""SV-DF-004 cases, in a folder whose .sievert.yaml allows docker.io only."""


def _rule_id(number: int) -> str:
    return f"SV-DF-{number:03d}"


def cases() -> list[Case]:
    """Every labelled case, in rule order: bad ones expect their rule, good ones do not."""
    result: list[Case] = []
    for number, (bad, good) in RULES.items():
        for kind, items in (("bad", bad), ("good", good)):
            for index, (extra, text) in enumerate(items, 1):
                expect = {_rule_id(n) for n in extra}
                if kind == "bad":
                    expect.add(_rule_id(number))
                name = f"df{number:03d}-{kind}{index}.Dockerfile"
                result.append(Case(name, frozenset(expect), text))
    for index, (expect, text) in enumerate(ALLOWLIST, 1):
        kind = "bad" if expect else "good"
        result.append(Case(f"df004-{kind}{index}.Dockerfile", expect, text, CONFIG_FOLDER))
    return result


def write_corpus(root: Path) -> dict[str, frozenset[str]]:
    """Write every case under `root` (with the allow-list config); path -> expected ids."""
    labels: dict[str, frozenset[str]] = {}
    (root / CONFIG_FOLDER).mkdir(parents=True, exist_ok=True)
    (root / CONFIG_FOLDER / ".sievert.yaml").write_text(CONFIG, encoding="utf-8")
    for case in cases():
        header = f"# expect: {', '.join(sorted(case.expect)) or 'none'}\n"
        (root / case.path).write_text(header + case.text, encoding="utf-8")
        labels[case.path] = case.expect
    return labels

"""Image references parsed the way Docker reads them: `alpine` is `docker.io/library/alpine:latest`.

Grammar (after the distribution project's reference grammar, written from its description):
`[domain/]path[:tag][@digest]`. The first `/`-separated component is a domain when it contains
a `.` or a `:`, is `localhost`, or has an upper-case letter; otherwise the name lives on Docker
Hub and a one-component name gets the `library/` namespace. A reference with neither tag nor
digest gets the tag `latest`.
"""

from __future__ import annotations

import re

import msgspec

from sievert.errors import UsageError

DOCKER_HUB = "docker.io"
DOCKER_HUB_API = "registry-1.docker.io"
LEGACY_HUB_NAMES = ("index.docker.io", "registry-1.docker.io", "registry.hub.docker.com")
DEFAULT_TAG = "latest"
MAX_NAME = 255

_COMPONENT = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*\Z")
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}\Z")
_DIGEST = re.compile(r"[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[A-Za-z0-9=_-]{32,}\Z")
_HEX = {"sha256": 64, "sha384": 96, "sha512": 128}
_LABEL = r"(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])"
_DOMAIN = re.compile(rf"(?:{_LABEL}(?:\.{_LABEL})*|\[[0-9A-Fa-f:.]+\])(?::[0-9]+)?\Z")


class Reference(msgspec.Struct, frozen=True):
    """A parsed, normalised image reference."""

    domain: str
    """Registry host[:port] as named ('docker.io' for Docker Hub)."""
    path: str
    """Repository path inside the registry ('library/alpine')."""
    tag: str = ""
    digest: str = ""

    @property
    def name(self) -> str:
        """'docker.io/library/alpine' (no tag, no digest)."""
        return f"{self.domain}/{self.path}"

    @property
    def api_host(self) -> str:
        """The host[:port] serving the distribution API ('registry-1.docker.io' for Docker Hub)."""
        return DOCKER_HUB_API if self.domain == DOCKER_HUB else self.domain

    @property
    def hostname(self) -> str:
        """The domain without its port (and without IPv6 brackets)."""
        host = self.domain
        if host.startswith("["):
            return host[1 : host.index("]")]
        return host.rsplit(":", 1)[0] if ":" in host else host

    @property
    def identifier(self) -> str:
        """What to ask the registry for: the digest when there is one, else the tag."""
        return self.digest or self.tag

    def with_digest(self, digest: str) -> Reference:
        """The same repository pinned to a digest (tag dropped)."""
        return Reference(self.domain, self.path, "", digest)

    def __str__(self) -> str:
        text = self.name
        if self.tag:
            text += f":{self.tag}"
        if self.digest:
            text += f"@{self.digest}"
        return text


def parse_reference(text: str) -> Reference:
    """Parse and normalise a reference; raises UsageError naming the reference and the fault."""
    raw = text.strip()
    if not raw:
        raise UsageError("empty image reference")
    name, digest = _split_digest(raw)
    name, tag = _split_tag(name, raw)
    domain, path = _split_domain(name, raw)
    for component in path.split("/"):
        _check_component(component, raw)
    if len(f"{domain}/{path}") > MAX_NAME:
        raise UsageError(f"invalid image reference {raw!r}: name longer than {MAX_NAME} characters")
    if not tag and not digest:
        tag = DEFAULT_TAG
    return Reference(domain, path, tag, digest)


def _split_digest(raw: str) -> tuple[str, str]:
    name, sep, digest = raw.partition("@")
    if not sep:
        return raw, ""
    if not _DIGEST.match(digest):
        raise UsageError(f"invalid image reference {raw!r}: malformed digest {digest!r}")
    algo, _, hexpart = digest.partition(":")
    want = _HEX.get(algo)
    if want is not None and (len(hexpart) != want or not re.fullmatch(r"[0-9a-f]+", hexpart)):
        raise UsageError(
            f"invalid image reference {raw!r}: a {algo} digest is {want} lower-case hex digits"
        )
    if want is None:
        raise UsageError(f"invalid image reference {raw!r}: unsupported digest algorithm {algo!r}")
    return name, digest


def _split_tag(name: str, raw: str) -> tuple[str, str]:
    slash = name.rfind("/")
    colon = name.rfind(":")
    if colon <= slash:
        return name, ""
    tag = name[colon + 1 :]
    if not _TAG.match(tag):
        raise UsageError(f"invalid image reference {raw!r}: malformed tag {tag!r}")
    return name[:colon], tag


def _split_domain(name: str, raw: str) -> tuple[str, str]:
    first, sep, rest = name.partition("/")
    is_domain = sep and (
        "." in first or ":" in first or first == "localhost" or first != first.lower()
    )
    if not is_domain:
        path = name if "/" in name else f"library/{name}"
        return DOCKER_HUB, path
    if not _DOMAIN.match(first):
        raise UsageError(f"invalid image reference {raw!r}: malformed registry host {first!r}")
    domain = DOCKER_HUB if first in LEGACY_HUB_NAMES else first
    if domain == DOCKER_HUB and "/" not in rest:
        rest = f"library/{rest}"
    return domain, rest


def _check_component(component: str, raw: str) -> None:
    if not component:
        raise UsageError(f"invalid image reference {raw!r}: empty repository path component")
    if component != component.lower() and _COMPONENT.match(component.lower()):
        raise UsageError(f"invalid image reference {raw!r}: repository name must be lowercase")
    if not _COMPONENT.match(component):
        raise UsageError(
            f"invalid image reference {raw!r}: malformed repository path component {component!r}"
        )

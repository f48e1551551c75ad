"""SV-DF-009, 010: downloads piped into a shell, downloads without checksum verification."""

from __future__ import annotations

import re
from collections.abc import Iterator

from sievert.checks.dockerfile.config import CheckConfig
from sievert.checks.dockerfile.rules._base import finding, make_rule, runs
from sievert.checks.dockerfile.shell import Command
from sievert.checks.dockerfile.syntax import Dockerfile
from sievert.model.checks import CheckFinding

PIPE = make_rule(
    9,
    "high",
    "Download piped into a shell or interpreter",
    "`curl URL | sh` runs whatever the server (or anyone on the path) sends, unreviewed and "
    "unverified, with the build's privileges.",
    "Download the script to a file, verify its sha256 (or signature), then run it; better, "
    "install from a package manager.",
)
UNVERIFIED = make_rule(
    10,
    "medium",
    "Download without checksum verification",
    "A file fetched with curl or wget and used without checking a pinned checksum or a "
    "signature can be swapped by a compromised mirror.",
    'Verify in the same RUN: `echo "$SHA256  file" | sha256sum -c -`, or check a GPG '
    "signature, or use `ADD --checksum=sha256:...`.",
)
DOWNLOADERS = frozenset({"curl", "wget", "fetch", "aria2c"})
VERIFIERS = frozenset(
    {
        "sha256sum",
        "sha512sum",
        "sha384sum",
        "sha1sum",
        "md5sum",
        "shasum",
        "b2sum",
        "cksum",
        "gpg",
        "gpg2",
        "gpgv",
        "cosign",
        "minisign",
        "signify",
        "slsa-verifier",
        "rpm",
        "openssl",
    }
)
"""`rpm --checksig`, `openssl dgst` count: any of these in the RUN is taken as a check."""
_SUBSHELL_DOWNLOAD = re.compile(r"(?:\$\(|<\(|`)\s*(curl|wget)\b")
_URL = re.compile(r"(?:https?|ftp)://", re.IGNORECASE)
_LOCAL = re.compile(r"(?:https?://)?(?:localhost|127\.0\.0\.1|\[::1\])(?:[:/]|$)", re.IGNORECASE)
_NO_BODY = frozenset({"-I", "--head", "--spider"})


def fed_downloaders(command: Command) -> set[str]:
    """The downloaders whose output an interpreter runs: `curl ... | sh`,
    `sh -c "$(curl ...)"`, `bash <(wget -O- ...)`; empty when `command` runs no download."""
    if not command.is_interpreter():
        return set()
    fed = {name for name in command.upstream if name in DOWNLOADERS}
    texts = [*command.raw, *(target for _, target in command.redirects)]
    return fed | {m.group(1) for text in texts for m in _SUBSHELL_DOWNLOAD.finditer(text)}


def pipes_to_interpreter(command: Command) -> bool:
    """A shell or interpreter runs what a download fetched."""
    return bool(fed_downloaders(command))


def check_pipe(dockerfile: Dockerfile, config: CheckConfig) -> Iterator[CheckFinding]:
    """A shell or interpreter reads a download."""
    for _, instruction, found in runs(dockerfile):
        hits = {c.name for c in found if pipes_to_interpreter(c)}
        if hits:
            message = f"a download is piped into {', '.join(sorted(hits))}"
            yield finding(PIPE, dockerfile, instruction, message)


def downloads(found: tuple[Command, ...]) -> list[Command]:
    """curl/wget commands that fetch a remote URL's body."""
    result = []
    for command in found:
        if command.name not in DOWNLOADERS or any(a in _NO_BODY for a in command.argv):
            continue
        urls = [a for a in command.argv[1:] if _URL.match(a) and not _LOCAL.match(a)]
        if urls:
            result.append(command)
    return result


def check_unverified(dockerfile: Dockerfile, config: CheckConfig) -> Iterator[CheckFinding]:
    """A RUN downloads with curl/wget and runs no checksum or signature tool."""
    for _, instruction, found in runs(dockerfile):
        if any(c.name in VERIFIERS for c in found):
            continue
        piped = {name for c in found for name in fed_downloaders(c)}
        fetched = [c for c in downloads(found) if c.name not in piped]
        if fetched:
            url = next(a for a in fetched[0].argv if _URL.match(a))
            yield finding(UNVERIFIED, dockerfile, instruction, f"{url} is downloaded unverified")

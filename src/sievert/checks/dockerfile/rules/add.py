"""SV-DF-006..008: ADD of a URL, ADD where COPY does, ADD of a remote archive."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

from sievert.checks.dockerfile.config import CheckConfig
from sievert.checks.dockerfile.parser import words
from sievert.checks.dockerfile.rules._base import finding, instructions, make_rule
from sievert.checks.dockerfile.syntax import Dockerfile, Instruction
from sievert.model.checks import CheckFinding

URL = make_rule(
    6,
    "medium",
    "ADD downloads a URL without a checksum",
    "ADD fetches the URL at build time with no integrity check: a compromised or changed "
    "server changes your image silently.",
    "Use `ADD --checksum=sha256:... URL dest`, or download with curl and verify a pinned "
    "sha256 in the same RUN.",
)
LOCAL = make_rule(
    7,
    "low",
    "ADD used where COPY does",
    "ADD has implicit behaviours (URL download, archive extraction) that surprise readers; "
    "COPY only copies.",
    "Use COPY for local files; keep ADD for local tar archives you want extracted.",
)
ARCHIVE = make_rule(
    8,
    "medium",
    "ADD of a remote archive",
    "ADD does not extract remote archives (only local ones), and does not verify them: the "
    "archive lands unverified in a layer, usually extracted again by a later RUN.",
    "Download, verify the checksum and extract in one RUN (`curl -fsSLo a.tgz URL && "
    "echo 'SHA  a.tgz' | sha256sum -c - && tar -xzf a.tgz && rm a.tgz`), or `ADD --checksum`.",
)
_REMOTE = re.compile(r"(?:https?|ftp)://|git@", re.IGNORECASE)
TAR_SUFFIXES = (
    ".tar",
    ".tar.gz",
    ".tgz",
    ".tar.bz2",
    ".tbz2",
    ".tbz",
    ".tar.xz",
    ".txz",
    ".tar.zst",
    ".tzst",
    ".tar.lz",
    ".tar.lzma",
    ".tlz",
)
REMOTE_ARCHIVES = (*TAR_SUFFIXES, ".zip", ".gz", ".bz2", ".xz", ".7z", ".jar", ".whl")


def sources(instruction: Instruction) -> list[str]:
    """The sources of a COPY or ADD (every argument but the destination)."""
    if instruction.json_form:
        items: list[str] = json.loads(instruction.expanded)
    else:
        items = words(instruction.expanded)
    return [item.strip("'\"") for item in items[:-1] if not item.startswith("<<")]


def _path(url: str) -> str:
    return url.split("?", 1)[0].split("#", 1)[0].lower()


def check_url(dockerfile: Dockerfile, config: CheckConfig) -> Iterator[CheckFinding]:
    """ADD of a URL that is not an archive, without `--checksum`."""
    for _, instruction in instructions(dockerfile, "ADD"):
        if instruction.flag("checksum"):
            continue
        for source in sources(instruction):
            if _REMOTE.match(source) and not _path(source).endswith(REMOTE_ARCHIVES):
                yield finding(URL, dockerfile, instruction, f"ADD downloads {source} unverified")


def check_archive(dockerfile: Dockerfile, config: CheckConfig) -> Iterator[CheckFinding]:
    """ADD of a remote archive, without `--checksum`."""
    for _, instruction in instructions(dockerfile, "ADD"):
        if instruction.flag("checksum"):
            continue
        for source in sources(instruction):
            if _REMOTE.match(source) and _path(source).endswith(REMOTE_ARCHIVES):
                message = f"ADD of the remote archive {source}: not extracted, not verified"
                yield finding(ARCHIVE, dockerfile, instruction, message)


def check_local(dockerfile: Dockerfile, config: CheckConfig) -> Iterator[CheckFinding]:
    """ADD whose sources are all local non-archives (or heredocs): COPY does the same."""
    for _, instruction in instructions(dockerfile, "ADD"):
        items = sources(instruction)
        if any(_REMOTE.match(s) or s.lower().endswith(TAR_SUFFIXES) or "$" in s for s in items):
            continue
        if items or instruction.heredocs:
            yield finding(LOCAL, dockerfile, instruction, "ADD of local files: use COPY")

"""Which source a target names: an explicit `kind:` prefix, else detection from what is on disk."""

from __future__ import annotations

import os
import re
from pathlib import Path

from sievert.errors import TargetNotFoundError
from sievert.source.base import OpenedImage, Source, SourceOptions
from sievert.source.oci import split_layout_target
from sievert.source.plugins import SOURCES

_PORT_AFTER_PREFIX = re.compile(r"\A\d+(?:/|\Z)")
_PATHLIKE = ("/", "./", "../", "~")
_ARCHIVE_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".oci", ".tar.zst")


def source_for(kind: str) -> Source:
    """The source of one kind, or TargetNotFoundError listing the kinds."""
    for source in SOURCES:
        if source.kind == kind:
            return source
    kinds = ", ".join(s.kind for s in SOURCES)
    raise TargetNotFoundError(f"unknown source kind {kind!r}; known: {kinds}")


def split_prefix(target: str) -> tuple[str, str]:
    """(`kind`, rest) for `kind:rest` with a known kind; ('', target) otherwise.

    `registry:5000/app` style host:port references are not mistaken for a prefix.
    """
    kind, sep, rest = target.partition(":")
    if not sep or kind not in {s.kind for s in SOURCES} or _PORT_AFTER_PREFIX.match(rest):
        return "", target
    return kind, rest


def open_target(target: str, options: SourceOptions) -> OpenedImage:
    """Open a target: `kind:` prefix forces the source, else the first source claiming it."""
    if not target.strip():
        raise TargetNotFoundError("no target given")
    kind, rest = split_prefix(target)
    if kind:
        return source_for(kind).open(rest, options)
    path, _ = split_layout_target(target)
    if not os.path.lexists(path) and _pathlike(target):
        raise TargetNotFoundError(f"{target}: no such file or directory")
    for source in SOURCES:
        if source.claims(target):
            return source.open(target, options)
    raise TargetNotFoundError(_unclaimed(target))


def _pathlike(target: str) -> bool:
    """Whether an unprefixed target is meant as a path (so never sent to a registry)."""
    return target.startswith(_PATHLIKE) or target.lower().endswith(_ARCHIVE_SUFFIXES)


def _unclaimed(target: str) -> str:
    """Why nothing claimed a target: missing, unreadable, or not an image format."""
    path, _ = split_layout_target(target)
    if not os.path.lexists(path):
        return f"{target}: not a file or directory, nor a valid image reference"
    if not os.access(path, os.R_OK):
        return f"{path}: cannot be read (permission denied)"
    if Path(path).is_file():
        return (
            f"{path}: not a docker-archive (tar with manifest.json) nor an OCI archive "
            "(tar with oci-layout and index.json)"
        )
    return f"{path}: not a file, directory or image reference sievert can read"

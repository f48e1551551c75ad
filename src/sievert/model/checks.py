"""Misconfiguration and secret findings reported by `sievert config` and `scan --scanners`."""

from __future__ import annotations

import msgspec

from sievert.model.severity import Severity


class Rule(msgspec.Struct, frozen=True):
    """A check's stable identity and the text users see."""

    id: str
    """Stable id, e.g. 'SV-DF-001' (Dockerfile), 'SV-IMG-001' (image), 'SV-SEC-001' (secret)."""
    severity: Severity
    title: str
    rationale: str = ""
    remediation: str = ""
    docs: str = ""
    """Path of the rule's documentation page in the repository, e.g. 'docs/rules/SV-DF-001.md'."""
    cis: str = ""
    """The CIS Docker Benchmark (v1.6.0) control the rule checks, e.g. '5.5' ('' when none)."""


class Region(msgspec.Struct, frozen=True):
    """Where a finding is: a file (Dockerfile, or a path in the image) and a line span."""

    path: str
    start_line: int = 0
    end_line: int = 0
    layer_index: int = -1
    """For image files and history lines: the layer concerned (-1 when not a layer)."""


class CheckFinding(msgspec.Struct, frozen=True):
    """A misconfiguration found in a Dockerfile or in the image's metadata or files."""

    rule: Rule
    message: str
    region: Region
    severity: Severity
    """The rule's severity, or the one a user's configuration re-rated it to."""
    instruction: str = ""
    """The Dockerfile instruction or history line concerned, as written."""
    suppressed_by: str = ""
    """Why it is suppressed ('inline: reason', 'config'), empty when active."""


class SecretFinding(msgspec.Struct, frozen=True):
    """A secret found in a layer file; the matched text is always redacted."""

    rule: Rule
    region: Region
    layer_digest: str
    redacted: str
    """The matched line with the secret masked, e.g. 'aws_secret_access_key = wJal************'."""
    deleted_later: bool = False
    """The file is deleted or replaced by a later layer but still ships in the image."""
    severity: Severity = Severity.UNKNOWN


class LayerSource(msgspec.Struct, frozen=True):
    """The Dockerfile instruction that made one image layer (from `scan --dockerfile`)."""

    layer_index: int
    path: str
    start_line: int
    end_line: int
    instruction: str
    """The instruction as written, continuation lines joined."""

"""A policy's verdict on a scan result: what triggered, what was suppressed and why."""

from __future__ import annotations

import msgspec

STOP = "stop"
WARN = "warn"
GO = "go"
ACTIONS = (GO, WARN, STOP)
"""Policy actions, weakest first: the verdict is the strongest action any rule triggered."""


class FindingRef(msgspec.Struct, frozen=True):
    """Points at one finding of a ScanResult: its kind and a stable key."""

    kind: str
    """'vulnerability', 'package', 'config', 'secret' or 'image'."""
    key: str
    """e.g. 'CVE-2024-1|pkg:deb/debian/openssl@3.0.11-1?arch=amd64|/var/lib/dpkg/status',
    'SV-DF-001|Dockerfile:3', 'SV-SEC-004|/app/.env:2', 'image'."""
    summary: str = ""
    """One line a person reads: 'CVE-2024-1 in openssl 3.0.11-1 (high, fixed in 3.0.13-1)'."""


class TriggeredRule(msgspec.Struct, frozen=True):
    """A policy rule that matched, with the findings behind it."""

    rule_id: str
    action: str
    description: str
    findings: tuple[FindingRef, ...] = ()


class Suppression(msgspec.Struct, frozen=True):
    """A finding an exception or a VEX statement took out of the verdict."""

    finding: FindingRef
    source: str
    """'exception' or 'vex:<file>'."""
    reason: str
    owner: str = ""
    ticket: str = ""
    expires: str = ""
    status: str = ""
    """For VEX: 'not_affected' or 'fixed' (with the justification in `reason`)."""


class PolicyVerdict(msgspec.Struct, frozen=True):
    """The outcome: the final action, every triggered rule, suppressions and expired exceptions."""

    policy: str
    action: str
    triggered: tuple[TriggeredRule, ...] = ()
    suppressed: tuple[Suppression, ...] = ()
    expired_exceptions: tuple[str, ...] = ()
    """Exceptions past their expiry date: they no longer suppress anything."""
    mapping: str = ""
    """The mapping (image reference pattern) that chose this policy."""
    base_image: str = ""
    """The detected base image reference, when known."""
    base_layers: int = 0
    """How many of the image's first layers belong to the base image."""

"""Whether a policy exception covers a subject (finding, package, or the image for a rule)."""

from __future__ import annotations

from sievert.model.checks import CheckFinding, SecretFinding
from sievert.model.finding import Finding
from sievert.model.policy import FindingRef, Suppression
from sievert.policy.context import Context, package_of
from sievert.policy.document import PolicyException
from sievert.policy.patterns import glob
from sievert.policy.purls import purl_matches


def covers(exc: PolicyException, ctx: Context, subject: object, rule_id: str = "") -> bool:
    """Whether every selector of the exception matches the subject.

    `rule` names a check rule (config and secret findings) or, with `rule_id` given, the
    policy rule that triggered on the subject.
    """
    if exc.image is not None:
        image = ctx.result.inventory.image
        if not exc.image.matches(ctx.image_ref, image.manifest_digest):
            return False
    if exc.rule and not _rule_matches(exc.rule, subject, rule_id):
        return False
    if exc.vulnerability and not _vulnerability_matches(exc.vulnerability, subject):
        return False
    if exc.package and not _package_matches(exc.package, subject):
        return False
    return not exc.secret_path or (
        isinstance(subject, SecretFinding) and glob(exc.secret_path, subject.region.path)
    )


def _rule_matches(pattern: str, subject: object, rule_id: str) -> bool:
    if rule_id:
        return glob(pattern, rule_id)
    return isinstance(subject, CheckFinding | SecretFinding) and glob(pattern, subject.rule.id)


def _vulnerability_matches(pattern: str, subject: object) -> bool:
    if not isinstance(subject, Finding):
        return False
    vuln = subject.vulnerability
    return any(glob(pattern, i) for i in (vuln.id, *vuln.aliases))


def _package_matches(spec: str, subject: object) -> bool:
    package = package_of(subject)
    if package is None:
        return False
    if spec.startswith("pkg:"):
        return purl_matches(spec, package.purl)
    name, _, version = spec.partition("@")
    return glob(name, package.name) and (not version or version == package.version)


def suppression(exc: PolicyException, ref: FindingRef) -> Suppression:
    """The record of an exception suppressing a finding."""
    return Suppression(
        finding=ref,
        source="exception",
        reason=exc.reason,
        owner=exc.owner,
        ticket=exc.ticket,
        expires=exc.expires.isoformat() if exc.expires else "",
    )


def expired_label(exc: PolicyException) -> str:
    """'exceptions[2] (CVE-2024-1, owner team-a, expired 2024-05-01)'."""
    what = exc.vulnerability or exc.package or exc.rule or exc.secret_path
    what = what or (exc.image.text if exc.image else "")
    expires = exc.expires.isoformat() if exc.expires else ""
    return f"{exc.label} ({what}, owner {exc.owner}, expired {expires})"

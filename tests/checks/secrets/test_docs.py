"""The docs pages `docs/rules/SV-SEC-*.md` and `SV-IMG-*.md` match the rules they describe.

Regenerate with `SIEVERT_UPDATE_GOLDEN=1 pytest tests/checks/secrets/test_docs.py` and review.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sievert.checks.image import IMAGE_RULES
from sievert.checks.secrets import SECRET_RULES
from sievert.checks.secrets.rule import SecretRule
from sievert.model.checks import Rule

REPO = Path(__file__).resolve().parents[3]
UPDATE = os.environ.get("SIEVERT_UPDATE_GOLDEN") == "1"


def page(rule: Rule, secret: SecretRule | None = None) -> str:
    """The markdown page of one rule."""
    lines = [
        f"# {rule.id}: {rule.title}",
        "",
        f"Severity: **{rule.severity}**. Scanner: "
        + (
            "`secret` (`sievert scan --scanners secret`)."
            if secret
            else "`config` (`sievert scan --scanners config`)."
        ),
        "",
        "## Why it matters",
        "",
        rule.rationale,
        "",
        "## How to fix",
        "",
        rule.remediation,
    ]
    if secret is not None:
        lines += ["", "## Detection", ""]
        lines.append("Keywords (prefilter): " + ", ".join(f"`{k}`" for k in secret.keywords) + ".")
        if secret.paths:
            lines.append("Only in: " + ", ".join(f"`{p}`" for p in secret.paths) + ".")
        if secret.entropy:
            lines.append(f"Minimum entropy of the secret: {secret.entropy} bits per character.")
        lines.append(
            "Matches containing `example` or `placeholder`, and placeholder values, are ignored. "
            "Reported lines are always masked."
        )
    return "\n".join(lines) + "\n"


PAGES = {r.rule.docs: page(r.rule, r) for r in SECRET_RULES} | {
    r.docs: page(r) for r in IMAGE_RULES
}


@pytest.mark.parametrize("docs", sorted(PAGES))
def test_docs_page_matches_rule(docs: str) -> None:
    path = REPO / docs
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(PAGES[docs], encoding="utf-8")
    assert path.is_file(), f"missing {docs}; run with SIEVERT_UPDATE_GOLDEN=1"
    assert path.read_text(encoding="utf-8") == PAGES[docs]

"""An exception added from the UI keeps the policy's text as written (comments, order,
quoting) wherever the list can be extended in place, and is written anew only otherwise."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from sievert.service.ui.policies import appended_to_list

ITEM = {
    "vulnerability": "CVE-2024-0001",
    "owner": "sec",
    "reason": "no fix",
    "expires": "2099-01-01",
}


def _expected(text: str) -> dict[str, Any]:
    document = yaml.safe_load(text)
    document["exceptions"] = [*(document["exceptions"] or []), ITEM]
    return dict(document)


KEPT = {
    "indented": """# our gate
rules:
  - id: no-critical  # the main one
    deny: {severity: critical}
exceptions:
  # reviewed monthly
  - vulnerability: CVE-2023-1111
    owner: team-a
    reason: "not reachable"
    expires: 2099-02-01
""",
    "flush": """exceptions:
- vulnerability: CVE-2023-1111
  owner: team-a
  reason: x
  expires: 2099-02-01
# trailing note
rules: []
""",
    "empty list then key": """exceptions:   # none yet
rules: []  # keep me
""",
    "no final newline": (
        "rules: []\nexceptions:\n  - package: zlib\n    owner: o\n    reason: r\n"
        "    expires: 2099-01-01"
    ),
}


@pytest.mark.parametrize("name", sorted(KEPT))
def test_the_list_is_extended_in_place(name: str) -> None:
    text = KEPT[name]
    edited = appended_to_list(text, "exceptions", ITEM, _expected(text))
    assert edited is not None
    assert yaml.safe_load(edited) == _expected(text)
    kept = [line for line in text.splitlines() if line.strip()]
    assert [line for line in edited.splitlines() if line in kept] == kept  # every line stays


@pytest.mark.parametrize(
    "text",
    [
        "exceptions: []\nrules: []\n",  # flow style
        "rules: []\n",  # no list at all
        "exceptions: [{package: a, owner: o, reason: r, expires: 2099-01-01}]\n",
    ],
)
def test_other_shapes_are_left_to_a_rewrite(text: str) -> None:
    document = yaml.safe_load(text)
    expected = {**document, "exceptions": [*(document.get("exceptions") or []), ITEM]}
    assert appended_to_list(text, "exceptions", ITEM, expected) is None

"""Every secret rule against its case folder: each bad file is found, no good file is."""

from __future__ import annotations

from pathlib import Path

import pytest

from sievert.checks.secrets import RULES_BY_ID, SECRET_RULES, SecretConfig, scan_text
from sievert.checks.secrets.engine import MAX_LINE, SecretEngine
from sievert.model.severity import Severity

CASES = Path(__file__).parent / "cases"
REPO = Path(__file__).resolve().parents[3]


def _files(rule_id: str, kind: str) -> list[tuple[str, bytes]]:
    root = CASES / rule_id / kind
    return sorted(
        (p.relative_to(root).as_posix(), p.read_bytes()) for p in root.rglob("*") if p.is_file()
    )


@pytest.mark.parametrize("rule_id", sorted(RULES_BY_ID))
def test_bad_cases_are_found_and_redacted(rule_id: str) -> None:
    files = _files(rule_id, "bad")
    assert files, f"no bad case for {rule_id}"
    for path, data in files:
        found = [m for m in scan_text(path, data) if m.rule_id == rule_id]
        assert found, f"{rule_id} missed {path}"
        for match in found:
            assert "*" in match.redacted
            assert len(match.redacted) <= MAX_LINE + 2


@pytest.mark.parametrize("rule_id", sorted(RULES_BY_ID))
def test_good_cases_are_not_found(rule_id: str) -> None:
    files = _files(rule_id, "good")
    assert files, f"no good case for {rule_id}"
    for path, data in files:
        assert [m.rule_id for m in scan_text(path, data) if m.rule_id == rule_id] == [], path


def test_rules_are_complete_and_documented() -> None:
    assert len(SECRET_RULES) >= 50
    assert [r.id for r in SECRET_RULES] == [f"SV-SEC-{n:03d}" for n in range(1, 69)]
    for rule in SECRET_RULES:
        assert rule.keywords and isinstance(rule.rule.severity, Severity)
        assert rule.rule.rationale and rule.rule.remediation
        assert (REPO / rule.rule.docs).is_file(), rule.rule.docs


def test_no_secret_survives_redaction() -> None:
    for rule in SECRET_RULES:
        for path, data in _files(rule.id, "bad"):
            group = "secret" if "secret" in rule.regex.groupindex else 0
            secrets = [m.group(group) for m in rule.regex.finditer(data.decode())]
            assert secrets
            shown = " ".join(m.redacted for m in scan_text(path, data))
            for secret in secrets:
                assert secret not in shown and secret[4:] not in shown, (rule.id, path)


def test_binary_large_and_allow_listed_files_are_skipped() -> None:
    (path, data) = _files("SV-SEC-014", "bad")[0]
    assert scan_text(path, data)
    assert scan_text(path, b"\0" + data) == []
    assert scan_text("usr/share/doc/app/README", data) == []
    assert scan_text("app/node_modules/x/test/fixture.sh", data) == []
    small = SecretConfig(max_size=len(data) - 1)
    assert scan_text(path, data, small) == []
    assert scan_text("usr/share/doc/app/README", data, SecretConfig(allow_paths=())) != []
    assert scan_text(path, data, SecretConfig(disabled_rules=("SV-SEC-014",))) == []


def test_same_text_is_reported_once_by_the_most_specific_rule() -> None:
    (path, data) = _files("SV-SEC-065", "bad")[0]  # also a password in a URL (SV-SEC-066)
    assert [m.rule_id for m in scan_text(path, data)] == ["SV-SEC-065"]


def test_long_lines_are_cut_around_the_secret() -> None:
    (_, data) = _files("SV-SEC-014", "bad")[0]
    line = b"x = 1; " * 200 + data.strip() + b" ; y = 2" * 200
    (match,) = SecretEngine().scan("app/min.js", line)
    assert "ghp_****" in match.redacted
    assert match.redacted.startswith("…") and match.redacted.endswith("…")


def test_multiline_key_spans_its_lines() -> None:
    (path, data) = _files("SV-SEC-001", "bad")[0]
    (match,) = scan_text(path, data)
    assert (match.start_line, match.end_line) == (1, 7)
    assert match.redacted == "-----BEGIN RSA PRIVATE KEY----- ********"

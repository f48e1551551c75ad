"""`sievert config` on the labelled corpus: every expected rule found, nothing else (100%, 0 FP)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from sievert.checks.dockerfile.rules import DOCKERFILE_RULES
from tests.checks.dockerfile.labelled import cases, write_corpus
from tests.clitools import run_sievert


def test_corpus_covers_every_rule_flagged_and_clean() -> None:
    found = cases()
    assert len(found) >= 150
    assert len({case.path for case in found}) == len(found)
    flagged = Counter(rule for case in found for rule in case.expect)
    clean = Counter(case.name[:5] for case in found if f"SV-DF-{case.name[2:5]}" not in case.expect)
    for entry in DOCKERFILE_RULES:
        number = entry.rule.id[-3:]
        assert flagged[entry.rule.id] >= 2, entry.rule.id
        assert clean[f"df{number}"] >= 2, entry.rule.id


def test_sievert_finds_every_label_and_nothing_else(tmp_path: Path) -> None:
    labels = write_corpus(tmp_path)
    proc = run_sievert("config", str(tmp_path), "-f", "json")
    assert proc.returncode == 0, proc.stderr
    reported: dict[str, set[str]] = {path: set() for path in labels}
    for finding in json.loads(proc.stdout)["findings"]:
        path = Path(finding["file"]).relative_to(tmp_path).as_posix()
        reported[path].add(finding["ruleId"])
    wrong = {
        path: {"missed": sorted(expect - reported[path]), "extra": sorted(reported[path] - expect)}
        for path, expect in labels.items()
        if reported[path] != expect
    }
    assert wrong == {}

"""load_scan_result rebuilds the ScanResult the real scan JSON writer wrote."""

from __future__ import annotations

import io
import json

import pytest
from msgspec.structs import replace

from sievert.errors import ParseError
from sievert.model.finding import ScanResult
from sievert.policy import evaluate
from sievert.policy.result_input import load_scan_result
from sievert.report.scan.native import ScanJsonWriter
from tests.policy.helpers import NOW, one_rule, scan
from tests.report.scan_results import odd_scan


def _json(result: ScanResult) -> str:
    out = io.StringIO()
    ScanJsonWriter(version=lambda: "0.0.0").write(result, out)
    return out.getvalue()


@pytest.mark.parametrize("make", [scan, odd_scan])
def test_round_trip_is_exact(make: object) -> None:
    result = make()  # type: ignore[operator]
    text = _json(result)
    loaded = load_scan_result(json.loads(text))
    assert _json(loaded) == text


def test_round_trip_keeps_what_policies_read() -> None:
    result = scan()
    loaded = load_scan_result(json.loads(_json(result)))
    assert loaded.findings == result.findings
    assert loaded.config_findings[0].region == result.config_findings[0].region
    assert loaded.secret_findings == tuple(
        replace(s, severity=s.rule.severity) for s in result.secret_findings
    )
    assert loaded.inventory.image == result.inventory.image
    assert sorted(loaded.inventory.packages, key=repr) == sorted(
        result.inventory.packages, key=repr
    )
    assert (loaded.db_built, loaded.scanners) == (result.db_built, result.scanners)
    policy = one_rule("{severity: medium}")
    assert evaluate(loaded, policy, now=NOW) == evaluate(result, policy, now=NOW)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "not a Sievert scan JSON document"),
        ({"image": {}, "findings": []}, "malformed Sievert scan JSON document"),
        ({"image": {"reference": "x"}, "findings": [{"id": "CVE-1"}]}, "malformed"),
    ],
)
def test_bad_documents(data: object, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        load_scan_result(data)

"""The fast JSON text is the stdlib's text, byte for byte, whatever the document holds."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from sievert.model import Severity
from sievert.report import jsontext
from sievert.report.jsontext import json_text


def stdlib(document: Any) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False)


def refuse(*args: Any, **kwargs: Any) -> str:
    raise AssertionError("stdlib encoder used")


SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()  # includes control characters and lone surrogates
)
DOCUMENTS = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=30,
)


@settings(max_examples=400)
@given(DOCUMENTS)
def test_same_text_as_the_stdlib(document: Any) -> None:
    assert json_text(document) == stdlib(document)


def test_floats_the_encoders_spell_differently_are_rewritten(monkeypatch: Any) -> None:
    document = {
        "epss": 1e-05,
        "tiny": [4.2e-07, -0.00001, 2.5e-10],
        "big": 1e16,
        "cvss": 7.5,
        'a "quoted": 0.00001 key': 1e-05,
        "text": 'not a value": 0.00001',
    }
    expected = stdlib(document)
    monkeypatch.setattr(jsontext.json, "dumps", refuse)
    assert json_text(document) == expected
    assert '"epss": 1e-05' in expected


def test_what_orjson_refuses_falls_back() -> None:
    for document in ({"path": "caf\udce9"}, {"n": 2**80}, ("a", ("b",))):
        assert json_text(document) == stdlib(document)


def test_keys_that_are_not_plain_strings(monkeypatch: Any) -> None:
    """Severity counts are keyed by a StrEnum; ints and None keys read as the stdlib writes."""
    document = {Severity.HIGH: 2, Severity.LOW: 0, 7: "int", None: "none", True: "bool"}
    expected = stdlib(document)
    monkeypatch.setattr(jsontext.json, "dumps", refuse)
    assert json_text(document) == expected


def test_the_fast_path_runs_for_an_ordinary_document(monkeypatch: Any) -> None:
    """Not vacuous: a plain report never reaches the stdlib encoder."""
    document = {"name": "zlib", "epoch": None, "files": ["/usr/lib/x"], "score": 9.8, "n": 3}
    expected = stdlib(document)
    monkeypatch.setattr(jsontext.json, "dumps", refuse)
    assert json_text(document) == expected


def test_scan_and_sbom_documents_take_the_fast_path(monkeypatch: Any) -> None:
    """The real document shapes (severity keys, EPSS and CVSS floats) never need the stdlib."""
    from sievert.report.sbom.native import inventory_document
    from sievert.report.scan.native import scan_document
    from tests.report.inventories import odd_inventory, small_inventory
    from tests.report.scan_results import empty_scan, odd_scan, small_scan

    documents = [scan_document(r, "1.0") for r in (small_scan(), odd_scan(), empty_scan())]
    documents += [inventory_document(i, "1.0") for i in (small_inventory(), odd_inventory())]
    expected = [stdlib(d) for d in documents]
    monkeypatch.setattr(jsontext.json, "dumps", refuse)
    assert [json_text(d) for d in documents] == expected

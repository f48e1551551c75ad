"""The fast JSON text is the stdlib's text, byte for byte, whatever the document holds."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from sievert.model import Severity
from sievert.report import jsontext
from sievert.report.jsontext import json_text, write_json


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


DOCUMENT = {"name": "zlib", "text": "caf\u00e9 \u2603", "epss": 1e-05, "n": [1, 2.5]}


def test_a_file_sievert_opened_takes_the_bytes_as_they_are(tmp_path: Path) -> None:
    from sievert.files import open_output, utf8_sink

    target = tmp_path / "out.json"
    with open_output(target) as out:
        assert utf8_sink(out) is not None  # not vacuous: the bytes path is taken
        out.write("before\n")
        write_json(DOCUMENT, out)
        out.write("after\n")
    expected = "before\n" + stdlib(DOCUMENT) + "\nafter\n"
    assert target.read_bytes() == expected.encode()


def test_other_streams_get_text(tmp_path: Path) -> None:
    from sievert.files import utf8_sink

    text = io.StringIO()
    write_json(DOCUMENT, text)
    assert text.getvalue() == stdlib(DOCUMENT) + "\n"
    with (tmp_path / "crlf.json").open("w", encoding="utf-8", newline="\r\n") as crlf:
        assert utf8_sink(crlf) is None  # someone else's stream may translate newlines
        write_json(DOCUMENT, crlf)
    assert (tmp_path / "crlf.json").read_bytes() == (stdlib(DOCUMENT) + "\n").replace(
        "\n", "\r\n"
    ).encode()
    with (tmp_path / "latin.json").open("w", encoding="latin-1") as latin:
        assert utf8_sink(latin) is None


def test_what_orjson_refuses_is_written_as_text(tmp_path: Path) -> None:
    from sievert.files import open_output

    target = tmp_path / "odd.json"
    with open_output(target) as out:
        write_json({"n": 2**80}, out)
    assert target.read_text() == stdlib({"n": 2**80}) + "\n"


def test_stdout_takes_the_bytes_and_keeps_the_order() -> None:
    code = (
        "import sys\n"
        "from sievert.files import utf8_sink\n"
        "from sievert.report.jsontext import write_json\n"
        "sys.stdout.write(str(utf8_sink(sys.stdout) is not None) + '\\n')\n"
        f"write_json({DOCUMENT!r}, sys.stdout)\n"
        "print('end')\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
        check=True,
    )
    assert proc.stdout == ("True\n" + stdlib(DOCUMENT) + "\nend\n").encode()

"""User templates: sandbox, autoescaping by name, option and env, the contrib examples."""

from __future__ import annotations

import csv
import io
from html.parser import HTMLParser
from pathlib import Path

import pytest
from msgspec.structs import replace

from sievert.errors import UsageError
from sievert.model.finding import ScanResult
from sievert.report.plugins import scan_writer_for
from sievert.report.scan.template import TEMPLATE_ENV, TemplateWriter, csv_field, wants_escaping
from tests.report.scan_results import empty_scan, odd_scan, small_scan
from tests.report.verdict_results import verdict_scan

CONTRIB = Path(__file__).parents[2] / "contrib" / "templates"


def _render(template: Path | str, result: ScanResult) -> str:
    out = io.StringIO()
    TemplateWriter(str(template), version=lambda: "0.0.0-test").write(result, out)
    return out.getvalue()


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_example_parses_back() -> None:
    rows = list(csv.DictReader(io.StringIO(_render(CONTRIB / "csv.j2", small_scan()))))
    assert len(rows) == 6
    assert rows[0]["id"] == "CVE-2024-0001" and rows[0]["kev"] == "true"
    assert rows[4]["fixed"] == "2.6.2, 2.7.0"  # quoted field with a comma
    assert rows[0]["url"] == "https://nvd.nist.gov/vuln/detail/CVE-2024-0001"


def test_csv_example_keeps_awkward_text_in_one_field() -> None:
    text = _render(CONTRIB / "csv.j2", odd_scan())
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 3
    assert all(len(row) == 12 for row in rows)


def test_csv_example_marks_suppressed() -> None:
    rows = list(csv.DictReader(io.StringIO(_render(CONTRIB / "csv.j2", verdict_scan()))))
    suppressed = [row["package"] for row in rows if row["suppressed"]]
    assert suppressed == ["requests", "json"]


def test_csv_example_with_no_findings() -> None:
    assert _render(CONTRIB / "csv.j2", empty_scan()).splitlines()[1:] == []


class _Cells(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows = 0
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.rows += tag == "tr"
        self.scripts += tag == "script"


def test_html_table_example_escapes() -> None:
    result = small_scan()
    vuln = replace(result.findings[0].vulnerability, id="<script>alert(1)</script>")
    hostile = replace(result, findings=(replace(result.findings[0], vulnerability=vuln),))
    text = _render(CONTRIB / "html-table.html.j2", hostile)
    parser = _Cells()
    parser.feed(text)
    assert parser.scripts == 0
    assert "&lt;script&gt;" in text
    parser = _Cells()
    parser.feed(_render(CONTRIB / "html-table.html.j2", small_scan()))
    assert parser.rows == 7  # header and six findings


def test_autoescape_only_for_markup_names(tmp_path: Path) -> None:
    text = "{{ '<b>' }}"
    assert _render(_write(tmp_path, "a.txt", text), small_scan()) == "<b>"
    assert _render(_write(tmp_path, "a.html", text), small_scan()) == "&lt;b&gt;"
    assert wants_escaping("x.html.j2") and wants_escaping("x.XML")
    assert not wants_escaping("x.csv.j2") and not wants_escaping(None)


def test_sandbox_blocks_python_internals(tmp_path: Path) -> None:
    path = _write(tmp_path, "evil.txt", "{{ ''.__class__.__mro__[1].__subclasses__() }}")
    with pytest.raises(UsageError, match=r"evil\.txt"):
        _render(path, small_scan())


def test_context_has_report_status_and_verdict(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "t.txt",
        "{{ status }} {{ summary.critical }} {{ report.findings|length }} {{ verdict.policy }}",
    )
    assert _render(path, verdict_scan()) == "FAIL 1 6 production"


def test_errors_name_the_file_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "bad.txt", "ok\n{% for %}")
    with pytest.raises(UsageError, match=r"bad\.txt:2"):
        _render(path, small_scan())
    with pytest.raises(UsageError, match=r"undefined|nope"):
        _render(_write(tmp_path, "u.txt", "{{ nope }}"), small_scan())
    with pytest.raises(UsageError, match="no such file"):
        _render(tmp_path / "missing.j2", small_scan())


def test_path_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TEMPLATE_ENV, str(_write(tmp_path, "e.txt", "{{ status }}")))
    out = io.StringIO()
    scan_writer_for("template").write(small_scan(), out)
    assert out.getvalue() == "FINDINGS"
    monkeypatch.delenv(TEMPLATE_ENV)
    with pytest.raises(UsageError, match="--template"):
        scan_writer_for("template").write(small_scan(), io.StringIO())


@pytest.mark.parametrize(
    ("value", "expected"),
    [("plain", "plain"), ("a,b", '"a,b"'), ('say "hi"', '"say ""hi"""'), (None, "")],
)
def test_csv_field(value: object, expected: str) -> None:
    assert csv_field(value) == expected

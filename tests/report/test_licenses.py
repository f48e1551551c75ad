"""Sorting declared licences into SPDX ids, expressions and free text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sievert.report import licenses
from sievert.report.licenses import (
    LicenseTerm,
    classify,
    classify_all,
    cyclonedx_licenses,
    license_ref,
    spdx_expression,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("MIT", LicenseTerm("id", "MIT")),
        ("mit", LicenseTerm("id", "MIT")),
        ("GPL-2.0+", LicenseTerm("id", "GPL-2.0-or-later")),
        ("MIT or Apache-2.0", LicenseTerm("expression", "MIT OR Apache-2.0")),
        (
            "GPL-2.0-only WITH Classpath-exception-2.0",
            LicenseTerm("expression", "GPL-2.0-only WITH Classpath-exception-2.0"),
        ),
        ("GPL-2+", LicenseTerm("text", "GPL-2+")),
        ("Custom Licence v1", LicenseTerm("text", "Custom Licence v1")),
        ("LicenseRef-foo", LicenseTerm("text", "LicenseRef-foo")),
        (
            "LicenseRef-scancode-public-domain",
            LicenseTerm("text", "LicenseRef-scancode-public-domain"),
        ),
        ("MIT AND (", LicenseTerm("text", "MIT AND (")),
    ],
)
def test_classify(text: str, expected: LicenseTerm) -> None:
    assert classify(text) == expected


def test_classify_all_drops_blanks_and_repeats() -> None:
    assert classify_all(("MIT", "mit", " ", "", "BSD")) == [
        LicenseTerm("id", "MIT"),
        LicenseTerm("text", "BSD"),
    ]


def test_license_ref_is_stable_valid_and_distinct() -> None:
    ref = license_ref("Licence publique générale")
    assert ref == license_ref("Licence publique générale")
    assert ref != license_ref("Licence publique generale")
    assert ref.startswith("LicenseRef-Licence-publique-g")
    assert all(c.isascii() and (c.isalnum() or c in ".-") for c in ref)


def test_spdx_expression() -> None:
    assert spdx_expression(()) == ("NOASSERTION", {})
    assert spdx_expression(("MIT OR Apache-2.0",)) == ("MIT OR Apache-2.0", {})
    expression, extracted = spdx_expression(("MIT OR Apache-2.0", "BSD"))
    ref = license_ref("BSD")
    assert expression == f"(MIT OR Apache-2.0) AND {ref}"
    assert extracted == {ref: "BSD"}


def test_cyclonedx_choices() -> None:
    assert cyclonedx_licenses(()) == []
    assert cyclonedx_licenses(("MIT", "BSD")) == [
        {"license": {"id": "MIT"}},
        {"license": {"name": "BSD"}},
    ]
    assert cyclonedx_licenses(("MIT", "ISC OR 0BSD")) == [{"expression": "MIT AND (ISC OR 0BSD)"}]
    assert cyclonedx_licenses(("ISC OR 0BSD", "odd")) == [
        {"license": {"name": "ISC OR 0BSD"}},
        {"license": {"name": "odd"}},
    ]


DEBIAN_COPYRIGHT_TEXTS = [
    "and/or GPL-3+",
    "GPL-2+ and/or LGPL-2.1+",
    "BSD-3-clause or GPL-2+ with OpenSSL exception",
    "public-domain and/or",
    "(MIT",
    "WITH",
    "Apache-2.0 WITH",
    "GPL-2.0 or or MIT",
]


@pytest.mark.parametrize("text", DEBIAN_COPYRIGHT_TEXTS)
def test_text_that_breaks_license_expression_is_free_text(text: str) -> None:
    term = classify(text)
    assert term == LicenseTerm("text", text)
    expression, extracted = spdx_expression((text, "MIT"))
    ref = license_ref(text)
    assert expression == f"{ref} AND MIT"
    assert extracted == {ref: text}
    assert cyclonedx_licenses((text,)) == [{"license": {"name": text}}]


@given(st.lists(st.text(max_size=60), max_size=4))
def test_any_licence_text_gives_valid_spdx_and_cyclonedx(texts: list[str]) -> None:
    expression, extracted = spdx_expression(tuple(texts))
    for ref in extracted:
        assert ref.startswith("LicenseRef-")
        assert all(c.isascii() and (c.isalnum() or c in ".-") for c in ref)
        assert ref in expression
    for entry in cyclonedx_licenses(tuple(texts)):
        assert set(entry) <= {"license", "expression"}


# The licensing without ScanCode's LicenseRef-only entries parses as the whole index does.
def whole(text: str) -> tuple[str, list[str]] | None:
    """What `_spdx` answered with license_expression's whole SPDX licensing."""
    try:
        return licenses.parse_with(licenses._whole_licensing(), text)
    except Exception:
        return None


def index_names() -> list[str]:
    """Every SPDX id and alias of the vendored index."""
    return sorted(
        {
            name
            for entry in licenses._index()
            if entry.get("spdx_license_key")
            for name in (entry["spdx_license_key"], *entry["other_spdx_license_keys"])
        }
    )


def test_what_is_left_out_is_named_only_by_single_word_licenseref_ids() -> None:
    left_out = licenses._left_out()
    assert len(left_out) > 1000  # most of the index: what makes the licensing cheaper
    assert all(name.startswith("licenseref-") and name.split() == [name] for name in left_out)
    assert "licenseref-apache-2.0" not in left_out  # an alias of Apache-2.0 stays


def test_every_id_and_alias_parses_as_with_the_whole_index() -> None:
    for name in index_names():
        for text in (name, f"MIT OR ({name.lower()})"):
            assert licenses._spdx(text) == whole(text), text


WORDS = st.sampled_from(
    [
        *index_names()[::7],
        "LicenseRef-scancode-public-domain",
        "LicenseRef-Apache-2.0",
        "licenseref-scancode-bsla",
        "GPL-2+",
        "BSD-3-clause",
        "public-domain",
        "custom",
        "Classpath-exception-2.0",
    ]
)
OPERATORS = st.sampled_from([" AND ", " OR ", " WITH ", " and ", " or ", " with ", " ", ", "])


@given(st.lists(st.tuples(WORDS, OPERATORS), min_size=1, max_size=4), st.booleans())
def test_expressions_parse_as_with_the_whole_index(
    parts: list[tuple[str, str]], grouped: bool
) -> None:
    text = "".join(word + op for word, op in parts)[: -len(parts[-1][1]) or None]
    text = f"({text})" if grouped else text
    assert licenses._spdx(text) == whole(text)

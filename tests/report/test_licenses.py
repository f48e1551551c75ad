"""Sorting declared licences into SPDX ids, expressions and free text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

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

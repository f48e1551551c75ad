"""Sorting declared licences into SPDX ids, expressions and free text."""

from __future__ import annotations

import pytest

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

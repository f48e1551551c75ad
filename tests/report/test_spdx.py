"""SPDX 2.3 output: parsed and validated by spdx-tools offline, with relationships and licences."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from sievert.model import Inventory
from sievert.report.sbom.spdx import SpdxJsonWriter
from tests.report.inventories import FIXED_STAMP, fixed_stamp, odd_inventory, small_inventory
from tests.schemas import spdx_errors


def _text(inventory: Inventory) -> str:
    out = io.StringIO()
    SpdxJsonWriter(stamp=fixed_stamp).write(inventory, out)
    return out.getvalue()


def _doc(inventory: Inventory) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(_text(inventory))
    return result


def _package(doc: dict[str, Any], name: str) -> dict[str, Any]:
    (package,) = [p for p in doc["packages"] if p["name"] == name]
    return package


@pytest.mark.usefixtures("no_network")
@pytest.mark.parametrize("build", [small_inventory, odd_inventory])
def test_spdx_tools_validates_with_no_messages(build: Any) -> None:
    assert spdx_errors(_doc(build())) == []


@pytest.mark.usefixtures("no_network")
def test_validator_reports_an_undefined_licence_ref() -> None:
    doc = _doc(small_inventory())
    doc["packages"][2]["licenseDeclared"] = "LicenseRef-undefined"
    assert spdx_errors(doc) != []


def test_document_header() -> None:
    doc = _doc(small_inventory())
    assert doc["spdxVersion"] == "SPDX-2.3"
    assert doc["dataLicense"] == "CC0-1.0"
    assert doc["SPDXID"] == "SPDXRef-DOCUMENT"
    assert doc["creationInfo"] == {
        "created": "2024-05-17T12:30:45Z",
        "creators": ["Tool: sievert-0.0.0-test"],
    }
    assert str(FIXED_STAMP.serial) in doc["documentNamespace"]


def test_image_and_distro_packages() -> None:
    doc = _doc(small_inventory())
    image, distro = doc["packages"][0], doc["packages"][1]
    assert image["primaryPackagePurpose"] == "CONTAINER"
    assert image["checksums"] == [{"algorithm": "SHA256", "checksumValue": "9" * 64}]
    assert distro["primaryPackagePurpose"] == "OPERATING-SYSTEM"
    assert (distro["name"], distro["versionInfo"]) == ("debian", "12")


def test_package_fields() -> None:
    doc = _doc(small_inventory())
    libc = _package(doc, "libc6")
    assert libc["versionInfo"] == "2.36-9+deb12u4"
    assert libc["supplier"] == "Person: GNU Libc Maintainers (debian-glibc@lists.debian.org)"
    assert libc["originator"] == "NOASSERTION"
    assert libc["downloadLocation"] == "NOASSERTION"
    assert libc["licenseConcluded"] == "NOASSERTION"
    assert libc["licenseDeclared"] == "LGPL-2.1-only AND GPL-2.0-or-later"
    assert libc["filesAnalyzed"] is False
    assert libc["externalRefs"] == [
        {
            "referenceCategory": "PACKAGE-MANAGER",
            "referenceType": "purl",
            "referenceLocator": "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12",
        }
    ]
    assert "layer 0 (aaaaaaaaaaaa)" in libc["sourceInfo"]
    assert _package(doc, "bash")["supplier"] == "NOASSERTION"


def test_free_text_licences_become_defined_licence_refs() -> None:
    doc = _doc(small_inventory())
    declared = _package(doc, "ruby3.1")["licenseDeclared"]
    assert declared.startswith("BSD-2-Clause AND LicenseRef-Ruby-licence-text-")
    ref = declared.split(" AND ")[1]
    assert doc["hasExtractedLicensingInfos"] == [
        {"licenseId": ref, "extractedText": "Ruby-licence-text", "name": "Ruby-licence-text"}
    ]


def test_relationships() -> None:
    doc = _doc(small_inventory())
    ids = {p["name"]: p["SPDXID"] for p in doc["packages"]}
    rels = {(r["spdxElementId"], r["relationshipType"], r["relatedSpdxElement"])
            for r in doc["relationships"]}  # fmt: skip
    image = ids["registry.example/team/app:1.2"]
    assert ("SPDXRef-DOCUMENT", "DESCRIBES", image) in rels
    assert (image, "CONTAINS", ids["debian"]) in rels
    assert (image, "CONTAINS", ids["libc6"]) in rels
    assert (ids["ruby3.1"], "CONTAINS", ids["json"]) in rels
    assert (image, "CONTAINS", ids["json"]) not in rels
    assert len(doc["relationships"]) == len(doc["packages"])


def test_odd_inventory_ids_and_licences() -> None:
    inventory = odd_inventory()
    doc = _doc(inventory)
    ids = [p["SPDXID"] for p in doc["packages"]]
    assert len(ids) == len(set(ids)) == len(set(inventory.packages)) + 1
    unicode_pkg = _package(doc, "日本語パッケージ")
    assert "externalRefs" not in unicode_pkg
    assert unicode_pkg["licenseDeclared"].startswith("LicenseRef-public-domain-")
    assert _package(doc, "exprs")["licenseDeclared"] == (
        "(MIT OR Apache-2.0) AND (GPL-2.0-or-later WITH Classpath-exception-2.0)"
    )
    texts = {info["extractedText"] for info in doc["hasExtractedLicensingInfos"]}
    assert {"BSD", "GPL-2+", "LicenseRef-foo", "see LICENSE file"} <= texts
    assert _package(doc, 'weird<>&"')["supplier"] == "NOASSERTION"

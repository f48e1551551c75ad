"""Reading SBOMs back: our own CycloneDX and SPDX round-trip, a syft-style BOM, bad inputs."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from msgspec.structs import replace
from packageurl import PackageURL

from sievert.errors import LimitError, ParseError
from sievert.model import Inventory, Package
from sievert.report.sbom.cyclonedx import CycloneDxJsonWriter
from sievert.report.sbom.spdx import SpdxJsonWriter
from sievert.report.sbom_input import SbomBuilder, package_from_purl, parse_sbom
from tests.report.inventories import fixed_stamp, small_inventory

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "report"


def _written(writer: Any, inventory: Inventory) -> bytes:
    out = io.StringIO()
    writer.write(inventory, out)
    return out.getvalue().encode("utf-8")


def _identity(package: Package) -> tuple[str, str, str, str]:
    """What must survive any round trip; OS packages' source defaults to their own name."""
    default = package.name if package.type in ("deb", "apk", "rpm") else ""
    return (package.name, package.version, package.purl, package.source_name or default)


def _with_upstream(inventory: Inventory) -> Inventory:
    """The inventory with deb purls naming their source as the dpkg cataloger writes them."""

    def rewrite(package: Package) -> Package:
        if package.type != "deb" or package.source_name in ("", package.name):
            return package
        purl = PackageURL.from_string(package.purl)
        source = package.source_name
        if package.source_version and package.source_version != package.version:
            source += f"@{package.source_version}"
        qualifiers = {**(purl.qualifiers or {}), "upstream": source}
        return replace(package, purl=purl._replace(qualifiers=qualifiers).to_string())

    return replace(inventory, packages=tuple(map(rewrite, inventory.packages)))


def _by_name(inventory: Inventory) -> dict[str, Package]:
    return {p.name: p for p in inventory.packages}


@pytest.mark.parametrize(
    "writer", [CycloneDxJsonWriter(stamp=fixed_stamp), SpdxJsonWriter(stamp=fixed_stamp)]
)
def test_own_sboms_round_trip_packages(writer: Any) -> None:
    original = _with_upstream(small_inventory())
    assert "upstream=glibc" in _by_name(original)["libc6"].purl
    back = parse_sbom(_written(writer, original), "sbom.json")
    assert sorted(map(_identity, back.packages)) == sorted(map(_identity, original.packages))
    assert back.image.reference == original.image.reference
    assert back.image.manifest_digest == original.image.manifest_digest
    assert back.image.source_kind == "sbom"
    assert back.distro is not None
    assert (back.distro.id, back.distro.version_id, back.distro.release) == (
        "debian",
        "12",
        "bookworm",
    )
    assert back.notices == ()


def test_own_cyclonedx_keeps_layers_locations_and_facts() -> None:
    original = small_inventory()
    back = parse_sbom(_written(CycloneDxJsonWriter(stamp=fixed_stamp), original), "x.cdx.json")
    assert back.image.layers == tuple(
        replace(layer, media_type="", created="") for layer in original.image.layers
    )
    orig, read = _by_name(original), _by_name(back)
    for name in ("libc6", "requests", "json"):
        for field in ("cataloger", "locations", "arch", "introduced_by", "owner", "type"):
            assert getattr(read[name], field) == getattr(orig[name], field), (name, field)
    assert read["requests"].metadata == (("direct", "true"),)
    assert read["libc6"].licenses == ("LGPL-2.1-only", "GPL-2.0-or-later")


def test_syft_style_cyclonedx() -> None:
    inventory = parse_sbom((FIXTURES / "syft-alpine.cdx.json").read_bytes(), "syft.json")
    assert inventory.image.reference == "alpine:3.19"
    assert inventory.image.manifest_digest.startswith("sha256:6457d53f")
    assert inventory.distro is not None
    assert (inventory.distro.id, inventory.distro.release) == ("alpine", "3.19")
    packages = _by_name(inventory)
    assert sorted(packages) == [
        "busybox", "golang.org/x/net", "jackson-databind", "libcrypto3"
    ]  # fmt: skip
    crypto = packages["libcrypto3"]
    assert (crypto.type, crypto.arch, crypto.source_name, crypto.source_version) == (
        "apk",
        "x86_64",
        "openssl",
        "3.1.4-r5",
    )
    assert crypto.cataloger == "apk-db-cataloger"
    assert crypto.licenses == ("Apache-2.0",)
    (location,) = crypto.locations
    assert location.path == "/lib/apk/db/installed"
    assert location.layer_diff_id.startswith("sha256:d4fc045c")
    assert packages["jackson-databind"].meta("group_id") == "com.fasterxml.jackson.core"
    assert packages["golang.org/x/net"].cataloger == "sbom"
    assert any("1 SBOM entries without a usable purl" in n.message for n in inventory.notices)


def _spdx(packages: list[dict[str, Any]], version: str = "SPDX-2.2") -> bytes:
    doc = {
        "spdxVersion": version,
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": "debian-image",
        "packages": packages,
    }
    return json.dumps(doc).encode()


def _spdx_package(name: str, purl: str, category: str = "PACKAGE_MANAGER") -> dict[str, Any]:
    ref = {"referenceCategory": category, "referenceType": "purl", "referenceLocator": purl}
    return {"SPDXID": f"SPDXRef-{name}", "name": name, "externalRefs": [ref]}


def test_spdx_2_2_with_purls_and_a_distro_from_qualifiers() -> None:
    data = _spdx([
        _spdx_package("libssl3", "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=arm64"
                      "&distro=debian-12&upstream=openssl%403.0.11-1~deb12u2"),
        _spdx_package("nopurl", "", "SECURITY"),
        {"SPDXID": "SPDXRef-x", "name": "bare"},
    ])  # fmt: skip
    inventory = parse_sbom(data, "doc.spdx.json")
    assert inventory.image.reference == "debian-image"
    assert inventory.distro is not None
    assert (inventory.distro.id, inventory.distro.version_id) == ("debian", "12")
    (ssl,) = inventory.packages
    assert (ssl.name, ssl.version, ssl.arch) == ("libssl3", "3.0.11-1~deb12u2", "arm64")
    assert (ssl.source_name, ssl.source_version) == ("openssl", "3.0.11-1~deb12u2")
    assert "2 SBOM entries" in inventory.notices[0].message


def _from(purl: str) -> Package:
    builder = SbomBuilder("t")
    package = package_from_purl(purl, builder)
    assert package is not None
    return package


def test_purl_rules_per_type() -> None:
    deb = _from("pkg:deb/debian/libc6@1:2.36-9?arch=amd64&upstream=glibc")
    assert (deb.source_name, deb.source_version, deb.epoch) == ("glibc", "1:2.36-9", 1)
    rpm = _from("pkg:rpm/redhat/openssl-libs@3.0.7-27.el9?arch=x86_64&epoch=1"
                "&upstream=openssl-3.0.7-27.el9.src.rpm")  # fmt: skip
    assert (rpm.source_name, rpm.source_version, rpm.epoch, rpm.release) == (
        "openssl",
        "3.0.7-27.el9",
        1,
        "27.el9",
    )
    assert _from("pkg:npm/%40babel/core@7.24.0").name == "@babel/core"
    assert _from("pkg:golang/github.com/x/y@v1.0.0").name == "github.com/x/y"
    assert _from("pkg:composer/laravel/framework@10.0.0").name == "laravel/framework"
    maven = _from("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1")
    assert (maven.name, maven.meta("group_id"), maven.type) == (
        "log4j-core",
        "org.apache.logging.log4j",
        "maven",
    )
    assert _from("pkg:generic/openssl@3.0.0").type == "binary"
    assert _from("pkg:pypi/requests@2.31.0").source_name == ""


def test_malformed_purl_is_a_notice_not_an_error() -> None:
    bom = {"bomFormat": "CycloneDX", "specVersion": "1.6",
           "components": [{"type": "library", "name": "x", "purl": "not-a-purl"}]}  # fmt: skip
    inventory = parse_sbom(json.dumps(bom).encode(), "bad-purl.json")
    assert inventory.packages == ()
    assert "malformed purl 'not-a-purl'" in inventory.notices[0].message


def test_unknown_spec_versions_are_read_with_a_notice() -> None:
    bom = {"bomFormat": "CycloneDX", "specVersion": "1.2", "components": []}
    inventory = parse_sbom(json.dumps(bom).encode(), "old.json")
    assert inventory.packages == ()
    assert "'1.2'" in inventory.notices[0].message
    spdx = parse_sbom(_spdx([], "SPDX-2.1"), "old.spdx.json")
    assert "'SPDX-2.1'" in spdx.notices[0].message


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b"\xff\xfe\x00", "not UTF-8"),
        (b"[1, 2]", "neither a CycloneDX nor an SPDX"),
        (b'{"bomFormat": "SomethingElse"}', "neither a CycloneDX nor an SPDX"),
        (b'<?xml version="1.0"?><bom/>', "XML SBOMs are not supported"),
        (b"[" * 100_000, "JSON nesting depth is over the limit"),
        (b"", "not valid JSON"),
    ],
)
def test_bad_documents_raise_parse_error_naming_the_file(data: bytes, message: str) -> None:
    with pytest.raises((ParseError, LimitError), match=message) as info:
        parse_sbom(data, "input/sbom.json")
    assert str(info.value).startswith("input/sbom.json: ")


def test_utf8_bom_and_nested_components_are_accepted() -> None:
    child = {"type": "library", "name": "left-pad", "purl": "pkg:npm/left-pad@1.3.0"}
    parent = {"type": "application", "name": "app", "purl": "pkg:npm/app@1.0.0"}
    bom = {"bomFormat": "CycloneDX", "specVersion": "1.4", "components": [parent]}
    parent["components"] = [child]
    inventory = parse_sbom(b"\xef\xbb\xbf" + json.dumps(bom).encode(), "nested.json")
    assert [p.name for p in inventory.packages] == ["app", "left-pad"]
    assert inventory.image.reference == "nested.json"


@pytest.mark.parametrize(
    ("bom", "message"),
    [
        ({"bomFormat": "CycloneDX", "specVersion": "1.5", "components": "abc"}, "`components`"),
        ({"spdxVersion": "SPDX-2.3", "packages": "x"}, "`packages` must be an array, not a string"),
        ({"spdxVersion": "SPDX-2.3", "packages": {"a": 1}}, "not an object"),
    ],
)
def test_wrongly_typed_package_lists_are_errors(bom: dict[str, object], message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse_sbom(json.dumps(bom).encode(), "bad.json")


def test_entries_that_are_not_objects_are_skipped_with_a_notice() -> None:
    good = {"type": "library", "name": "left-pad", "purl": "pkg:npm/left-pad@1.3.0"}
    bom = {"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [good, "x", 3]}
    inventory = parse_sbom(json.dumps(bom).encode(), "bom.json")
    assert [p.name for p in inventory.packages] == ["left-pad"]
    assert any("2 SBOM entries that are not JSON objects" in n.message for n in inventory.notices)

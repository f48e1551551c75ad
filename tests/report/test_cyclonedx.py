"""CycloneDX 1.6 output: schema-valid offline, unique refs, a dependency tree, licence choices."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from sievert.model import Inventory
from sievert.report.sbom.cyclonedx import CycloneDxJsonWriter
from tests.report.inventories import FIXED_STAMP, fixed_stamp, odd_inventory, small_inventory


def _bom(inventory: Inventory) -> str:
    out = io.StringIO()
    CycloneDxJsonWriter(stamp=fixed_stamp).write(inventory, out)
    return out.getvalue()


def _by_name(bom: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [c for c in bom["components"] if c["name"] == name]


def _props(component: dict[str, Any]) -> dict[str, str]:
    return {p["name"]: p["value"] for p in component.get("properties", [])}


@pytest.mark.usefixtures("no_network")
@pytest.mark.parametrize("build", [small_inventory, odd_inventory])
def test_validates_against_cyclonedx_1_6_schema(build: Any) -> None:
    errors = JsonStrictValidator(SchemaVersion.V1_6).validate_str(_bom(build()), all_errors=True)
    assert errors is None or list(errors) == []


@pytest.mark.usefixtures("no_network")
def test_validator_rejects_a_broken_bom() -> None:
    bom = json.loads(_bom(small_inventory()))
    bom["components"][1]["licenses"] = [{"license": {"id": "Not-A-Licence"}}]
    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(json.dumps(bom))
    assert error is not None


def test_header_uses_injected_stamp() -> None:
    bom = json.loads(_bom(small_inventory()))
    assert bom["serialNumber"] == f"urn:uuid:{FIXED_STAMP.serial}"
    assert bom["metadata"]["timestamp"] == "2024-05-17T12:30:45Z"
    assert bom["metadata"]["tools"]["components"][0]["version"] == "0.0.0-test"
    image = bom["metadata"]["component"]
    assert image["type"] == "container"
    assert image["version"] == "sha256:" + "9" * 64


def test_distro_is_an_operating_system_component() -> None:
    bom = json.loads(_bom(small_inventory()))
    (os_component,) = [c for c in bom["components"] if c["type"] == "operating-system"]
    assert (os_component["name"], os_component["version"]) == ("debian", "12")
    assert all(c["type"] == "library" for c in bom["components"][1:])


def test_licences_ids_names_and_expressions() -> None:
    bom = json.loads(_bom(small_inventory()))
    (libc,) = _by_name(bom, "libc6")
    assert libc["licenses"] == [
        {"license": {"id": "LGPL-2.1-only"}},
        {"license": {"id": "GPL-2.0-or-later"}},
    ]
    (ruby,) = _by_name(bom, "ruby3.1")
    assert {"license": {"name": "Ruby-licence-text"}} in ruby["licenses"]
    (gem,) = _by_name(bom, "json")
    assert gem["licenses"] == [{"expression": "Ruby OR BSD-2-Clause"}]


def test_layer_and_location_properties() -> None:
    bom = json.loads(_bom(small_inventory()))
    props = _props(_by_name(bom, "requests")[0])
    assert props["sievert:layer:diffID"] == "sha256:" + "c" * 64
    assert props["sievert:layer:index"] == "2"
    assert props["sievert:location:0:path"].endswith("requests-2.31.0.dist-info")
    assert props["sievert:package:foundBy"] == "python-dist"
    assert props["sievert:metadata:direct"] == "true"


def test_owned_package_depends_under_its_owner() -> None:
    bom = json.loads(_bom(small_inventory()))
    deps = {d["ref"]: d["dependsOn"] for d in bom["dependencies"]}
    ruby_ref = _by_name(bom, "ruby3.1")[0]["bom-ref"]
    gem_ref = _by_name(bom, "json")[0]["bom-ref"]
    assert deps[ruby_ref] == [gem_ref]
    assert gem_ref not in deps["image"]
    assert ruby_ref in deps["image"]
    assert "os:debian@12" in deps["image"]


@pytest.mark.parametrize("build", [small_inventory, odd_inventory])
def test_refs_unique_and_every_component_reachable(build: Any) -> None:
    bom = json.loads(_bom(build()))
    refs = [c["bom-ref"] for c in bom["components"]]
    assert len(refs) == len(set(refs))
    deps = {d["ref"]: d["dependsOn"] for d in bom["dependencies"]}
    assert set(deps) == {*refs, "image"}
    reached: set[str] = set()
    stack = ["image"]
    while stack:
        ref = stack.pop()
        for child in deps[ref]:
            assert child in deps
            if child not in reached:
                reached.add(child)
                stack.append(child)
    assert reached == set(refs)


def test_odd_inputs() -> None:
    inventory = odd_inventory()
    bom = json.loads(_bom(inventory))
    assert len(bom["components"]) == len(set(inventory.packages))
    assert _by_name(bom, "日本語パッケージ")[0]["licenses"] == [
        {"license": {"name": "public domain"}}
    ]
    assert "purl" not in _by_name(bom, "日本語パッケージ")[0]
    arches = sorted(_props(c)["sievert:package:arch"] for c in _by_name(bom, "libc6"))
    assert arches == ["amd64", "i386"]
    same = _by_name(bom, "same")
    assert len(same) == 2
    assert same[0]["bom-ref"] != same[1]["bom-ref"]
    weird_props = _by_name(bom, 'weird<>&"')[0]["properties"]
    assert [p["value"] for p in weird_props if p["name"] == "sievert:metadata:k"] == ["v1", "v2"]
    (mixed,) = _by_name(bom, "mixed")
    assert {"license": {"name": "see LICENSE file"}} in mixed["licenses"]
    (exprs,) = _by_name(bom, "exprs")
    assert exprs["licenses"] == [
        {"expression": "(MIT OR Apache-2.0) AND (GPL-2.0-or-later WITH Classpath-exception-2.0)"}
    ]


def test_unicode_is_written_as_utf8_text() -> None:
    text = _bom(odd_inventory())
    assert "日本語パッケージ" in text
    assert "\\u" not in text

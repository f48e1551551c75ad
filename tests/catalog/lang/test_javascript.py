"""JavaScript: installed node_modules manifests and npm / yarn / pnpm lockfiles."""

from __future__ import annotations

import json

import pytest

from sievert.catalog.lang.javascript import (
    NpmInstalledCataloger,
    NpmLockCataloger,
    is_installed_manifest,
    npm_purl,
    parse_package_lock,
    parse_pnpm_lock,
    parse_yarn_lock,
)
from tests.catalog.lang.util import by_name, fixture, run


def manifest(name: str, version: str, **extra: object) -> str:
    return json.dumps({"name": name, "version": version, **extra})


def test_npm_purl_scoped() -> None:
    assert npm_purl("@babel/core", "7.0.0") == "pkg:npm/%40babel/core@7.0.0"
    assert npm_purl("lodash", "4.17.21") == "pkg:npm/lodash@4.17.21"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("app/node_modules/a/package.json", True),
        ("app/node_modules/@s/b/package.json", True),
        ("app/node_modules/a/node_modules/@s/b/node_modules/c/package.json", True),
        ("node_modules/.pnpm/a@1.0.0/node_modules/a/package.json", True),
        ("app/node_modules/a/esm/package.json", False),
        ("app/node_modules/a/test/fixtures/node_modules/b/package.json", False),
        ("app/node_modules/@s/package.json", False),
        ("app/package.json", False),
        ("app/node_modules/.pnpm/package.json", False),
    ],
)
def test_is_installed_manifest(path: str, expected: bool) -> None:
    assert is_installed_manifest(path) is expected


def test_installed_packages_nested_scoped_and_skipped_files() -> None:
    hidden = {
        "lockfileVersion": 3,
        "packages": {"node_modules/jest": {"version": "29.7.0", "dev": True}},
    }
    result = run(
        NpmInstalledCataloger(),
        {
            "app/package.json": manifest("my-app", "1.0.0", private=True),
            "app/node_modules/.package-lock.json": json.dumps(hidden),
            "app/node_modules/express/package.json": manifest("express", "4.17.1", license="MIT"),
            "app/node_modules/express/node_modules/ms/package.json": manifest("ms", "2.0.0"),
            "app/node_modules/@types/node/package.json": manifest(
                "@types/node", "20.1.0", licenses=[{"type": "MIT"}]
            ),
            "app/node_modules/jest/package.json": manifest("jest", "29.7.0"),
            "app/node_modules/jest/lib/package.json": json.dumps({"type": "module"}),
            "app/node_modules/jest/test/fixtures/node_modules/fake/package.json": manifest(
                "fake", "0.0.1"
            ),
            "app/node_modules/nameless/package.json": json.dumps({"version": "1.0.0"}),
        },
        {"app/node_modules/broken/package.json": "{ not json"},
    )
    packages = {(p.name, p.version): p for p in result.packages}
    assert set(packages) == {
        ("my-app", "1.0.0"),  # the app root beside node_modules, as syft and trivy list it
        ("express", "4.17.1"),
        ("ms", "2.0.0"),
        ("@types/node", "20.1.0"),
        ("jest", "29.7.0"),
    }
    assert packages[("my-app", "1.0.0")].meta("root") == "true"
    assert packages[("express", "4.17.1")].meta("root") == ""
    types_node = packages[("@types/node", "20.1.0")]
    assert types_node.purl == "pkg:npm/%40types/node@20.1.0"
    assert types_node.licenses == ("MIT",)
    assert types_node.type == "npm"
    assert packages[("jest", "29.7.0")].meta("dev") == "true"
    assert packages[("express", "4.17.1")].meta("dev") == ""
    ms = packages[("ms", "2.0.0")]
    assert ms.locations[0].path == "/app/node_modules/express/node_modules/ms/package.json"
    (notice,) = result.notices
    assert notice.where == "/app/node_modules/broken/package.json"
    assert "not valid JSON" in notice.message


def test_package_lock_v1_nested_and_dev() -> None:
    result = parse_package_lock(fixture("javascript/package-lock-v1.json"), "/l")
    found = [(p.name, p.version, p.meta("dev")) for p in result.packages]
    assert result.packages[0].meta("root") == "true"  # the project itself, as syft lists it
    assert found == [
        ("old-app", "1.0.0", ""),
        ("@babel/code-frame", "7.0.0", "true"),
        ("debug", "2.6.9", ""),
        ("ms", "2.0.0", ""),
        ("ms", "2.1.3", ""),
    ]


def test_package_lock_v3_dev_direct_alias_and_links() -> None:
    result = parse_package_lock(fixture("javascript/package-lock-v3.json"), "/l")
    packages = {(p.name, p.version): p for p in result.packages}
    assert packages.pop(("new-app", "2.0.0")).metadata == (("root", "true"),)
    assert set(packages) == {
        ("express", "4.17.1"),
        ("@types/node", "20.11.5"),
        ("jest", "29.7.0"),
        ("ms", "2.0.0"),
        ("ms", "2.1.3"),
        ("string-width", "4.2.3"),
        ("fsevents", "2.3.3"),
    }
    assert packages[("fsevents", "2.3.3")].metadata == (("optional", "true"),)
    assert packages[("jest", "29.7.0")].metadata == (("direct", "true"), ("dev", "true"))
    assert packages[("express", "4.17.1")].metadata == (("direct", "true"),)
    assert packages[("ms", "2.0.0")].metadata == ()
    assert packages[("@types/node", "20.11.5")].purl == "pkg:npm/%40types/node@20.11.5"
    assert packages[("express", "4.17.1")].licenses == ("MIT",)


def test_package_lock_without_packages_is_noticed() -> None:
    result = parse_package_lock(b'{"name": "x"}', "/x/package-lock.json")
    assert result.packages == []
    assert result.notices[0].where == "/x/package-lock.json"


def test_yarn_classic() -> None:
    result = parse_yarn_lock(fixture("javascript/yarn-classic.lock"), "/yarn.lock")
    found = [(p.name, p.version) for p in result.packages]
    assert found == [
        ("@babel/code-frame", "7.12.13"),
        ("lodash", "4.17.21"),
        ("string-width", "4.2.3"),
    ]
    (notice,) = result.notices
    assert "broken-entry" in notice.message


def test_yarn_berry_skips_workspace_and_patches() -> None:
    result = parse_yarn_lock(fixture("javascript/yarn-berry.lock"), "/yarn.lock")
    assert [(p.name, p.version) for p in result.packages] == [
        ("@types/node", "20.11.5"),
        ("lodash", "4.17.21"),
    ]
    assert result.notices == []


def test_pnpm_v5_keys_with_peer_suffixes() -> None:
    result = parse_pnpm_lock(fixture("javascript/pnpm-v5.yaml"), "/p")
    packages = by_name(result.packages)
    assert {n: (p.version, p.meta("dev"), p.meta("direct")) for n, p in packages.items()} == {
        "react": ("17.0.2", "", "true"),
        "typescript": ("4.9.5", "true", "true"),
        "string_decoder": ("1.3.0", "", ""),
        "@babel/core": ("7.20.0", "true", ""),
    }


def test_pnpm_v6_and_v9() -> None:
    v6 = by_name(parse_pnpm_lock(fixture("javascript/pnpm-v6.yaml"), "/p").packages)
    assert {n: (p.version, p.meta("dev")) for n, p in v6.items()} == {
        "react-dom": ("18.2.0", ""),
        "react": ("18.2.0", ""),
        "vitest": ("1.2.0", "true"),
        "@scope/pkg": ("1.0.0", "true"),
    }
    assert v6["react-dom"].meta("direct") == "true"
    v9 = by_name(parse_pnpm_lock(fixture("javascript/pnpm-v9.yaml"), "/p").packages)
    assert {n: (p.version, p.meta("dev"), p.meta("direct")) for n, p in v9.items()} == {
        "express": ("4.18.2", "", "true"),
        "@types/express": ("4.17.21", "true", "true"),
        "ms": ("2.0.0", "", ""),
    }


def test_lock_cataloger_scope_locations_and_broken_files() -> None:
    cataloger = NpmLockCataloger()
    assert cataloger.scopes == ("image", "directory")
    result = run(
        cataloger,
        {
            "web/package-lock.json": fixture("javascript/package-lock-v1.json"),
            "web/node_modules/dep/package-lock.json": fixture("javascript/package-lock-v3.json"),
            "ui/pnpm-lock.yaml": "lockfileVersion: [unclosed",
            "ui/yarn.lock": fixture("javascript/yarn-berry.lock"),
        },
    )
    paths = {p.locations[0].path for p in result.packages}
    assert paths == {"/web/package-lock.json", "/ui/yarn.lock"}
    assert len(result.packages) == 7  # with the package-lock root
    assert [n.where for n in result.notices] == ["/ui/pnpm-lock.yaml"]

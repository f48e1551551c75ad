"""The long tail end to end: every format in a `dir:` scan and inside an image, matched
through a tiny OSV database that has one record per format's package."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.catalog.lang.longtail_files import EXPECTED, FILES, PNPM_V54_COUNT
from tests.clitools import run_sievert as run
from tests.imagebuilder import F, Image, write_oci_layout
from tests.vulndb.feedfactory import zip_bytes

FIXED = "99.0.0"


def _record(index: int, ecosystem: str, name: str) -> dict[str, object]:
    return {
        "schema_version": "1.6.0",
        "id": f"GHSA-lt{index:02d}-test-xxxx",
        "modified": "2026-01-02T00:00:00Z",
        "published": "2026-01-01T00:00:00Z",
        "summary": f"test advisory for {name}",
        "affected": [
            {
                "package": {"ecosystem": ecosystem, "name": name},
                "ranges": [
                    {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": FIXED}]}
                ],
            }
        ],
    }


def _mirror(root: Path) -> dict[str, str]:
    """OSV zips per ecosystem, one record per format; returns format -> record id."""
    members: dict[str, dict[str, bytes]] = {}
    ids: dict[str, str] = {}
    for index, (label, (ecosystem, name, _, _)) in enumerate(sorted(EXPECTED.items())):
        record = _record(index, ecosystem, name)
        ids[label] = str(record["id"])
        members.setdefault(ecosystem, {})[f"{record['id']}.json"] = json.dumps(record).encode()
    for ecosystem, records in members.items():
        path = root / "osv" / ecosystem / "all.zip"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(zip_bytes(records))
    return ids


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, str, dict[str, str]]:
    root = tmp_path_factory.mktemp("longtail")
    ids = _mirror(root / "mirror")
    db = str(root / "vuln.db")
    proc = run("db", "update", "--mirror", str(root / "mirror"), "--only", "osv", "--db", db, "-q")
    assert proc.returncode == 0, proc.stderr
    tree = root / "tree"
    for path, text in FILES.items():
        (tree / path).parent.mkdir(parents=True, exist_ok=True)
        (tree / path).write_text(text)
    image = Image([[F(f"srv/{path}", text) for path, text in FILES.items()]])
    layout = write_oci_layout(root / "layout", {"longtail": image})
    return f"dir:{tree}", f"oci-dir:{layout}:longtail", db, ids


def _findings(target: str, db: str) -> set[tuple[str, str, str]]:
    proc = run("scan", target, "--db", db, "--no-cache", "-q", "-f", "json")
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    doc = json.loads(proc.stdout)
    return {
        (f["vulnerability"]["id"], f["package"]["name"], f["package"]["version"])
        for f in doc["findings"]
    }


def _listed(name: str, kind: str) -> str:
    """The name as the file spells it (OSV's PyPI names are normalised)."""
    return "Jinja2" if kind == "pypi" else name


def _expected(ids: dict[str, str]) -> set[tuple[str, str, str]]:
    return {
        (ids[label], _listed(name, kind), version)
        for label, (_, name, kind, version) in EXPECTED.items()
    }


@pytest.mark.parametrize("where", ["dir", "image"])
def test_every_format_matches(where: str, world: tuple[str, str, str, dict[str, str]]) -> None:
    directory, image, db, ids = world
    missing = _expected(ids) - _findings(directory if where == "dir" else image, db)
    assert not missing, f"formats not matched through OSV in the {where} scan: {sorted(missing)}"


def test_sbom_of_the_image_lists_each_format_once(
    world: tuple[str, str, str, dict[str, str]],
) -> None:
    _, image, _, _ = world
    proc = run("sbom", image, "--no-cache", "-q", "-f", "json")
    assert proc.returncode == 0, proc.stderr
    packages = json.loads(proc.stdout)["packages"]
    for label, (_, name, kind, version) in EXPECTED.items():
        shown = _listed(name, kind)
        hits = [p for p in packages if (p["name"], p["version"]) == (shown, version)]
        assert hits, f"{label}: {shown} {version} not listed"
        assert {h["type"] for h in hits} == {kind}
    # the reported regression: a pnpm v5.4 lockfile with dozens of packages in an image
    # yielded only the project's root; every entry of its packages: is listed now
    v54 = [p for p in packages if p["locations"][0]["path"] == "/srv/web/v5/pnpm-lock.yaml"]
    assert len(v54) == PNPM_V54_COUNT

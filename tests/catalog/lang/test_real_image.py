"""The language catalogers on the real `bookworm-apps` image, read in place from ../shared."""

from __future__ import annotations

import functools
import gzip
import json
from collections import Counter
from pathlib import Path
from typing import BinaryIO, cast

import pytest
from msgspec.structs import replace

from sievert.catalog.base import CatalogContext, CatalogResult
from sievert.catalog.declared import is_declared, prefer_installed
from sievert.catalog.plugins import LANGUAGE_CATALOGERS
from sievert.model import LayerInfo, Package
from sievert.source.capture import CaptureSpec
from sievert.source.tarwalk import index_tar
from sievert.source.view import FileView

pytestmark = pytest.mark.shared

PYTHON = {
    "Django": "2.2",
    "requests": "2.19.1",
    "urllib3": "1.24.1",
    "Jinja2": "2.10",
    "Werkzeug": "0.15.0",
    "Flask": "0.12.2",
    "PyJWT": "1.5.0",
    "cryptography": "3.3.2",
}


def _blob(layout: Path, digest: str) -> Path:
    return layout / "blobs" / digest.replace(":", "/", 1)


def _apps_view(layout: Path, globs: tuple[str, ...]) -> FileView:
    """Squashed view of the bookworm-apps layers, capturing only the given globs."""
    index = json.loads((layout / "index.json").read_text())
    (descriptor,) = [
        m
        for m in index["manifests"]
        if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == "bookworm-apps"
    ]
    manifest = json.loads(_blob(layout, descriptor["digest"]).read_text())
    config = json.loads(_blob(layout, manifest["config"]["digest"]).read_text())
    diff_ids = config["rootfs"]["diff_ids"]
    layers = [
        LayerInfo(i, layer["digest"], diff_ids[i], layer["size"], layer["mediaType"])
        for i, layer in enumerate(manifest["layers"])
    ]
    view = FileView(layers)
    spec = CaptureSpec(globs=globs, version="test")
    for layer in layers:
        with gzip.open(_blob(layout, layer.digest), "rb") as stream:
            view.apply(layer.index, index_tar(cast(BinaryIO, stream), spec, layer))
    return view


@functools.cache
def apps_results(layout: Path) -> dict[str, CatalogResult]:
    """Every language cataloger's result on bookworm-apps (layers read once)."""
    catalogers = LANGUAGE_CATALOGERS
    view = _apps_view(layout, tuple(g for c in catalogers for g in c.globs))
    return {c.name: c.catalog(view, CatalogContext()) for c in catalogers}


def apps_packages(layout: Path) -> tuple[Package, ...]:
    """Packages of the installed-data catalogers, which must read every file without a notice.

    Declared ones (lockfiles) run in images too; the pipeline drops what installed data
    supersedes (test_declared_packages_in_the_image_are_superseded)."""
    packages: list[Package] = []
    for cataloger in LANGUAGE_CATALOGERS:
        if "image" in getattr(cataloger, "scopes", ()) and not is_declared(cataloger):
            result = apps_results(layout)[cataloger.name]
            assert result.notices == (), result.notices
            packages.extend(result.packages)
    return tuple(packages)


def _of(packages: tuple[Package, ...], kind: str) -> list[Package]:
    return [p for p in packages if p.type == kind]


def test_python_packages(shared_images: Path) -> None:
    python = _of(apps_packages(shared_images), "pypi")
    assert {p.name: p.version for p in python} == PYTHON
    assert len(python) == len(PYTHON)
    django = next(p for p in python if p.name == "Django")
    assert django.purl == "pkg:pypi/django@2.2"
    assert django.licenses == ("BSD",)
    assert django.locations[0].path == "/app/site-packages/Django-2.2.dist-info/METADATA"
    assert django.locations[0].layer_index == 2
    assert "/app/site-packages/django/__init__.py" in django.files
    assert django.meta("direct") == "true"  # pip wrote REQUESTED
    assert next(p for p in python if p.name == "PyJWT").purl == "pkg:pypi/pyjwt@1.5.0"


def test_npm_packages(shared_images: Path) -> None:
    npm = _of(apps_packages(shared_images), "npm")
    # 69 manifests under /app/node_modules plus the application's own root /app/package.json
    # (research-app 1.0.0, marked root), as trivy's 70. syft's 71 adds ruby-typeprof 0.20.1 from
    # typeprof's vscode/package.json under /usr/lib/ruby/gems: an editor extension manifest shipped
    # inside a gem (no node_modules beside it), not an npm install.
    assert len(npm) == 70
    assert [p.name for p in npm if p.meta("root") == "true"] == ["research-app"]
    npm = [p for p in npm if p.meta("root") != "true"]
    versions = {(p.name, p.version) for p in npm}
    assert {("lodash", "4.17.15"), ("minimist", "1.2.0"), ("express", "4.17.1")} <= versions
    assert {("esbuild", "0.14.0"), ("node-fetch", "2.6.0"), ("jsonwebtoken", "8.5.1")} <= versions
    names = Counter(p.name for p in npm)
    assert names["ms"] == 3  # top level plus two nested copies
    lodash = next(p for p in npm if p.name == "lodash")
    assert lodash.purl == "pkg:npm/lodash@4.17.15"
    assert lodash.licenses == ("MIT",)
    assert lodash.locations[0].path == "/app/node_modules/lodash/package.json"
    assert all(p.meta("dev") != "true" for p in npm)  # the hidden lockfile marks none dev
    optional = [p.name for p in npm if p.meta("optional") == "true"]
    assert optional == ["esbuild-linux-64"]


def test_gems(shared_images: Path) -> None:
    gems = _of(apps_packages(shared_images), "gem")
    # 92 gemspecs in layer 2; layer 3 whites out webrick-1.8.1; rake 13.0.6 is listed twice
    # (ruby's bundled gem and Debian's rubygems-integration copy), as syft does: gem 91.
    assert len(gems) == 91
    assert "webrick" not in {p.name for p in gems}
    rack = next(p for p in gems if p.name == "rack")
    assert (rack.version, rack.purl, rack.licenses) == ("2.2.22", "pkg:gem/rack@2.2.22", ("MIT",))
    assert rack.locations[0].layer_index == 1
    bundler = next(p for p in gems if p.name == "bundler")
    assert bundler.version == "2.3.7"
    assert sum(p.name == "rake" for p in gems) == 2


def test_lockfile_agrees_with_node_modules(shared_images: Path) -> None:
    # /app/package-lock.json (v3) lists what npm installed under /app/node_modules plus
    # esbuild's optional binaries for the 16 other platforms, which npm skipped (flagged
    # optional), and the project itself (root). typeprof's vscode/package-lock.json is a second
    # lockfile.
    lock = apps_results(shared_images)["npm-lock"]
    assert lock.notices == ()
    app = [p for p in lock.packages if p.locations[0].path == "/app/package-lock.json"]
    assert [p.name for p in app if p.meta("root") == "true"] == ["research-app"]
    app = [p for p in app if p.meta("root") != "true"]
    npm = _of(apps_packages(shared_images), "npm")
    installed = {(p.name, p.version) for p in npm if p.meta("root") != "true"}
    required = {(p.name, p.version) for p in app if p.meta("optional") != "true"}
    optional = {(p.name, p.version) for p in app if p.meta("optional") == "true"}
    assert required | {("esbuild-linux-64", "0.14.0")} == installed
    assert len(optional) == 17
    assert all(name.startswith("esbuild-") for name, _ in optional)
    direct = sorted(p.name for p in app if p.meta("direct") == "true")
    assert direct == ["esbuild", "express", "jsonwebtoken", "lodash", "minimist", "node-fetch"]
    paths = {p.locations[0].path for p in lock.packages}
    assert paths == {
        "/app/package-lock.json",
        "/usr/lib/ruby/gems/3.1.0/gems/typeprof-0.21.2/vscode/package-lock.json",
    }


def test_declared_packages_in_the_image_are_superseded(shared_images: Path) -> None:
    # In an image, /app/package-lock.json gives way to /app/node_modules (what was installed,
    # not the 16 optional esbuild binaries for other platforms); typeprof's vscode lockfile is
    # dropped here because an OS package owns it (owner set as the pipeline does).
    results = apps_results(shared_images)
    owner = "pkg:deb/debian/libruby3.1@3.1.2"
    everything = [
        replace(p, owner=owner) if p.locations[0].path.startswith("/usr/lib/ruby/") else p
        for result in results.values()
        for p in result.packages
    ]
    kept = prefer_installed(everything, LANGUAGE_CATALOGERS)
    assert [p for p in kept if p.cataloger == "npm-lock"] == []
    assert len([p for p in kept if p.type == "npm"]) == 70

"""The OS catalogers on the three real images of ../shared, read in place with tarfile."""

from __future__ import annotations

import json
import tarfile
from functools import cache
from pathlib import Path

import pytest

from sievert.catalog.apk import ApkCataloger
from sievert.catalog.base import CatalogContext
from sievert.catalog.distro import DISTRO_GLOBS, detect_distro
from sievert.catalog.dpkg import DpkgCataloger
from sievert.catalog.plugins import CATALOGERS, all_globs
from sievert.catalog.rpm import RpmCataloger
from sievert.model import Package
from sievert.source.layerindex import KIND_OPAQUE, KIND_WHITEOUT, Entry, LayerIndex
from sievert.source.view import FileView, compile_globs, normalize

pytestmark = pytest.mark.shared

WANTED = compile_globs([*all_globs(), *DISTRO_GLOBS])
KINDS = {
    tarfile.REGTYPE: "file",
    tarfile.AREGTYPE: "file",
    tarfile.DIRTYPE: "dir",
    tarfile.SYMTYPE: "symlink",
    tarfile.LNKTYPE: "hardlink",
}


def _entry(member: tarfile.TarInfo) -> Entry | None:
    """A view entry for one tar member (whiteouts included); None for kinds not needed here."""
    path = normalize(member.name)
    parent, _, base = path.rpartition("/")
    if base == ".wh..wh..opq":
        return Entry(parent, KIND_OPAQUE)
    if base.startswith(".wh."):
        return Entry(f"{parent}/{base[4:]}".lstrip("/"), KIND_WHITEOUT)
    kind = KINDS.get(member.type)
    if kind is None:
        return None
    link = normalize(member.linkname) if kind == "hardlink" else member.linkname
    return Entry(path, kind, member.size, member.mode, member.uid, member.gid, link)


@cache
def _layer(blob: Path) -> LayerIndex:
    """Every entry of a gzip layer, with the bytes of files the catalogers and distro need."""
    entries: list[Entry] = []
    contents: dict[str, bytes] = {}
    with tarfile.open(blob, "r:gz") as tar:
        for member in tar:
            entry = _entry(member)
            if entry is None:
                continue
            entries.append(entry)
            if entry.kind == "file" and WANTED.match(entry.path):
                handle = tar.extractfile(member)
                assert handle is not None
                contents[entry.path] = handle.read()
    return LayerIndex(blob.name, tuple(entries), contents)


def image_view(layout: Path, tag: str) -> FileView:
    """The squashed view of one tag of the OCI layout."""
    index = json.loads((layout / "index.json").read_text())
    (descriptor,) = [
        m
        for m in index["manifests"]
        if m["annotations"]["org.opencontainers.image.ref.name"] == tag
    ]
    blobs = layout / "blobs" / "sha256"
    manifest = json.loads((blobs / descriptor["digest"].split(":")[1]).read_text())
    view = FileView()
    for number, layer in enumerate(manifest["layers"]):
        view.apply(number, _layer(blobs / layer["digest"].split(":")[1]))
    return view


OS_CATALOGERS = [
    c for c in CATALOGERS if isinstance(c, DpkgCataloger | ApkCataloger | RpmCataloger)
]


def scan(layout: Path, tag: str) -> tuple[list[Package], list[str]]:
    """All OS packages of an image and the notices' messages."""
    view = image_view(layout, tag)
    context = CatalogContext(detect_distro(view))
    packages: list[Package] = []
    notices: list[str] = []
    for cataloger in OS_CATALOGERS:
        result = cataloger.catalog(view, context)
        packages += result.packages
        notices += [n.message for n in result.notices]
    return packages, notices


def test_bookworm(shared_images: Path) -> None:
    distro = detect_distro(image_view(shared_images, "bookworm"))
    assert distro is not None and (distro.id, distro.version_id, distro.codename) == (
        "debian",
        "12",
        "bookworm",
    )
    packages, notices = scan(shared_images, "bookworm")
    assert notices == []
    assert len(packages) == 88 and {p.type for p in packages} == {"deb"}
    found = {p.name: p for p in packages}
    libc = found["libc6"]
    assert (libc.version, libc.source_name, libc.source_version) == (
        "2.36-9+deb12u14",
        "glibc",
        "2.36-9+deb12u14",
    )
    assert "/lib/x86_64-linux-gnu/libc.so.6" in libc.files
    assert libc.purl == (
        "pkg:deb/debian/libc6@2.36-9%2Bdeb12u14?arch=amd64&distro=debian-12&upstream=glibc"
    )
    assert libc.licenses  # from /usr/share/doc/libc6/copyright
    bsd = found["bsdutils"]
    assert (bsd.version, bsd.epoch, bsd.source_name, bsd.source_version) == (
        "1:2.38.1-5+deb12u3",
        1,
        "util-linux",
        "2.38.1-5+deb12u3",
    )
    assert found["base-files"].version == "12.4+deb12u15"
    assert all(p.files for p in packages)
    assert all(p.locations[0].path == "/var/lib/dpkg/status" for p in packages)


def test_bookworm_apps(shared_images: Path) -> None:
    packages, notices = scan(shared_images, "bookworm-apps")
    assert notices == []
    assert len(packages) == 125
    found = {p.name: p for p in packages}
    assert (found["curl"].version, found["curl"].source_name) == ("7.88.1-10+deb12u15", "curl")
    assert (found["libssl3"].version, found["libssl3"].source_name) == (
        "3.0.20-1~deb12u2",
        "openssl",
    )
    assert found["tzdata"].arch == "all"
    assert found["curl"].locations[0].layer_index == 1  # status rewritten by the apt layer


def test_alpine(shared_images: Path) -> None:
    view = image_view(shared_images, "alpine-3.23")
    distro = detect_distro(view)
    assert distro is not None and (distro.id, distro.version_id) == ("alpine", "3.23.6")
    packages, notices = scan(shared_images, "alpine-3.23")
    assert notices == []
    assert len(packages) == 59 and {p.type for p in packages} == {"apk"}
    assert len({p.source_name for p in packages}) == 38
    found = {p.name: p for p in packages}
    assert (found["musl"].version, found["musl"].licenses) == ("1.2.5-r23", ("MIT",))
    assert (found["libcrypto3"].version, found["libcrypto3"].source_name) == ("3.5.8-r0", "openssl")
    assert found["busybox"].version == "1.37.0-r30"
    assert found["apk-tools"].version == "3.0.8-r0"
    assert found["musl"].purl == ("pkg:apk/alpine/musl@1.2.5-r23?arch=x86_64&distro=alpine-3.23.6")
    assert "/lib/ld-musl-x86_64.so.1" in found["musl"].files

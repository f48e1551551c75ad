"""Hand-built inventories for the report tests and the fixed stamp of golden files."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sievert.model import (
    Distro,
    ImageMetadata,
    Inventory,
    LayerInfo,
    Location,
    Notice,
    Package,
    Platform,
)
from sievert.report.base import Stamp

FIXED_STAMP = Stamp(
    timestamp=datetime(2024, 5, 17, 12, 30, 45, tzinfo=UTC),
    serial=uuid.UUID("0b7e6c1e-5a3f-4c2d-9e8f-1a2b3c4d5e6f"),
    tool_version="0.0.0-test",
)

DIGESTS = [f"sha256:{str(n) * 64}" for n in range(1, 4)]
DIFF_IDS = [f"sha256:{'abcdef'[n] * 64}" for n in range(3)]
MEDIA = "application/vnd.oci.image.layer.v1.tar+gzip"


def fixed_stamp() -> Stamp:
    """The stamp every golden file is written with."""
    return FIXED_STAMP


def _layers() -> tuple[LayerInfo, ...]:
    commands = [
        "/bin/sh -c #(nop) ADD file:4b03b5f551e3fbdf47ec609712007 in / ",
        "RUN /bin/sh -c apt-get update && apt-get install -y --no-install-recommends ruby3.1",
        "RUN /bin/sh -c pip install requests==2.31.0 # buildkit",
    ]
    sizes = [29_150_234, 12_004_117, 512_000]
    return tuple(
        LayerInfo(n, DIGESTS[n], DIFF_IDS[n], sizes[n], MEDIA, commands[n], "2024-05-01T10:00:00Z")
        for n in range(3)
    )


def _image(layers: tuple[LayerInfo, ...]) -> ImageMetadata:
    return ImageMetadata(
        reference="registry.example/team/app:1.2",
        source_kind="oci-layout",
        manifest_digest="sha256:" + "9" * 64,
        config_digest="sha256:" + "8" * 64,
        repo_tags=("registry.example/team/app:1.2",),
        platform=Platform("linux", "amd64"),
        layers=layers,
        created="2024-05-01T10:00:00Z",
        user="app",
        env=("PATH=/usr/local/bin:/usr/bin",),
        cmd=("python3", "-m", "app"),
        working_dir="/srv",
        labels=(("org.opencontainers.image.title", "app"),),
        history=tuple((layer.created_by, False) for layer in layers),
    )


def _loc(path: str, layer: LayerInfo) -> Location:
    return Location(path, layer.index, layer.digest, layer.diff_id)


def small_inventory() -> Inventory:
    """A Debian image with OS packages, an owned gem and a pip package."""
    layers = _layers()
    status = "/var/lib/dpkg/status"
    ruby_purl = "pkg:deb/debian/ruby3.1@3.1.2-7?arch=amd64&distro=debian-12"
    packages = (
        Package(
            "libc6",
            "2.36-9+deb12u4",
            "deb",
            "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12",
            "dpkg",
            locations=(_loc(status, layers[0]),),
            arch="amd64",
            source_name="glibc",
            licenses=("LGPL-2.1", "GPL-2.0+"),
            files=("/lib/x86_64-linux-gnu/libc.so.6", "/usr/share/doc/libc6/copyright"),
            introduced_by=0,
            metadata=(("maintainer", "GNU Libc Maintainers <debian-glibc@lists.debian.org>"),),
        ),
        Package(
            "bash",
            "5.2.15-2+b2",
            "deb",
            "pkg:deb/debian/bash@5.2.15-2%2Bb2?arch=amd64&distro=debian-12",
            "dpkg",
            locations=(_loc(status, layers[0]),),
            arch="amd64",
            source_name="bash",
            source_version="5.2.15-2",
            licenses=("GPL-3.0-or-later",),
            introduced_by=0,
        ),
        Package(
            "ruby3.1",
            "3.1.2-7",
            "deb",
            ruby_purl,
            "dpkg",
            locations=(_loc(status, layers[1]),),
            arch="amd64",
            licenses=("BSD-2-Clause", "Ruby-licence-text"),
            introduced_by=1,
        ),
        Package(
            "json",
            "2.6.1",
            "gem",
            "pkg:gem/json@2.6.1",
            "gemspec",
            locations=(
                _loc(
                    "/usr/lib/ruby/gems/3.1.0/specifications/default/json-2.6.1.gemspec", layers[1]
                ),
            ),
            licenses=("Ruby OR BSD-2-Clause",),
            introduced_by=1,
            owner=ruby_purl,
        ),
        Package(
            "requests",
            "2.31.0",
            "pypi",
            "pkg:pypi/requests@2.31.0",
            "python-dist",
            locations=(
                _loc(
                    "/usr/local/lib/python3.11/site-packages/requests-2.31.0.dist-info", layers[2]
                ),
            ),
            licenses=("Apache-2.0",),
            introduced_by=2,
            metadata=(("direct", "true"),),
        ),
    )
    distro = Distro(
        "debian", "12", "bookworm", "Debian GNU/Linux", "Debian GNU/Linux 12 (bookworm)"
    )
    notice = Notice("could not read RECORD", where="/usr/lib/python3/dist-packages/x.dist-info")
    return Inventory(_image(layers), distro, packages, (notice,), file_count=4321)


def odd_inventory() -> Inventory:
    """A larger inventory of awkward inputs: unicode, non-SPDX licences, duplicates, no purls."""
    layers = _layers()
    plain = [
        Package(f"lib{n:03d}", f"1.{n}", "apk", f"pkg:apk/alpine/lib{n:03d}@1.{n}", "apk-db",
                licenses=(("MIT", "GPL-2.0-only", "BSD")[n % 3],), introduced_by=n % 3)
        for n in range(150)
    ]  # fmt: skip
    odd = [
        Package("naïve-ünïcode", "1.0", "npm", "pkg:npm/na%C3%AFve-%C3%BCn%C3%AFcode@1.0", "npm",
                licenses=("Licence publique générale",)),
        Package("日本語パッケージ", "2.0", "pypi", "", "python-dist", licenses=("public domain",)),
        Package("libc6", "2.36", "deb", "pkg:deb/debian/libc6@2.36?arch=amd64", "dpkg",
                arch="amd64", licenses=("GPL-2+",)),
        Package("libc6", "2.36", "deb", "pkg:deb/debian/libc6@2.36?arch=i386", "dpkg",
                arch="i386", licenses=("GPL-2+",)),
        Package("same", "1", "pypi", "pkg:pypi/same@1", "python-dist",
                locations=(Location("/a/same-1.dist-info"),)),
        Package("same", "1", "pypi", "pkg:pypi/same@1", "python-dist",
                locations=(Location("/b/same-1.dist-info"),)),
        Package("nopurl", "", "binary", "", "binary", licenses=("",)),
        Package("nopurl", "", "binary", "", "binary", locations=(Location("/x/nopurl"),)),
        Package("refd", "1", "npm", "pkg:npm/refd@1", "npm", licenses=("LicenseRef-foo",)),
        Package("mixed", "1", "npm", "pkg:npm/mixed@1", "npm",
                licenses=("MIT OR Apache-2.0", "see LICENSE file", "(MIT)")),
        Package("exprs", "1", "npm", "pkg:npm/exprs@1", "npm",
                licenses=("MIT OR Apache-2.0", "GPL-2.0-or-later WITH Classpath-exception-2.0")),
        Package("ghost-layer", "1", "npm", "pkg:npm/ghost-layer@1", "npm", introduced_by=7),
        Package("cycle-a", "1", "deb", "pkg:deb/x/cycle-a@1", "dpkg", owner="pkg:deb/x/cycle-b@1"),
        Package("cycle-b", "1", "deb", "pkg:deb/x/cycle-b@1", "dpkg", owner="pkg:deb/x/cycle-a@1"),
        Package("orphan", "1", "gem", "pkg:gem/orphan@1", "gemspec", owner="pkg:deb/x/missing@1"),
        Package("weird<>&\"", "1:2.0~rc1", "deb", "pkg:deb/x/weird@1:2.0~rc1", "dpkg",
                metadata=(("maintainer", "not an address"), ("k", "v1"), ("k", "v2"))),
    ]  # fmt: skip
    duplicate = odd[0]
    packages = (*plain, *odd, duplicate)
    notices = (Notice("ünïcode notice", level="error"),)
    image = ImageMetadata("odd:ünï", "docker-archive", layers=layers)
    return Inventory(image, None, packages, notices)

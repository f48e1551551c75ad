"""apk installed database."""

from __future__ import annotations

from sievert.catalog.apk import ApkCataloger, parse_apk_installed
from sievert.catalog.base import CatalogContext
from sievert.model import Distro
from tests.catalog.helpers import Link, view_of

ALPINE = Distro(id="alpine", version_id="3.23.0")

INSTALLED = """C:Q1abc=
P:musl
V:1.2.5-r0
A:x86_64
S:408000
I:662000
T:the musl c library
L:MIT
o:musl
m:Natanael Copa <ncopa@alpinelinux.org>
t:1712345678
c:0123456789abcdef
F:lib
R:ld-musl-x86_64.so.1
Z:Q1xyz=
R:libc.musl-x86_64.so.1

P:libcrypto3
V:3.3.2-r0
A:x86_64
L:Apache-2.0
o:openssl
F:usr/lib
R:libcrypto.so.3
F:etc/ssl
R:openssl.cnf
"""


def test_parse_fields_files_and_purl() -> None:
    result = parse_apk_installed(INSTALLED.encode(), distro=ALPINE)
    assert result.notices == []
    musl, crypto = result.packages
    assert (musl.name, musl.version, musl.arch, musl.type) == ("musl", "1.2.5-r0", "x86_64", "apk")
    assert musl.purl == "pkg:apk/alpine/musl@1.2.5-r0?arch=x86_64&distro=alpine-3.23.0"
    assert musl.files == ("/lib/ld-musl-x86_64.so.1", "/lib/libc.musl-x86_64.so.1")
    assert musl.licenses == ("MIT",)
    assert musl.meta("maintainer") == "Natanael Copa <ncopa@alpinelinux.org>"
    assert musl.meta("installed_size") == "662000"
    assert musl.meta("build_time") == "1712345678"
    assert musl.meta("commit") == "0123456789abcdef"
    assert (crypto.source_name, crypto.source_version) == ("openssl", "3.3.2-r0")
    assert crypto.files == ("/usr/lib/libcrypto.so.3", "/etc/ssl/openssl.cnf")
    assert crypto.purl == (
        "pkg:apk/alpine/libcrypto3@3.3.2-r0?arch=x86_64&distro=alpine-3.23.0&upstream=openssl"
    )


def test_wolfi_namespace() -> None:
    result = parse_apk_installed(b"P:glibc\nV:2.40-r1\nA:x86_64\n", distro=Distro(id="wolfi"))
    assert result.packages[0].purl == "pkg:apk/wolfi/glibc@2.40-r1?arch=x86_64&distro=wolfi"


def test_truncated_and_garbage_records() -> None:
    data = INSTALLED.encode()[: INSTALLED.index("V:3.3.2")] + b"\n\nbad line\nP:x\n"
    result = parse_apk_installed(data)
    assert [p.name for p in result.packages] == ["musl"]
    messages = " | ".join(n.message for n in result.notices)
    assert "libcrypto3" in messages and "malformed" in messages
    assert parse_apk_installed(b"\x00\xff\x10garbage").packages == []


def test_cataloger_v3_location_and_symlinked_db() -> None:
    v3 = ApkCataloger().catalog(
        view_of({"usr/lib/apk/db/installed": INSTALLED}), CatalogContext(ALPINE)
    )
    assert len(v3.packages) == 2
    assert v3.packages[0].locations[0].path == "/usr/lib/apk/db/installed"
    linked = ApkCataloger().catalog(
        view_of(
            {"usr/lib/apk/db/installed": INSTALLED, "lib/apk/db": Link("../../usr/lib/apk/db")}
        ),
        CatalogContext(ALPINE),
    )
    assert len(linked.packages) == 2  # the same database reached twice is read once

"""dpkg status, distroless status.d, owned files and copyright licences."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from sievert.catalog.base import CatalogContext, CatalogResult
from sievert.catalog.dpkg import (
    DpkgCataloger,
    _license_fields,
    parse_copyright,
    parse_dpkg_status,
    split_source,
)
from sievert.model import Distro
from tests.catalog.helpers import Layer, Link, view_of

DEBIAN = Distro(id="debian", version_id="12", codename="bookworm")

STATUS = """Package: libssl3
Status: install ok installed
Priority: optional
Installed-Size: 6168
Maintainer: Debian OpenSSL Team <pkg-openssl-devel@alioth-lists.debian.net>
Architecture: amd64
Multi-Arch: same
Source: openssl
Version: 3.0.11-1~deb12u2
Description: Secure Sockets Layer toolkit - shared libraries
 This package is part of the OpenSSL project's implementation.
 .
 It provides the libssl and libcrypto shared libraries.

Package: libssl3
Status: install ok installed
Architecture: i386
Multi-Arch: same
Source: openssl
Version: 3.0.11-1~deb12u2

Package: bsdutils
Status: install ok installed
Architecture: amd64
Source: util-linux (2.38.1-5)
Version: 1:2.38.1-5+b1

Package: oldconf
Status: deinstall ok config-files
Architecture: all
Version: 1.0

Package: halfway
Status: install reinstreq half-installed
Architecture: all
Version: 2.0

Package: held
Status: hold ok installed
Architecture: all
Version: 0.9
"""

DEP5 = """Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: openssl

Files: *
Copyright: 1998-2023 The OpenSSL Project
License: Apache-2.0
 Licensed under the Apache License, Version 2.0.

Files: debian/*
License: GPL-2+ or Artistic
"""


def catalog(*layers: Layer, distro: Distro | None = DEBIAN) -> CatalogResult:
    return DpkgCataloger().catalog(view_of(*layers), CatalogContext(distro))


def test_status_installed_only_and_multiarch_distinct() -> None:
    result = parse_dpkg_status(STATUS.encode(), distro=DEBIAN)
    keys = [(p.name, p.arch, p.version) for p in result.packages]
    assert keys == [
        ("libssl3", "amd64", "3.0.11-1~deb12u2"),
        ("libssl3", "i386", "3.0.11-1~deb12u2"),
        ("bsdutils", "amd64", "1:2.38.1-5+b1"),
        ("held", "all", "0.9"),
    ]
    assert result.notices == []


def test_fields_source_epoch_and_purl() -> None:
    packages = {
        (p.name, p.arch): p for p in parse_dpkg_status(STATUS.encode(), distro=DEBIAN).packages
    }
    ssl = packages["libssl3", "amd64"]
    assert (ssl.source_name, ssl.source_version) == ("openssl", "3.0.11-1~deb12u2")
    assert ssl.meta("maintainer").startswith("Debian OpenSSL Team")
    assert ssl.meta("installed_size") == str(6168 * 1024)
    assert ssl.purl == (
        "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12&upstream=openssl"
    )
    assert ssl.type == "deb" and ssl.cataloger == "dpkg-db" and ssl.epoch is None
    bsd = packages["bsdutils", "amd64"]
    assert (bsd.source_name, bsd.source_version, bsd.epoch) == ("util-linux", "2.38.1-5", 1)
    assert bsd.purl == (
        "pkg:deb/debian/bsdutils@1:2.38.1-5%2Bb1?arch=amd64&distro=debian-12"
        "&upstream=util-linux%402.38.1-5"
    )
    held = packages["held", "all"]
    assert (held.source_name, held.source_version) == ("held", "0.9")
    assert held.purl == "pkg:deb/debian/held@0.9?arch=all&distro=debian-12"


def test_split_source() -> None:
    assert split_source("", "a", "1") == ("a", "1")
    assert split_source("glibc (2.36-9)", "libc6", "2.36-9+deb12u4") == ("glibc", "2.36-9")
    assert split_source("openssl", "libssl3", "3.0") == ("openssl", "3.0")


def test_truncated_status_keeps_complete_stanzas() -> None:
    data = STATUS.encode()[: STATUS.index("Version: 1:2.38") + 4]
    result = parse_dpkg_status(data)
    assert [p.name for p in result.packages] == ["libssl3", "libssl3"]
    assert len(result.notices) == 2  # the cut line 'Vers' and the stanza without a Version
    assert all(n.where == "/var/lib/dpkg/status" for n in result.notices)
    assert any("bsdutils" in n.message for n in result.notices)


def test_garbage_status_does_not_crash() -> None:
    result = parse_dpkg_status(b"\x00\xff\xfe garbage\n\n\x89PNG\r\n")
    assert result.packages == []


def test_cataloger_files_licences_locations() -> None:
    layer0 = {
        "var/lib/dpkg/status": STATUS,
        "var/lib/dpkg/info/libssl3:amd64.list": "/.\n/usr\n/usr/lib/x86_64-linux-gnu/libssl.so.3\n",
        "var/lib/dpkg/info/bsdutils.list": "/.\n/usr/bin/logger\n",
        "usr/share/doc/libssl3/copyright": DEP5,
        "usr/share/doc/bsdutils/copyright": "see /usr/share/common-licenses/GPL-2.\n",
    }
    result = catalog(layer0)
    packages = {(p.name, p.arch): p for p in result.packages}
    ssl = packages["libssl3", "amd64"]
    assert ssl.files == ("/usr", "/usr/lib/x86_64-linux-gnu/libssl.so.3")
    assert ssl.licenses == ("Apache-2.0", "GPL-2+ or Artistic")
    assert [loc.path for loc in ssl.locations] == [
        "/var/lib/dpkg/status",
        "/var/lib/dpkg/info/libssl3:amd64.list",
        "/usr/share/doc/libssl3/copyright",
    ]
    assert ssl.locations[0].layer_index == 0
    assert packages["libssl3", "i386"].files == ()
    assert packages["bsdutils", "amd64"].files == ("/usr/bin/logger",)
    assert packages["bsdutils", "amd64"].licenses == ("GPL-2",)


def test_status_location_is_the_layer_that_last_wrote_it() -> None:
    result = catalog({"var/lib/dpkg/status": STATUS}, {"var/lib/dpkg/status": STATUS})
    assert {p.locations[0].layer_index for p in result.packages} == {1}


def test_distroless_status_d() -> None:
    stanza = "Package: libc6\nVersion: 2.36-9+deb12u4\nArchitecture: amd64\nSource: glibc\n"
    layer = {
        "etc/os-release": 'ID="debian"\nVERSION_ID="12"\n',
        "var/lib/dpkg/status.d/libc6": stanza,
        "var/lib/dpkg/status.d/libc6.md5sums": "0123abcd  lib/x86_64-linux-gnu/libc.so.6\n",
        "var/lib/dpkg/status.d/base-files": "Package: base-files\nVersion: 12.4+deb12u5\n"
        "Architecture: amd64\n",
    }
    result = catalog(layer)
    names = sorted((p.name, p.version) for p in result.packages)
    assert names == [("base-files", "12.4+deb12u5"), ("libc6", "2.36-9+deb12u4")]
    libc = next(p for p in result.packages if p.name == "libc6")
    assert libc.files == ("/lib/x86_64-linux-gnu/libc.so.6",)
    assert libc.source_name == "glibc"
    assert libc.locations[0].path == "/var/lib/dpkg/status.d/libc6"


def test_copyright_through_doc_symlink() -> None:
    layer = {
        "var/lib/dpkg/status": "Package: libfoo1\nStatus: install ok installed\nVersion: 1\n",
        "usr/share/doc/foo-common/copyright": DEP5,
        "usr/share/doc/libfoo1": Link("foo-common"),
    }
    (pkg,) = catalog(layer).packages
    assert pkg.licenses == ("Apache-2.0", "GPL-2+ or Artistic")


def test_parse_copyright_variants() -> None:
    assert parse_copyright(DEP5.encode()) == ("Apache-2.0", "GPL-2+ or Artistic")
    free_form = b"License: not a dep5 file\nsee /usr/share/common-licenses/LGPL-2.1 and\n"
    assert parse_copyright(free_form) == ("LGPL-2.1",)
    assert parse_copyright(b"\xff\x00") == ()


_FIELD_PIECES = ("Format: dep5\n", "License:", "LICENSE:", "licenſe:", "lıcense:", " ", "\t",
                 "\n", "\r", "GPL-2+", "MIT ", "x", "\u2028", "\n\n")  # fmt: skip


@given(st.lists(st.sampled_from(_FIELD_PIECES), max_size=24))
def test_licence_fields_as_the_multiline_regex_finds_them(pieces: list[str]) -> None:
    """The `License:` fields are those `^License:...$` finds in multiline, ignore-case mode."""
    text = "".join(pieces)
    oracle = re.compile(r"^License:[ \t]*(\S[^\n]*?)[ \t]*$", re.MULTILINE | re.IGNORECASE)
    found = [m.group(1) for m in _license_fields(text)]
    assert found == [m.group(1) for m in oracle.finditer(text)]
    if text.startswith("Format: dep5\n"):
        names = [name.strip() for name in found if name.strip()]
        assert parse_copyright(text.encode()) == tuple(dict.fromkeys(names))


def test_no_database_no_packages() -> None:
    result = catalog({"etc/hostname": "x"})
    assert result.packages == () and result.notices == ()


REMOVED = "".join(
    f"Package: {name}\nStatus: {status}\nArchitecture: amd64\nVersion: {version}\n\n"
    for name, status, version in (
        ("linux-image-6.1.0-9-amd64", "deinstall ok config-files", "6.1.27-1"),
        ("linux-image-6.1.0-10-amd64", "deinstall ok installed", "6.1.38-1"),
        ("oldtool", "purge ok not-installed", "1.0"),
        ("gone", "unknown ok not-installed", "2.0"),
        ("kept", "install ok installed", "3.0"),
    )
)


def test_removed_and_removing_packages_are_not_listed() -> None:
    names = [p.name for p in parse_dpkg_status(REMOVED.encode()).packages]
    assert names == ["kept"]
    distroless = parse_dpkg_status(REMOVED.encode(), require_status=False).packages
    assert [p.name for p in distroless] == ["kept"]  # a status.d stanza is filtered alike
    no_status = b"Package: base-files\nVersion: 12.4\n"
    assert len(parse_dpkg_status(no_status, require_status=False).packages) == 1

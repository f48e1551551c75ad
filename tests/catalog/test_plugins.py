"""The cataloger list and the purl builders."""

from __future__ import annotations

from sievert.catalog.base import Cataloger
from sievert.catalog.distro import DISTRO_GLOBS
from sievert.catalog.plugins import (
    BINARY_CATALOGERS,
    CATALOGERS,
    LANGUAGE_CATALOGERS,
    OS_CATALOGERS,
    PKG_TYPES,
    all_globs,
)
from sievert.catalog.purl import apk_purl, deb_purl, distro_qualifier, rpm_purl
from sievert.model import Distro


def test_catalogers_are_distinct_and_declare_globs() -> None:
    names = [c.name for c in CATALOGERS]
    assert names[:3] == ["dpkg-db", "apk-db", "rpm-db"]
    assert len(set(names)) == len(names)
    for cataloger in CATALOGERS:
        assert isinstance(cataloger.version, str) and cataloger.version
        assert cataloger.globs or getattr(cataloger, "extractors", ())
        assert all(not g.startswith("/") for g in cataloger.globs)
    assert "var/lib/dpkg/status" in all_globs()
    assert "var/lib/rpm/Packages" in all_globs()
    assert all(not g.startswith("/") for g in DISTRO_GLOBS)


def _cataloger_classes() -> set[type]:
    """Every class under sievert.catalog that implements a cataloger (`catalog` and `globs`)."""
    import importlib
    import inspect
    import pkgutil

    import sievert.catalog

    found: set[type] = set()
    for info in pkgutil.walk_packages(sievert.catalog.__path__, "sievert.catalog."):
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            own = cls.__module__ == module.__name__ and cls is not Cataloger
            shaped = callable(getattr(cls, "catalog", None)) and isinstance(
                getattr(cls, "globs", None), tuple
            )
            if own and shaped:
                found.add(cls)
    return found


def test_every_cataloger_class_is_listed_once() -> None:
    listed = [type(c) for c in CATALOGERS]
    assert len(set(listed)) == len(listed)
    assert _cataloger_classes() == set(listed)


def test_groups_partition_the_list_and_os_catalogers_come_first() -> None:
    assert (*OS_CATALOGERS, *LANGUAGE_CATALOGERS, *BINARY_CATALOGERS) == CATALOGERS
    assert {c.name for c in OS_CATALOGERS} == {"dpkg-db", "apk-db", "rpm-db"}
    assert {"os": OS_CATALOGERS, "library": (*LANGUAGE_CATALOGERS, *BINARY_CATALOGERS)} == PKG_TYPES


def test_purls() -> None:
    debian = Distro(id="debian", version_id="12")
    assert deb_purl("openssl", "3.0.11-1~deb12u2", "amd64", debian, "openssl") == (
        "pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12"
    )
    ubuntu = Distro(id="ubuntu", version_id="22.04")
    assert deb_purl("libssl3", "3.0.2-0ubuntu1.15", "amd64", ubuntu, "openssl").startswith(
        "pkg:deb/ubuntu/libssl3@3.0.2-0ubuntu1.15?arch=amd64&distro=ubuntu-22.04&upstream=openssl"
    )
    assert deb_purl("x", "1", "", None) == "pkg:deb/debian/x@1"
    assert apk_purl("musl", "1.2.5-r0", "x86_64", Distro(id="alpine", version_id="3.23.0")) == (
        "pkg:apk/alpine/musl@1.2.5-r0?arch=x86_64&distro=alpine-3.23.0"
    )
    rhel = Distro(id="rhel", version_id="9.2")
    assert rpm_purl("openssl", "3.0.7-18.el9", "x86_64", rhel, 1) == (
        "pkg:rpm/redhat/openssl@3.0.7-18.el9?arch=x86_64&distro=rhel-9.2&epoch=1"
    )
    rocky = Distro(id="rocky", version_id="9.3")
    assert rpm_purl("bash", "5.1.8-6.el9", "x86_64", rocky, 0).startswith("pkg:rpm/rocky/bash@")
    assert distro_qualifier(Distro(id="wolfi")) == {"distro": "wolfi"}
    assert distro_qualifier(None) == {}

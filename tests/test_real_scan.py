"""`sievert db update --mirror ../shared/feeds`, then scans of the real images in ../shared/images.

Expectations come from the feed records themselves (see ../shared/feeds/README.md): a user can
check each one by reading the record named in the assertion.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sievert.model.finding import Finding, ScanResult
from sievert.model.vuln import AFFECTED, FIXED, WONT_FIX
from sievert.pipeline import InventoryOptions, ScanOptions, scan
from sievert.versions import compare


@pytest.fixture(scope="module")
def results(real_db: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, ScanResult]:
    layout = Path(__file__).resolve().parents[1].parent / "shared" / "images" / "oci-layout"
    if not layout.is_dir():
        pytest.skip("../shared/images not present (fresh clone): real-image test skipped")
    cache = tmp_path_factory.mktemp("cache")
    options = ScanOptions(inventory=InventoryOptions(cache_dir=cache), db_path=real_db)
    return {
        tag: scan(f"oci-dir:{layout}:{tag}", options)
        for tag in ("bookworm", "bookworm-apps", "alpine-3.23")
    }


def by(result: ScanResult, vuln: str, package: str) -> Finding | None:
    return next((f for f in result.findings if f.id == vuln and f.package.name == package), None)


def test_debian_tracker_findings_with_their_fix_states(results: dict[str, ScanResult]) -> None:
    for tag in ("bookworm", "bookworm-apps"):
        result = results[tag]
        fixed = by(result, "CVE-2024-22365", "libpam0g")  # pam: fixed in 1.5.2-6+deb12u3
        assert fixed is not None and fixed.fix_state == FIXED
        assert fixed.fixed_versions == ("1.5.2-6+deb12u3",)
        assert (
            fixed.evidence.matched_by == "source-package" and fixed.evidence.matched_name == "pam"
        )
        no_dsa = by(result, "CVE-2024-10041", "libpam0g")  # pam: bookworm <no-dsa>
        assert (
            no_dsa is not None and no_dsa.fix_state == AFFECTED and no_dsa.affected.note == "no-dsa"
        )
        ignored = by(result, "CVE-2016-2781", "coreutils")  # coreutils: <no-dsa> ignored
        assert ignored is not None and ignored.fix_state == WONT_FIX
        assert {f.affected.namespace for f in result.findings if f.package.type == "deb"} == {
            "debian:bookworm"
        }


def test_libssh2_fixed_in_the_point_release_and_terrapin_not_affected(
    results: dict[str, ScanResult],
) -> None:
    apps = results["bookworm-apps"]
    libssh2 = [f for f in apps.findings if f.package.name == "libssh2-1"]
    assert libssh2 and all(f.fixed_versions == ("1.10.0-3+deb12u1",) for f in libssh2)
    assert by(apps, "CVE-2023-48795", "libssh2-1") is None  # the tracker says not-affected


def test_no_distro_finding_at_or_above_its_fixed_version(results: dict[str, ScanResult]) -> None:
    for result in results.values():
        for f in result.findings:
            if f.evidence.source == "debian-tracker" and f.fix_state == FIXED:
                installed = f.package.source_version or f.package.version
                assert compare("deb", installed, f.fixed_versions[0]) < 0, f


def test_apps_language_findings_come_from_osv(results: dict[str, ScanResult]) -> None:
    apps = results["bookworm-apps"]
    lodash = by(apps, "CVE-2020-8203", "lodash")  # GHSA-p6mc-m468-83gw, lodash 4.17.15
    assert lodash is not None and "GHSA-p6mc-m468-83gw" in lodash.vulnerability.aliases
    assert lodash.package.locations[0].path.startswith("/app/node_modules/")
    assert by(apps, "CVE-2021-44906", "minimist") is not None  # GHSA-xvch-5gv4-984h
    assert by(apps, "CVE-2018-18074", "requests") is not None  # PYSEC-2018-28
    assert by(apps, "CVE-2019-14232", "Django") is not None  # PYSEC-2019-11
    stdlib = [f for f in apps.findings if f.package.name == "stdlib"]  # esbuild built with go1.17.2
    assert stdlib and all(f.affected.namespace == "go" for f in stdlib)
    assert {f.package.introduced_by for f in apps.findings if f.package.type != "deb"} == {2}


def test_os_owned_gems_and_jars_are_not_matched_through_language_feeds(
    results: dict[str, ScanResult],
) -> None:
    apps = results["bookworm-apps"]
    owned = [p for p in apps.inventory.packages if p.type in ("gem", "maven")]
    assert owned and all(p.owner.startswith("pkg:deb/debian/") for p in owned)
    assert not [f for f in apps.findings if f.package.type in ("gem", "maven")]


def test_alpine_packages_are_at_or_above_every_secfix(results: dict[str, ScanResult]) -> None:
    alpine = results["alpine-3.23"]
    assert len(alpine.inventory.packages) == 59
    assert alpine.findings == ()

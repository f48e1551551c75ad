"""Every predicate against the small scan: which subjects trigger."""

from __future__ import annotations

from typing import Any

import pytest
from msgspec.structs import replace

from sievert.model.finding import ScanResult
from sievert.policy import BaseImage
from tests.policy.helpers import scan, subjects, verdict_of

GLIBC = "CVE-2024-0001/libc6"
BASH = "CVE-2023-0002/bash"
REQUESTS = "CVE-2024-35195/requests"
RUBY_DEB = "CVE-2024-0003/ruby3.1"
RUBY_GEM = "CVE-2024-0003/json"
TEMP = "TEMP-0000001-ABCDEF/bash"
AWS = "SV-SEC-001|/app/.env:2"
PEM = "SV-SEC-004|/usr/share/doc/x/key.pem:1"

CASES = [
    ("{severity: critical}", [GLIBC]),
    ("{severity: high}", [BASH, GLIBC]),
    ("{severity: low}", [BASH, GLIBC, REQUESTS, RUBY_DEB]),
    ("{cvss_v3: 9.8}", [GLIBC]),
    ("{cvss_v3: 5.0}", [GLIBC, REQUESTS]),
    ("{cvss_v4: 9.0}", [GLIBC]),
    ("{cvss_v4: 9.5}", []),
    ("{fix_available: true}", [GLIBC, REQUESTS, RUBY_GEM]),
    ("{fix_available: false}", [BASH, RUBY_DEB, TEMP]),
    ("{fix_state: [wont-fix, deferred]}", [BASH, RUBY_DEB]),
    ("{kev: true}", [GLIBC]),
    ("{epss_score: 0.01}", [BASH, GLIBC]),
    ("{epss_percentile: 0.9}", [GLIBC]),
    ("{exploit_known: true}", [GLIBC]),
    ("{days_since_published: 120}", [BASH, GLIBC]),
    ("{days_since_published: 365}", [BASH]),
    ("{days_since_fix: 100}", [GLIBC]),
    ("{days_since_fix: 10}", [GLIBC, REQUESTS]),
    ("{vulnerability_id: DSA-5600-1}", [GLIBC]),
    ("{vulnerability_id: 'CVE-2024-*'}", [GLIBC, REQUESTS, RUBY_DEB, RUBY_GEM]),
    ("{package: {name: requests, type: pypi, version: '< 2.32.0'}}", ["requests"]),
    ("{package: {name: requests, type: pypi, version: '>= 2.32.0'}}", []),
    ("{package: 'libc6 < 2.36-9+deb12u7'}", ["libc6"]),
    ("{package: 'libc6 < 2.36-9+deb12u3'}", []),
    ("{package: [bash, {name: 'ruby*', ecosystem: debian}]}", ["bash", "ruby3.1"]),
    ("{license: 'GPL-3.0*'}", ["bash"]),
    ("{license: BSD-2-Clause}", ["json", "ruby3.1"]),
    ("{config_rule: SV-DF-002}", ["SV-DF-002|Dockerfile:9"]),
    ("{config_severity: medium}", ["SV-DF-002|Dockerfile:9", "SV-DF-003|Dockerfile:1"]),
    ("{secret_rule: 'SV-SEC-00[14]'}", [AWS, PEM]),
    ("{secret_rule: SV-SEC-004}", [PEM]),
    ("{secret: true}", [AWS, PEM]),
    ("{user_root: false}", ["image"]),
    ("{user_root: true}", []),
    ("{missing_labels: [org.opencontainers.image.title]}", []),
    ("{missing_labels: [org.opencontainers.image.title, org.example.team]}", ["image"]),
    ("{missing_packages: [bash, {name: requests, type: pypi, version: '>= 2'}]}", []),
    ("{missing_packages: [{name: requests, type: pypi, version: '>= 3'}]}", ["image"]),
    ("{size_over: 40MB}", ["image"]),
    ("{size_over: 40MiB}", []),
    ("{layers_over: 2}", ["image"]),
    ("{layers_over: 3}", []),
    ("{db_older_than: 10}", ["image"]),
    ("{db_older_than: 16}", []),
    ("{base_image_known: false}", ["image"]),
]


@pytest.mark.parametrize(("when", "expected"), CASES)
def test_predicate(when: str, expected: list[str]) -> None:
    assert subjects(verdict_of(when)) == sorted(expected)


def test_vulnerability_package_range_via_for() -> None:
    when = "{package: {name: requests, type: pypi, version: '< 2.32.0'}}"
    assert subjects(verdict_of(when, extra="for: vulnerabilities")) == [REQUESTS]


def _image(**changes: Any) -> ScanResult:
    result = scan()
    image = replace(result.inventory.image, **changes)
    return replace(result, inventory=replace(result.inventory, image=image))


@pytest.mark.parametrize(
    ("user", "root"), [("", True), ("root", True), ("0:0", True), ("app", False), ("1000", False)]
)
def test_user_root(user: str, root: bool) -> None:
    verdict = verdict_of("{user_root: true}", _image(user=user))
    assert (verdict.action == "stop") is root


@pytest.mark.parametrize(
    ("ports", "expected"),
    [(("22/tcp",), True), (("2222/tcp",), False), (("23/udp",), False), (("6010/tcp",), True)],
)
def test_exposed_ports(ports: tuple[str, ...], expected: bool) -> None:
    when = "{exposed_ports: [22, 23/tcp, 6000-6063]}"
    verdict = verdict_of(when, _image(exposed_ports=ports))
    assert bool(verdict.triggered) is expected


def test_image_detail_names_what_was_found() -> None:
    image = _image(exposed_ports=("22/tcp", "80/tcp"))
    verdict = verdict_of("{exposed_ports: [22]}", image)
    assert verdict.triggered[0].findings[0].summary == "exposes 22/tcp"


def test_db_unknown_build_time_triggers_only_when_vulns_were_scanned() -> None:
    unknown = replace(scan(), db_built="")
    assert verdict_of("{db_older_than: 7}", unknown).triggered
    assert not verdict_of("{db_older_than: 7}", replace(unknown, scanners=("config",))).triggered


BASE = BaseImage("docker.io/library/debian:12.5", "sha256:" + "a" * 64, 1, "layers")


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ("{layer_origin: base}", ["bash", "libc6"]),
        ("{layer_origin: own}", ["json", "requests", "ruby3.1"]),
        ("{base_image_in: ['debian:12*']}", ["image"]),
        ("{base_image_in: ['alpine']}", []),
        ("{base_image_not_in: ['debian:12*', 'registry.example.com/base/*']}", []),
        ("{base_image_not_in: ['docker.io/library/alpine:*']}", ["image"]),
        ("{base_image_in: ['*@sha256:" + "a" * 64 + "']}", ["image"]),
        ("{base_image_known: true}", ["image"]),
    ],
)
def test_base_predicates(when: str, expected: list[str]) -> None:
    assert subjects(verdict_of(when, base=BASE)) == sorted(expected)


def test_layer_origin_on_vulnerabilities_and_unknown_base() -> None:
    own_low = verdict_of("{layer_origin: own, severity: low}", base=BASE)
    assert subjects(own_low) == sorted([REQUESTS, RUBY_DEB])
    assert subjects(verdict_of("{layer_origin: own}")) == []
    assert subjects(verdict_of("{layer_origin: base}")) == []
    assert subjects(verdict_of("{base_image_not_in: [alpine]}")) == []

"""The long tail of lockfiles and manifests: pnpm 5.4/6/9, bun, pylock, Maven, Gradle,
Composer, NuGet; parsers on documented shapes, hostile XML, and the catalogers on a tree."""

from __future__ import annotations

import random

import pytest

from sievert.catalog.lang.dotnet import NugetLockCataloger, parse_packages_config
from sievert.catalog.lang.javascript import NpmLockCataloger, parse_bun_lock, parse_pnpm_lock
from sievert.catalog.lang.jvm import (
    GradleLockCataloger,
    MavenPomCataloger,
    parse_gradle_lockfile,
    parse_pom,
)
from sievert.catalog.lang.php import ComposerInstalledCataloger
from sievert.catalog.lang.python import PylockCataloger, parse_pylock
from tests.catalog.lang import longtail_files as files
from tests.catalog.lang.util import run


def _versions(packages: list[object]) -> dict[str, str]:
    return {p.name: p.version for p in packages}  # type: ignore[attr-defined]


def test_pnpm_v54_lists_every_entry_with_peer_suffixes_stripped() -> None:
    result = parse_pnpm_lock(files.PNPM_V54.encode(), "/p")
    assert result.notices == []
    found = _versions(result.packages)  # type: ignore[arg-type]
    assert len(result.packages) == files.PNPM_V54_COUNT  # not one: every packages: entry
    assert found["react-dom"] == "17.0.2"  # `_react@17.0.2` peer suffix stripped
    assert found["@testing-library/react"] == "12.1.5"  # hashed peer suffix stripped
    assert found["string_decoder"] == "1.3.0"  # an underscore in a name is not a suffix
    assert found["private-lib"] == "2.0.1"  # another registry's key
    assert all("_" not in v and "(" not in v for v in found.values())
    react_dom = next(p for p in result.packages if p.name == "react-dom")
    assert react_dom.purl == "pkg:npm/react-dom@17.0.2"
    assert react_dom.meta("direct") == "true"
    typescript = next(p for p in result.packages if p.name == "typescript")
    assert typescript.meta("dev") == "true"


def test_pnpm_v6_and_v9_packages_and_snapshots() -> None:
    v6 = parse_pnpm_lock(files.PNPM_V6.encode(), "/p").packages
    assert _versions(v6) == {  # type: ignore[arg-type]
        "@types/node": "20.11.5",
        "react-dom": "18.2.0",
        "react": "18.2.0",
        "vitest": "1.2.0",
    }
    v9 = parse_pnpm_lock(files.PNPM_V9.encode(), "/p").packages
    assert _versions(v9) == {  # type: ignore[arg-type]
        "@types/express": "4.17.21",
        "express": "4.17.1",
        "react-dom": "17.0.2",
        "react": "17.0.2",
        "ms": "2.0.0",  # only under snapshots:
        "loose-envify": "1.4.0",
    }
    assert len(v9) == 6  # a package and its snapshot(s) are one entry


def test_bun_lock_text_format() -> None:
    result = parse_bun_lock(files.BUN_LOCK.encode(), "/bun.lock")
    assert result.notices == []
    assert sorted((p.name, p.version) for p in result.packages) == [
        ("debug", "2.6.9"),
        ("express", "4.17.1"),
        ("lodash", "4.17.15"),
        ("ms", "2.0.0"),
        ("ms", "2.1.1"),  # send/ms: a nested copy
        ("send", "0.17.1"),
        ("typescript", "4.9.5"),
    ]  # the workspace package `lib` is not a registry package
    typescript = next(p for p in result.packages if p.name == "typescript")
    assert typescript.metadata == (("direct", "true"), ("dev", "true"))
    broken = parse_bun_lock(b'{"lockfileVersion": 1, "packages": {"x": [],}}', "/b")
    assert [n.message for n in broken.notices] == ["entry 'x': no name@version"]
    assert parse_bun_lock(b"{ nope", "/b").notices[0].where == "/b"


def test_pylock_versions_and_sources_without_one() -> None:
    result = parse_pylock(files.PYLOCK.encode(), "/pylock.toml")
    assert [(p.name, p.version, p.purl) for p in result.packages] == [
        ("attrs", "25.1.0", "pkg:pypi/attrs@25.1.0"),
        ("Jinja2", "2.10", "pkg:pypi/jinja2@2.10"),
    ]
    assert [n.message for n in result.notices] == [
        "locked package myproject (directory): no version, not matched",
        "locked package tool-from-git (vcs): no version, not matched",
    ]
    assert (
        parse_pylock(b"[[package]]\nname='x'\n", "/p")
        .notices[0]
        .message.startswith("no lock-version")
    )


def test_pom_resolves_properties_parent_and_dependency_management() -> None:
    result = parse_pom(files.POM.encode(), "/pom.xml")
    found = {p.name: p for p in result.packages}
    assert {n: p.version for n, p in found.items()} == {
        "com.fasterxml.jackson.core:jackson-databind": "2.9.8",  # ${jackson.version}
        "org.apache.logging.log4j:log4j-core": "2.14.1",  # managed, property of a property
        "com.example:orders-api": "3.4.0",  # ${project.groupId}/${project.version} via parent
        "junit:junit": "4.12",
    }
    assert found["junit:junit"].meta("dev") == "true"
    log4j = found["org.apache.logging.log4j:log4j-core"]
    assert log4j.purl == "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"
    assert sorted(n.message for n in result.notices) == [
        "dependency commons-io:commons-io: version unresolved ([2.0,3.0))",
        "dependency io.netty:netty-handler: version unresolved (${netty.version})",
        "dependency org.springframework.boot:spring-boot-starter-web: "
        "version unresolved (no version in this file)",
    ]


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<project><dependencies><dependency><groupId>&lol3;</groupId>
<artifactId>a</artifactId><version>1</version></dependency></dependencies></project>
"""
XXE = b"""<?xml version="1.0"?>
<!DOCTYPE packages [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<packages><package id="&xxe;" version="1.0.0" /></packages>
"""


@pytest.mark.parametrize(
    ("parser", "data"),
    [
        (parse_pom, BILLION_LAUGHS),
        (parse_packages_config, XXE),
        (parse_pom, b"<project><dependencies>"),
        (parse_pom, b"<settings/>"),
        (parse_packages_config, b"\xff\xfe not xml"),
        (parse_pom, b'<?xml version="1.0" encoding="utf-1"?><project/>'),
    ],
)
def test_hostile_or_broken_xml_is_a_notice(parser: object, data: bytes) -> None:
    result = parser(data, "/f")  # type: ignore[operator]
    assert result.packages == []
    (notice,) = result.notices
    assert notice.where == "/f"


def test_gradle_lockfiles() -> None:
    result = parse_gradle_lockfile(files.GRADLE_LOCK.encode(), "/gradle.lockfile")
    found = {p.name: p for p in result.packages}
    assert {n: p.version for n, p in found.items()} == {
        "com.fasterxml.jackson.core:jackson-annotations": "2.13.0",
        "com.google.guava:guava": "31.1-jre",
        "org.apache.logging.log4j:log4j-api": "2.14.1",
        "org.junit.jupiter:junit-jupiter-api": "5.9.1",
    }
    assert found["org.junit.jupiter:junit-jupiter-api"].meta("dev") == "true"
    assert found["com.google.guava:guava"].meta("dev") == ""
    assert found["com.google.guava:guava"].purl == "pkg:maven/com.google.guava/guava@31.1-jre"
    broken = parse_gradle_lockfile(b"not-a-module=x\na:b:c=conf\n", "/g")
    assert [n.message for n in broken.notices] == ["line 1: not group:name:version"]
    assert len(broken.packages) == 1


def test_packages_config() -> None:
    result = parse_packages_config(files.PACKAGES_CONFIG.encode(), "/packages.config")
    found = {p.name: p for p in result.packages}
    assert found["log4net"].purl == "pkg:nuget/log4net@2.0.8"
    assert found["log4net"].meta("target_framework") == "net472"
    assert found["Microsoft.Net.Compilers"].meta("dev") == "true"


def test_catalogers_on_a_project_tree() -> None:
    tree = {**files.FILES, "other/installed.json": '{"installed": ["not", "composer"]}'}
    results = {
        c.name: run(c, tree)
        for c in (
            NpmLockCataloger(),
            PylockCataloger(),
            MavenPomCataloger(),
            GradleLockCataloger(),
            ComposerInstalledCataloger(),
            NugetLockCataloger(),
        )
    }
    paths = {c: sorted({p.locations[0].path for p in r.packages}) for c, r in results.items()}
    assert paths == {
        "npm-lock": [
            "/web/bun/bun.lock",
            "/web/v5/pnpm-lock.yaml",
            "/web/v6/pnpm-lock.yaml",
            "/web/v9/pnpm-lock.yaml",
        ],
        "python-pylock": ["/py/pylock.toml"],
        "maven-pom": ["/jvm/pom.xml"],
        "gradle-lock": ["/jvm/buildscript-gradle.lockfile", "/jvm/gradle.lockfile"],
        "composer-installed": ["/legacy/installed.json", "/php/vendor/composer/installed.json"],
        "nuget-lock": ["/dotnet/legacy/packages.config", "/dotnet/packages.lock.json"],
    }
    composer = {p.name: p for p in results["composer-installed"].packages}
    assert composer["phpunit/phpunit"].meta("dev") == "true"  # composer 2's dev-package-names
    assert composer["monolog/monolog"].version == "1.25.0"  # composer 1's list, on its own
    assert results["composer-installed"].notices == ()  # a foreign installed.json is skipped
    noticed = {n.where for r in results.values() for n in r.notices}
    assert noticed == {"/py/pylock.toml", "/jvm/pom.xml"}  # versionless and unresolved entries


PARSERS = [
    (parse_pnpm_lock, files.PNPM_V54),
    (parse_pnpm_lock, files.PNPM_V9),
    (parse_bun_lock, files.BUN_LOCK),
    (parse_pylock, files.PYLOCK),
    (parse_pom, files.POM),
    (parse_gradle_lockfile, files.GRADLE_LOCK),
    (parse_packages_config, files.PACKAGES_CONFIG),
]


@pytest.mark.parametrize(("parser", "text"), PARSERS, ids=lambda x: getattr(x, "__name__", ""))
def test_mutated_files_give_a_result_never_an_exception(parser: object, text: str) -> None:
    rng = random.Random(751)  # fixed seed: the same mutations every run
    data = text.encode()
    for _ in range(150):
        mutated = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            position = rng.randrange(len(mutated))
            action = rng.random()
            if action < 0.4:
                mutated[position] = rng.randrange(256)
            elif action < 0.7:
                del mutated[position : position + rng.randint(1, 40)]
            else:
                mutated[position:position] = rng.choice([b"{", b"]", b"\x00", b"${x}", b"(", b"_"])
        result = parser(bytes(mutated), "/f")  # type: ignore[operator]
        assert isinstance(result.packages, list)
        assert all(p.name and p.version for p in result.packages)

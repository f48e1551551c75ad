"""Java archives: pom.properties, manifests, file names, nesting, and hostile zips."""

from __future__ import annotations

import json
import struct
import zipfile
from pathlib import Path

from sievert.catalog.binary.java import (
    JavaArchiveCataloger,
    parse_manifest,
    reduce_archive,
)
from tests.catalog.binary.builders import jar, pom, scan_dir, write_tree

MANIFEST = (
    "Manifest-Version: 1.0\r\n"
    "Bundle-SymbolicName: org.example.widget\r\n"
    "Bundle-License: Apache-2.0\r\n"
    "Implementation-Title: widget\r\n"
    "Implementation-Version: 3.2\r\n"
    " .1\r\n"
    "\r\n"
    "Name: org/example/\r\n"
    "Implementation-Version: 9.9.9\r\n"
)


def _scan(tmp_path: Path, files: dict[str, bytes]) -> tuple[dict[str, object], list[str]]:
    result, _ = scan_dir(write_tree(tmp_path, files), [JavaArchiveCataloger()])
    return {p.purl: p for p in result.packages}, [n.message for n in result.notices]


def test_pom_properties_win_and_manifest_licence_applies(tmp_path: Path) -> None:
    data = jar(
        {
            "META-INF/MANIFEST.MF": MANIFEST,
            "META-INF/maven/org.example/widget/pom.properties": pom(
                "org.example", "widget", "3.2.1"
            ),
            "org/example/Widget.class": b"\xca\xfe\xba\xbe",
        }
    )
    pkgs, notices = _scan(tmp_path, {"opt/app/widget-0.0.jar": data})
    assert notices == []
    (package,) = pkgs.values()
    assert package.purl == "pkg:maven/org.example/widget@3.2.1"  # type: ignore[attr-defined]
    assert package.name == "org.example:widget"  # type: ignore[attr-defined]
    assert package.licenses == ("Apache-2.0",)  # type: ignore[attr-defined]
    assert package.meta("source") == "pom.properties"  # type: ignore[attr-defined]
    assert package.meta("manifest.Implementation-Version") == "3.2.1"  # type: ignore[attr-defined]
    assert len(package.meta("sha1")) == 40  # type: ignore[attr-defined]
    assert package.locations[0].path == "/opt/app/widget-0.0.jar"  # type: ignore[attr-defined]


def test_shaded_jar_gives_one_package_per_pom(tmp_path: Path) -> None:
    data = jar(
        {
            "META-INF/maven/com.acme/uber/pom.properties": pom("com.acme", "uber", "1.0"),
            "META-INF/maven/com.google.guava/guava/pom.properties": pom(
                "com.google.guava", "guava", "31.1-jre"
            ),
            "META-INF/maven/org.slf4j/slf4j-api/pom.properties": pom(
                "org.slf4j", "slf4j-api", "2.0.7"
            ),
            "META-INF/maven/broken/broken/pom.properties": "groupId=broken\n",
        }
    )
    pkgs, _ = _scan(tmp_path, {"app/uber-1.0.jar": data})
    assert set(pkgs) == {
        "pkg:maven/com.acme/uber@1.0",
        "pkg:maven/com.google.guava/guava@31.1-jre",
        "pkg:maven/org.slf4j/slf4j-api@2.0.7",
    }


def test_manifest_then_file_name(tmp_path: Path) -> None:
    from_manifest = jar({"META-INF/MANIFEST.MF": MANIFEST})
    from_name = jar({"a.txt": "x"})
    nothing = jar({"a.txt": "x"})
    pkgs, notices = _scan(
        tmp_path,
        {
            "lib/widget.jar": from_manifest,
            "lib/commons-io-2.11.0.jar": from_name,
            "lib/x.jar": nothing,
        },
    )
    assert notices == []
    assert set(pkgs) == {"pkg:maven/org.example/widget@3.2.1", "pkg:maven/commons-io@2.11.0"}
    assert pkgs["pkg:maven/org.example/widget@3.2.1"].meta("source") == "manifest"  # type: ignore[attr-defined]
    assert pkgs["pkg:maven/commons-io@2.11.0"].meta("source") == "file name"  # type: ignore[attr-defined]


def test_nested_archives_in_war_and_spring_boot_jar(tmp_path: Path) -> None:
    inner = jar(
        {"META-INF/maven/org.yaml/snakeyaml/pom.properties": pom("org.yaml", "snakeyaml", "1.33")}
    )
    named = jar({"x": "y"})
    boot = jar(
        {"BOOT-INF/lib/snakeyaml-1.33.jar": inner, "BOOT-INF/lib/log4j-core-2.14.1.jar": named},
        compression=zipfile.ZIP_STORED,
    )
    war = jar({"WEB-INF/lib/app-boot-1.0.jar": boot, "WEB-INF/web.xml": "<web-app/>"})
    pkgs, notices = _scan(tmp_path, {"srv/site.war": war})
    assert notices == []
    assert set(pkgs) == {
        "pkg:maven/org.yaml/snakeyaml@1.33",
        "pkg:maven/log4j-core@2.14.1",
        "pkg:maven/app-boot@1.0",
    }
    snake = pkgs["pkg:maven/org.yaml/snakeyaml@1.33"]
    assert snake.meta("virtual_path") == (  # type: ignore[attr-defined]
        "/srv/site.war:WEB-INF/lib/app-boot-1.0.jar:BOOT-INF/lib/snakeyaml-1.33.jar"
    )
    assert snake.locations[0].path == "/srv/site.war"  # type: ignore[attr-defined]


def test_nesting_at_any_depth_with_manifest_and_pom_in_each(tmp_path: Path) -> None:
    data = jar({"META-INF/maven/g/leaf/pom.properties": pom("g", "leaf", "1")})
    for level in range(12):  # jar in jar in ... in an ear, twelve levels
        manifest = f"Manifest-Version: 1.0\nImplementation-Title: level{level}\n"
        manifest += f"Specification-Version: {level}.0\n" if level % 2 else ""
        manifest += "" if level % 2 else f"Implementation-Version: {level}.1\n"
        data = jar({f"lib/level{level}.jar": data, "META-INF/MANIFEST.MF": manifest})
    pkgs, notices = _scan(tmp_path, {"deep.ear": data})
    assert notices == []
    assert "pkg:maven/g/leaf@1" in pkgs
    versions = {p.name: p.version for p in pkgs.values()}  # type: ignore[attr-defined]
    assert versions["level0"] == "0.1"  # Implementation-Version
    assert versions["level1"] == "1.0"  # Specification-Version when no Implementation-Version
    assert versions["level10"] == "10.1"
    leaf = pkgs["pkg:maven/g/leaf@1"]
    assert leaf.meta("virtual_path").count(":") == 12  # type: ignore[attr-defined]


def test_nested_archives_bounded_by_count_and_size(tmp_path: Path, monkeypatch: object) -> None:
    import sievert.catalog.binary.java as java

    inner = jar({"META-INF/maven/g/a/pom.properties": pom("g", "a", "1")})
    wide = jar({f"lib/a{i}.jar": inner for i in range(5)})
    setattr_ = monkeypatch.setattr  # type: ignore[attr-defined]
    setattr_(java, "MAX_ARCHIVES", 3)
    _, notices = _scan(tmp_path / "count", {"wide.war": wide})
    assert any("more than 3 nested archives" in n for n in notices)
    setattr_(java, "MAX_ARCHIVES", 2000)
    setattr_(java, "MAX_TOTAL", len(inner) * 2)
    _, notices = _scan(tmp_path / "size", {"wide.war": wide})
    assert any("over the bound" in n for n in notices)


def test_truncated_zip_gives_a_notice(tmp_path: Path) -> None:
    data = jar({"META-INF/maven/g/a/pom.properties": pom("g", "a", "1")})
    pkgs, notices = _scan(
        tmp_path, {"lib/a-1.jar": data[: len(data) // 2], "lib/ok-2.0.jar": jar({"x": "1"})}
    )
    assert set(pkgs) == {"pkg:maven/ok@2.0"}
    assert len(notices) == 1 and "not a readable zip" in notices[0]


def _inflate_declared_size(data: bytes, name: bytes, size: int) -> bytes:
    """Patch the central directory's uncompressed size of one member (a zip-bomb header)."""
    out = bytearray(data)
    pos = out.find(b"PK\x01\x02" + bytes(0))
    while pos >= 0:
        name_len = struct.unpack_from("<H", out, pos + 28)[0]
        if bytes(out[pos + 46 : pos + 46 + name_len]) == name:
            struct.pack_into("<I", out, pos + 24, size)
        pos = out.find(b"PK\x01\x02", pos + 4)
    return bytes(out)


def test_zip_bomb_declared_sizes_are_refused(tmp_path: Path) -> None:
    inner = jar({"META-INF/maven/g/b/pom.properties": pom("g", "b", "1")})
    outer = jar({"lib/b-1.jar": inner, "META-INF/maven/g/o/pom.properties": pom("g", "o", "2")})
    bomb = _inflate_declared_size(outer, b"lib/b-1.jar", 0xFFFFFFF0)
    bomb = _inflate_declared_size(bomb, b"META-INF/maven/g/o/pom.properties", 50_000_000)
    summary = json.loads(reduce_archive("x.jar", bomb) or b"{}")
    assert summary["packages"] == []
    assert len(summary["errors"]) == 2
    assert all("over the bound" in e for e in summary["errors"])


def test_size_mismatch_is_refused() -> None:
    outer = jar({"META-INF/maven/g/o/pom.properties": pom("g", "o", "2")}, zipfile.ZIP_STORED)
    lying = _inflate_declared_size(outer, b"META-INF/maven/g/o/pom.properties", 10)
    summary = json.loads(reduce_archive("x.jar", lying) or b"{}")
    assert summary["packages"] == [] and summary["errors"]


def test_not_a_zip_at_all(tmp_path: Path) -> None:
    pkgs, notices = _scan(tmp_path, {"lib/junk.jar": b"\x00" * 100})
    assert pkgs == {} and len(notices) == 1


def test_manifest_parsing_stops_at_the_main_section() -> None:
    fields = parse_manifest(MANIFEST)
    assert fields["Implementation-Version"] == "3.2.1"
    assert fields["Bundle-SymbolicName"] == "org.example.widget"

"""Go build info (both layouts, three executable formats) and go.mod/go.sum."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from sievert.catalog.binary.golang import (
    GoBinaryCataloger,
    GoBuildInfoError,
    GoModCataloger,
    is_pseudo_version,
    ldflags_version,
    modinfo_packages,
    parse_modinfo,
    pseudo_version,
    read_buildinfo,
    reduce_buildinfo,
    reduce_buildinfo_at,
)
from sievert.model import Location
from tests.catalog.binary.builders import (
    GO_MAGIC,
    Counting,
    go_elf,
    go_inline_block,
    go_pointer_block,
    scan_dir,
    tiny_elf,
    write_tree,
)

MOD = (
    "path\texample.com/app/cmd/app\n"
    "mod\texample.com/app\tv1.4.0\th1:main=\n"
    "dep\tgithub.com/pkg/errors\tv0.9.1\th1:errs=\n"
    "dep\tgolang.org/x/net\tv0.1.0\th1:old=\n"
    "=>\tgolang.org/x/net\tv0.7.0\th1:new=\n"
    "dep\texample.com/local\tv1.0.0\n"
    "=>\t../local\t(devel)\t\n"
    'build\t-ldflags="-s -w"\n'
    "build\tGOARCH=arm64\n"
    "build\tGOOS=linux\n"
)


def _by_name(packages: tuple[object, ...]) -> dict[str, object]:
    return {p.name: p for p in packages}  # type: ignore[attr-defined]


def test_inline_layout_gives_modules_stdlib_and_settings(tmp_path: Path) -> None:
    exe = go_elf(go_inline_block("go1.21.5", MOD))
    result, walk = scan_dir(
        write_tree(tmp_path, {"usr/bin/app": (exe, 0o755)}), [GoBinaryCataloger()]
    )
    assert walk == [] and result.notices == ()
    pkgs = {p.name: p for p in result.packages}
    assert set(pkgs) == {
        "example.com/app",
        "github.com/pkg/errors",
        "golang.org/x/net",
        "example.com/local",
        "stdlib",
    }
    assert pkgs["stdlib"].purl == "pkg:golang/stdlib@1.21.5"
    assert pkgs["stdlib"].meta("go_version") == "go1.21.5"
    assert pkgs["github.com/pkg/errors"].purl == "pkg:golang/github.com/pkg/errors@v0.9.1"
    assert pkgs["github.com/pkg/errors"].meta("h1") == "h1:errs="
    net = pkgs["golang.org/x/net"]
    assert (net.version, net.meta("h1"), net.meta("replaced")) == (
        "v0.7.0",
        "h1:new=",
        "golang.org/x/net v0.1.0",
    )
    local = pkgs["example.com/local"]
    assert (local.version, local.meta("replaced_by")) == ("(devel)", "../local")
    main = pkgs["example.com/app"]
    assert main.version == "v1.4.0" and main.meta("main") == "true"
    assert main.meta("build.-ldflags") == "-s -w"
    assert main.meta("build.GOOS") == "linux"
    assert {p.arch for p in result.packages} == {"arm64"}
    assert all(p.type == "golang" and p.cataloger == "go-module-binary" for p in result.packages)
    assert {loc.path for p in result.packages for loc in p.locations} == {"/usr/bin/app"}


def test_pointer_layout_of_go_before_1_18() -> None:
    exe = go_elf(go_pointer_block("go1.17.2", "path\tx/y\nmod\tx/y\t(devel)\t\n"))
    assert read_buildinfo(exe) == ("go1.17.2", "path\tx/y\nmod\tx/y\t(devel)\t\n")


def test_pointer_outside_the_file_is_an_error() -> None:
    block = bytearray(go_pointer_block("go1.17.2", "path\tx\n"))
    block[16:24] = (0xDEAD0000).to_bytes(8, "little")
    with pytest.raises(GoBuildInfoError, match="not in the file"):
        read_buildinfo(tiny_elf(bytes(block)))


@pytest.mark.parametrize(
    "payload",
    [
        GO_MAGIC + bytes([8, 2]) + bytes(16) + b"\x08go1.2",  # string runs past the end
        GO_MAGIC + bytes([8, 2]) + bytes(16) + b"\xff" * 12,  # overlong varint
        GO_MAGIC + bytes([3, 0]) + bytes(16),  # bad pointer size
    ],
)
def test_truncated_build_info_gives_a_notice(tmp_path: Path, payload: bytes) -> None:
    exe = tiny_elf(b"", {".gopclntab": b"\x00"}) + payload  # the magic ends the file
    summary = reduce_buildinfo("usr/bin/bad", exe)
    assert summary is not None and "error" in json.loads(summary)
    result, _ = scan_dir(write_tree(tmp_path, {"usr/bin/bad": (exe, 0o755)}), [GoBinaryCataloger()])
    assert result.packages == ()
    assert [n.where for n in result.notices] == ["/usr/bin/bad"]
    assert "Go build info unreadable" in result.notices[0].message


BIG = b"\x90" * 3_000_000


def test_inline_build_info_is_read_from_its_section_alone() -> None:
    """A 3 MB Go program: its header, section table and `.go.buildinfo` are read, no more."""
    exe = tiny_elf(BIG, {".text": b"\xc3", ".go.buildinfo": go_inline_block("go1.21.5", MOD)})
    file = Counting(exe)
    summary = reduce_buildinfo_at("usr/bin/app", file)
    assert summary == reduce_buildinfo("usr/bin/app", exe)
    assert summary is not None and json.loads(summary)["go"] == "go1.21.5"
    assert len(file.reads) == 3 and sum(file.reads) < 16 * 1024


def test_pointer_build_info_is_followed_through_the_program_headers() -> None:
    """Go 1.13-1.17: the pointers of the block in `.go.buildinfo` are followed by address,
    reading the two strings and their headers, not the whole file."""
    mod = "path\tx/y\nmod\tx/y\t(devel)\t\n"
    exe = go_elf(go_pointer_block("go1.17.2", mod)) + BIG
    file = Counting(exe)
    summary = reduce_buildinfo_at("usr/bin/old", file)
    assert summary is not None and json.loads(summary) == {"go": "go1.17.2", "mod": mod}
    assert max(file.reads) < 4096


def test_programs_of_other_linkers_are_not_read() -> None:
    """An ELF file whose sections are none of those the Go linker writes is not a Go program,
    whatever bytes it holds (`go version -m` agrees); with one of them, the whole file is
    searched as before (an older or unusual layout)."""
    block = go_inline_block("go1.21.5", MOD)
    other = Counting(tiny_elf(block + BIG, {".text": b"\xc3"}))
    assert reduce_buildinfo_at("usr/lib/libc.so", other) is None
    assert sum(other.reads) < 8 * 1024
    go_like = Counting(tiny_elf(block + BIG, {".gopclntab": b"\x00"}))
    summary = reduce_buildinfo_at("usr/bin/app", go_like)
    assert summary is not None and json.loads(summary)["go"] == "go1.21.5"
    assert max(go_like.reads) == go_like.size


def test_files_without_build_info_are_ignored() -> None:
    assert reduce_buildinfo("bin/sh", tiny_elf(b"no go here")) is None
    assert reduce_buildinfo("bin/script", b"#!/bin/sh\n" + GO_MAGIC) is None


def test_unframed_mod_info_is_dropped_but_stdlib_stays(tmp_path: Path) -> None:
    block = GO_MAGIC + bytes([8, 2]) + bytes(16) + b"\x08go1.20.1" + b"\x03abc"
    exe = go_elf(block)
    result, _ = scan_dir(write_tree(tmp_path, {"bin/x": (exe, 0o755)}), [GoBinaryCataloger()])
    assert [p.purl for p in result.packages] == ["pkg:golang/stdlib@1.20.1"]


def test_modinfo_parsing_and_pseudo_versions() -> None:
    info = parse_modinfo(MOD + "garbage line\n=>\torphan\n")
    assert info.path == "example.com/app/cmd/app"
    assert [d.path for d in info.deps] == [
        "github.com/pkg/errors",
        "golang.org/x/net",
        "example.com/local",
    ]
    stamp = {"vcs.revision": "0123456789abcdef0123", "vcs.time": "2023-05-06T07:08:09Z"}
    assert pseudo_version(stamp) == "v0.0.0-20230506070809-0123456789ab"
    assert pseudo_version({"vcs.time": "yesterday"}) == ""


def test_devel_main_module_takes_the_vcs_pseudo_version(tmp_path: Path) -> None:
    mod = (
        "path\tex.com/a\nmod\tex.com/a\t(devel)\t\n"
        "build\tvcs.revision=abcdefabcdefabcdef\nbuild\tvcs.time=2024-01-02T03:04:05Z\n"
    )
    exe = go_elf(go_inline_block("go1.22.0 X:boringcrypto", mod))
    result, _ = scan_dir(write_tree(tmp_path, {"app": (exe, 0o755)}), [GoBinaryCataloger()])
    pkgs = {p.name: p for p in result.packages}
    assert pkgs["ex.com/a"].version == "v0.0.0-20240102030405-abcdefabcdef"
    assert pkgs["stdlib"].version == "1.22.0"


def test_non_executable_files_are_not_read(tmp_path: Path) -> None:
    exe = go_elf(go_inline_block("go1.21.5", MOD))
    result, _ = scan_dir(write_tree(tmp_path, {"data/app.bin": exe}), [GoBinaryCataloger()])
    assert result.packages == ()


def test_go_mod_and_go_sum(tmp_path: Path) -> None:
    go_mod = b"""module example.com/svc

go 1.21

require github.com/a/b v1.0.0

require (
\tgithub.com/c/d v2.1.0+incompatible // indirect
\tgolang.org/x/text v0.3.0
\texample.com/old v0.1.0
)

replace golang.org/x/text v0.3.0 => golang.org/x/text v0.3.8

replace (
\texample.com/old => ../old
)
"""
    go_sum = (
        b"github.com/a/b v1.0.0 h1:ab=\n"
        b"github.com/a/b v1.0.0/go.mod h1:abmod=\n"
        b"golang.org/x/text v0.3.8 h1:text=\n"
    )
    files = {"src/go.mod": go_mod, "src/go.sum": go_sum}
    result, _ = scan_dir(write_tree(tmp_path, files), [GoModCataloger()])
    pkgs = {p.name: p for p in result.packages}
    assert {n: p.version for n, p in pkgs.items()} == {
        "github.com/a/b": "v1.0.0",
        "github.com/c/d": "v2.1.0+incompatible",
        "golang.org/x/text": "v0.3.8",
        "example.com/old": "(devel)",
    }
    assert pkgs["github.com/a/b"].meta("h1") == "h1:ab="
    assert pkgs["golang.org/x/text"].meta("h1") == "h1:text="
    assert pkgs["github.com/c/d"].meta("indirect") == "true"
    assert pkgs["example.com/old"].meta("replaced_by") == "../old"
    assert GoModCataloger.scopes == ("directory",)
    assert pkgs["github.com/a/b"].locations[0].path == "/src/go.mod"


GO_SOURCE = {
    "go.mod": b"module example.com/hello\n\ngo 1.18\n\nrequire example.com/dep v1.2.3\n\n"
    b"replace example.com/dep => ./dep\n",
    "dep/go.mod": b"module example.com/dep\n\ngo 1.18\n",
    "dep/dep.go": b'package dep\n\nfunc Hello() string { return "hi" }\n',
    "main.go": b'package main\n\nimport "example.com/dep"\n\n'
    b"func main() { println(dep.Hello()) }\n",
}


def _go_or_skip() -> str:
    """The go command; a skip outside CI when it is missing, a failure in CI."""
    go = shutil.which("go")
    if go is None:
        if os.environ.get("CI") == "true":
            pytest.fail("the go toolchain (apt golang-go) must be installed in CI")
        pytest.skip("the go toolchain (apt golang-go) is not installed")
    return go


def _go_env(work: Path) -> dict[str, str]:
    """An offline, reproducible build environment with its caches under `work`."""
    return {
        **os.environ,
        "GOCACHE": str(work / ".cache"),
        "GOPATH": str(work / ".gopath"),
        "GOPROXY": "off",
        "GOFLAGS": "-buildvcs=false",
        "GOTOOLCHAIN": "local",
        "CGO_ENABLED": "0",
    }


@pytest.fixture(scope="module")
def go_binaries(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """A real Go program built for Linux (ELF), Windows (PE) and macOS (Mach-O)."""
    go = _go_or_skip()
    work = tmp_path_factory.mktemp("gosrc")
    write_tree(work, GO_SOURCE)
    env = _go_env(work)
    built = {}
    for goos, goarch, name in (
        ("linux", "amd64", "elf"),
        ("windows", "amd64", "pe"),
        ("darwin", "arm64", "macho"),
    ):
        out = work / f"hello-{name}"
        cmd = [go, "build", "-trimpath", "-o", str(out), "."]
        run_env = {**env, "GOOS": goos, "GOARCH": goarch}
        subprocess.run(cmd, cwd=work, env=run_env, check=True, capture_output=True)
        built[name] = out.read_bytes()
    return built


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["elf", "pe", "macho"])
def test_real_go_binaries(go_binaries: dict[str, bytes], kind: str, tmp_path: Path) -> None:
    path = "app/hello.exe" if kind == "pe" else "app/hello"
    mode = 0o644 if kind == "pe" else 0o755  # a .exe is read without the exec bit
    tree = write_tree(tmp_path, {path: (go_binaries[kind], mode)})
    result, _ = scan_dir(tree, [GoBinaryCataloger()])
    pkgs = {p.name: p for p in result.packages}
    assert set(pkgs) == {"example.com/hello", "example.com/dep", "stdlib"}
    assert pkgs["example.com/dep"].meta("replaced_by") == "./dep"
    assert pkgs["example.com/hello"].version == "(devel)"
    version = subprocess.run(["go", "env", "GOVERSION"], capture_output=True, text=True).stdout
    assert pkgs["stdlib"].version == version.strip().removeprefix("go")
    goos = {"elf": "linux", "pe": "windows", "macho": "darwin"}[kind]
    assert pkgs["example.com/hello"].meta("build.GOOS") == goos


@pytest.mark.parametrize(
    ("ldflags", "expected"),
    [
        ("-s -w -X main.version=1.2.3", "v1.2.3"),
        ("-X 'main.Version=v2.0.1' -X main.commit=abc", "v2.0.1"),
        ("-X=github.com/prometheus/common/version.Version=2.45.0", "v2.45.0"),
        ("-X k8s.io/component-base/version.gitVersion=v1.28.2-k3s1", "v1.28.2-k3s1"),
        ("-X example.com/app/internal/meta.Version=0.9.0", "v0.9.0"),
        ("-X example.com/app.Version=3.1.4", "v3.1.4"),  # the main module's own package
        ("-X main.version=dev -X main.date=2024-01-01", ""),  # not a version
        ("-X github.com/some/dep.Version=1.0.0", ""),  # another module's variable
        ("-X main.commit=0123abcd", ""),
        ('-X "main.version=1.0 unbalanced', ""),
        ("", ""),
    ],
)
def test_ldflags_version(ldflags: str, expected: str) -> None:
    assert ldflags_version(ldflags, "example.com/app") == expected


def test_pseudo_versions_are_recognised() -> None:
    assert is_pseudo_version("v0.0.0-20240102150405-0123456789ab")
    assert is_pseudo_version("v1.2.4-0.20240102150405-0123456789ab")
    assert is_pseudo_version("v1.3.0-rc.1.0.20240102150405-0123456789ab+incompatible")
    assert not is_pseudo_version("v1.2.3")
    assert not is_pseudo_version("v1.2.3-rc.1")


def _main(mod: str) -> str:
    main = [p for p in modinfo_packages("go1.22.0", mod, Location("/app", 0)) if p.meta("main")]
    return main[0].version


def test_main_module_version_from_ldflags_only_when_build_info_lacks_one() -> None:
    head = "path\texample.com/app\n"
    stamp = 'build\t-ldflags="-X main.version=1.2.3"\n'
    assert _main(head + "mod\texample.com/app\t(devel)\t\n" + stamp) == "v1.2.3"
    pseudo = "mod\texample.com/app\tv0.0.0-20240102150405-0123456789ab\t\n"
    assert _main(head + pseudo + stamp) == "v1.2.3"
    tagged = "mod\texample.com/app\tv1.4.0\th1:x=\n"
    assert _main(head + tagged + stamp) == "v1.4.0"  # a real module version wins


@pytest.mark.slow
def test_real_binary_built_with_ldflags_version(tmp_path: Path) -> None:
    go = _go_or_skip()
    work = tmp_path / "src"
    write_tree(
        work,
        {
            "go.mod": b"module example.com/stamped\n\ngo 1.18\n",
            "main.go": b'package main\n\nvar version = "dev"\n\nfunc main() { println(version) }\n',
        },
    )
    env = _go_env(work)
    out = tmp_path / "tree" / "usr" / "local" / "bin" / "stamped"
    cmd = [go, "build", "-ldflags", "-X main.version=1.2.3", "-o", str(out), "."]
    subprocess.run(cmd, cwd=work, env=env, check=True, capture_output=True)
    assert subprocess.run([str(out)], capture_output=True, text=True).stderr.strip() == "1.2.3"
    result, _ = scan_dir(tmp_path / "tree", [GoBinaryCataloger()])
    main = next(p for p in result.packages if p.name == "example.com/stamped")
    assert main.version == "v1.2.3"
    assert main.meta("version_source") == "ldflags"
    assert main.purl == "pkg:golang/example.com/stamped@v1.2.3"
    assert "-X main.version=1.2.3" in main.meta("build.-ldflags")

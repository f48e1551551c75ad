"""Property tests: every parser of untrusted text gives a result or a Sievert error, never a crash.

Each parser gets raw bytes, byte-level mutations of valid seeds, and arbitrary or mutated
documents in its own syntax (tests/fuzzing.py). Example counts are bounded by the `sievert`
Hypothesis profile (tests/conftest.py); SIEVERT_HYPOTHESIS_PROFILE=thorough digs deeper.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import io
import json
import pkgutil
import tempfile
import zipfile
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import sievert.catalog
from sievert.catalog.apk import parse_apk_installed
from sievert.catalog.base import ParseResult
from sievert.catalog.binary.execfile import ExecFormatError, parse_image
from sievert.catalog.binary.golang import GoBuildInfoError, parse_modinfo, read_buildinfo
from sievert.catalog.dpkg import parse_copyright, parse_dpkg_status
from sievert.catalog.rpm import parse_rpmdb
from sievert.catalog.rpmheader import parse_rpm_header
from sievert.checks.dockerfile.engine import analyze
from sievert.checks.dockerfile.parser import parse_dockerfile
from sievert.errors import SievertError
from sievert.policy.loader import parse_policy
from sievert.policy.purls import purl_matches
from sievert.policy.vex import load_vex
from sievert.report.sbom_input import parse_sbom
from sievert.versions import SCHEMES
from sievert.vulndb.feeds.alpine import parse_alpine
from sievert.vulndb.feeds.base import FeedResult
from sievert.vulndb.feeds.cve5 import parse_cve5
from sievert.vulndb.feeds.debian import parse_debian
from sievert.vulndb.feeds.kev import parse_kev
from sievert.vulndb.feeds.nvd import parse_nvd
from sievert.vulndb.feeds.osv import parse_osv
from tests.catalog.binary.builders import go_elf, go_inline_block
from tests.catalog.helpers import ndb_file, simple_header
from tests.catalog.lang import longtail_files
from tests.catalog.test_apk import INSTALLED
from tests.catalog.test_dpkg import STATUS
from tests.conftest import REPO_ROOT
from tests.fuzzing import hostile, mutated_bytes, result_or_sievert_error

TESTS = REPO_ROOT / "tests"


def _files(*globs: str) -> list[bytes]:
    return [p.read_bytes() for g in globs for p in sorted(REPO_ROOT.glob(g)) if p.is_file()]


LOCKFILE_SEEDS = [
    *_files("tests/fixtures/catalog/lang/**/*"),
    *(
        value.encode()
        for name, value in vars(longtail_files).items()
        if name.isupper() and isinstance(value, str) and len(value) > 40
    ),
]
DPKG_SEEDS = [STATUS.encode(), *_files("demo/image/*/var/lib/dpkg/status")]
COPYRIGHT_SEEDS = [
    b"Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\n"
    b"Files: *\nLicense: GPL-2+ and/or LGPL-2.1+\n\nFiles: x\nLicense: and/or GPL-3+\n",
    b"see /usr/share/common-licenses/GPL-3 and /usr/share/common-licenses/Apache-2.0\n",
]
DOCKERFILE_SEEDS = _files(
    "demo/Dockerfile",
    "tests/checks/dockerfile/corpus/*",
    "tests/checks/dockerfile/cases/*/*",
)
POLICY_SEEDS = _files("demo/policy.yaml")
VEX_SEEDS = _files("tests/policy/fixtures/*.json")
SBOM_SEEDS = _files(
    "tests/fixtures/report/*.cdx.json",
    "tests/golden/report/*.cdx.json",
    "tests/golden/report/*.spdx.json",
)
ALPINE_SEED = json.dumps(
    {
        "distroversion": "v3.23",
        "reponame": "main",
        "packages": [
            {"pkg": {"name": "musl", "secfixes": {"1.2.5-r1": ["CVE-2025-26519"], "0": ["X"]}}}
        ],
    }
).encode()
VERSIONS = [
    "1.2.3", "1:2.36-9+deb12u4", "2.36-9+deb12u4~bpo", "1.2.5-r0", "3.0.7-18.el9", "0",
    "v1.2.3-0.20230101000000-abcdef123456", "1.0.0-rc.1+build", "2.19.1", "1.0.dev1+local",
    "4.17.15", "1.2.0-x86_64-linux", "1.0-SNAPSHOT", "8.5.1", "",
]  # fmt: skip


def untrusted_parsers() -> dict[str, Callable[[bytes, str], ParseResult]]:
    """Every `parse_*(data: bytes, where: str) -> ParseResult` in sievert.catalog, by name."""
    found: dict[str, Callable[[bytes, str], ParseResult]] = {}
    for module_info in pkgutil.walk_packages(sievert.catalog.__path__, "sievert.catalog."):
        module = importlib.import_module(module_info.name)
        for name, function in vars(module).items():
            if not name.startswith("parse_") or not inspect.isfunction(function):
                continue
            if function.__module__ != module.__name__:
                continue
            signature = inspect.signature(function)
            params = list(signature.parameters.values())
            shape = [str(p.annotation) for p in params[:2]]
            rest_optional = all(p.default is not p.empty for p in params[2:])
            if (
                shape == ["bytes", "str"]
                and rest_optional
                and signature.return_annotation == "ParseResult"
            ):
                found[f"{module.__name__.rsplit('.', 1)[1]}.{name}"] = function
    return found


PARSERS = untrusted_parsers()


def test_the_parser_list_is_complete() -> None:
    """The discovery above finds the parsers the catalogers use (so new ones are fuzzed too)."""
    assert {"dpkg.parse_dpkg_status", "apk.parse_apk_installed"} <= set(PARSERS)
    assert len([n for n in PARSERS if n.startswith(("javascript.", "python."))]) >= 8


def check_parse_result(result: ParseResult | SievertError) -> None:
    """A parse result is packages plus notices; packages have a name."""
    if isinstance(result, ParseResult):
        assert all(package.name for package in result.packages)


@cache
def seeds_for(name: str) -> list[bytes]:
    """The seed files this parser reads packages from (all seeds when none)."""
    every = [*LOCKFILE_SEEDS, *DPKG_SEEDS, INSTALLED.encode()]
    own = [seed for seed in every if _packages(PARSERS[name], seed)]
    return own or every


def _packages(parser: Callable[[bytes, str], ParseResult], seed: bytes) -> bool:
    try:
        return bool(parser(seed, "/seed").packages)
    except SievertError:
        return False


@pytest.mark.parametrize("name", sorted(PARSERS))
@given(data=st.data())
def test_catalog_parsers(name: str, data: st.DataObject) -> None:
    blob = data.draw(hostile(seeds_for(name)), label="input")
    check_parse_result(result_or_sievert_error(lambda: PARSERS[name](blob, "/input")))


@given(hostile(DPKG_SEEDS))
def test_dpkg_status(blob: bytes) -> None:
    check_parse_result(result_or_sievert_error(lambda: parse_dpkg_status(blob, "/status")))


@given(hostile(COPYRIGHT_SEEDS))
def test_dpkg_copyright(blob: bytes) -> None:
    result_or_sievert_error(lambda: parse_copyright(blob))


@given(hostile([INSTALLED.encode()]))
def test_apk_installed(blob: bytes) -> None:
    check_parse_result(result_or_sievert_error(lambda: parse_apk_installed(blob, "/installed")))


@cache
def _rpm_seeds() -> list[bytes]:
    return [simple_header(), simple_header("bash", "5.1", "2", None, ("/bin/bash",))]


@given(st.data())
def test_rpm_headers(data: st.DataObject) -> None:
    blob = data.draw(st.binary(max_size=300) | mutated_bytes(_rpm_seeds()))
    result_or_sievert_error(lambda: parse_rpm_header(blob))


@pytest.mark.parametrize("kind", ["ndb", "bdb", "sqlite"])
@given(data=st.data())
def test_rpm_databases(kind: str, data: st.DataObject) -> None:
    blob = data.draw(st.binary(max_size=300) | mutated_bytes([ndb_file(_rpm_seeds())]))
    check_parse_result(result_or_sievert_error(lambda: parse_rpmdb(blob, "/rpmdb", kind)))


@given(st.data())
def test_executables_and_go_build_info(data: st.DataObject) -> None:
    """Binary readers raise only their documented errors, which the catalogers turn into notices."""
    seeds = [go_elf(go_inline_block("go1.22.1", "path\tx\nmod\tx\t(devel)\t\n"))]
    blob = data.draw(st.binary(max_size=300) | mutated_bytes(seeds))
    with contextlib.suppress(ExecFormatError):
        parse_image(blob)
    with contextlib.suppress(GoBuildInfoError):
        read_buildinfo(blob)
    result_or_sievert_error(lambda: parse_modinfo(blob.decode("utf-8", "replace")))


def _text(seeds: list[bytes]) -> st.SearchStrategy[str]:
    return st.text(max_size=200) | hostile(seeds).map(lambda b: b.decode("utf-8", "replace"))


@given(_text(DOCKERFILE_SEEDS))
def test_dockerfile_parse_and_rules(text: str) -> None:
    parsed = result_or_sievert_error(lambda: parse_dockerfile(text, "Dockerfile"))
    if not isinstance(parsed, SievertError):
        result_or_sievert_error(lambda: analyze(parsed))


@given(_text(POLICY_SEEDS))
def test_policy_yaml(text: str) -> None:
    result_or_sievert_error(lambda: parse_policy(text, "policy.yaml"))


def _in_file(blob: bytes, name: str, use: Callable[[Path], Any]) -> Any:
    with tempfile.TemporaryDirectory(prefix="sievert-fuzz-") as folder:
        path = Path(folder) / name
        path.write_bytes(blob)
        return result_or_sievert_error(lambda: use(path))


@given(hostile(VEX_SEEDS))
def test_vex_documents(blob: bytes) -> None:
    _in_file(blob, "vex.json", load_vex)


@given(hostile(SBOM_SEEDS))
def test_sbom_input(blob: bytes) -> None:
    result_or_sievert_error(lambda: parse_sbom(blob, "sbom.json"))


@pytest.fixture(scope="module")
def mirror(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo feed mirror: valid upstream records to mutate."""
    from demo.feeds import write_mirror

    return write_mirror(tmp_path_factory.mktemp("fuzz-mirror"))


def _zip_members(path: Path) -> list[bytes]:
    with zipfile.ZipFile(path) as archive:
        return [archive.read(name) for name in archive.namelist() if name.endswith(".json")]


def _zip_of(blob: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("records/RECORD-1.json", blob)
    return out.getvalue()


def check_feed(result: FeedResult | SievertError) -> None:
    """A feed result's statements name a vulnerability and a package."""
    if isinstance(result, FeedResult):
        assert all(a.vuln_id and a.package for a in result.affected)


@given(data=st.data())
def test_osv_records(mirror: Path, data: st.DataObject) -> None:
    blob = data.draw(hostile(_zip_members(next(mirror.glob("osv/*/all.zip")))))
    check_feed(_in_file(_zip_of(blob), "all.zip", parse_osv))


@given(data=st.data())
def test_cve5_records(mirror: Path, data: st.DataObject) -> None:
    blob = data.draw(hostile(_zip_members(mirror / "cvelistV5" / "cves.zip")))
    check_feed(_in_file(_zip_of(blob), "cves.zip", parse_cve5))


@given(data=st.data())
def test_debian_tracker(mirror: Path, data: st.DataObject) -> None:
    blob = data.draw(hostile([(mirror / "debian" / "tracker.json").read_bytes()]))
    check_feed(_in_file(blob, "tracker.json", parse_debian))


@given(hostile([ALPINE_SEED]))
def test_alpine_secdb(blob: bytes) -> None:
    check_feed(_in_file(blob, "main.json", parse_alpine))


@given(data=st.data())
def test_kev_and_nvd(mirror: Path, data: st.DataObject) -> None:
    blob = data.draw(
        hostile([(mirror / "kev" / "known_exploited_vulnerabilities.json").read_bytes()])
    )
    check_feed(_in_file(blob, "kev.json", parse_kev))
    check_feed(_in_file(blob, "nvd.json", parse_nvd))


VERSION_TEXT = (
    st.sampled_from(VERSIONS)
    | st.text(max_size=24)
    | mutated_bytes([v.encode() for v in VERSIONS if v]).map(lambda b: b.decode("utf-8", "replace"))
)


@pytest.mark.parametrize("scheme", sorted({s.name for s in SCHEMES.values()}))
@given(a=VERSION_TEXT, b=VERSION_TEXT)
@example(a="1.2.3", b="²")  # found by Hypothesis: '²'.isdigit() but int('²') raises ValueError
def test_version_schemes(scheme: str, a: str, b: str) -> None:
    (chosen,) = {s for s in SCHEMES.values() if s.name == scheme}
    outcome = result_or_sievert_error(lambda: chosen.compare(a, b))
    if isinstance(outcome, int):
        assert outcome in (-1, 0, 1)
        assert result_or_sievert_error(lambda: chosen.compare(b, a)) == -outcome
    chosen.is_valid(a)


@given(st.text(max_size=60), st.text(max_size=60))
def test_purl_patterns(pattern: str, purl: str) -> None:
    purl_matches(pattern, purl)
    purl_matches("pkg:" + pattern, "pkg:npm/" + purl)


def test_no_isdigit_before_int_anywhere() -> None:
    """str.isdigit() is true for '²' and '①', which int() refuses: sources use isdecimal()."""
    offenders = [
        f"{path.relative_to(REPO_ROOT)}:{number}"
        for path in sorted((REPO_ROOT / "src" / "sievert").rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if ".isdigit()" in line
    ]
    assert offenders == []

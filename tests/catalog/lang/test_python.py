"""Python: installed metadata, requirements files and lockfiles."""

from __future__ import annotations

import csv
import io
import posixpath

from hypothesis import given
from hypothesis import strategies as st

from sievert.catalog.lang.python import (
    PythonInstalledCataloger,
    PythonLockCataloger,
    parse_installed_files,
    parse_pdm_lock,
    parse_pipfile_lock,
    parse_pkg_info,
    parse_poetry_lock,
    parse_record,
    parse_requirements,
    parse_uv_lock,
    pep503,
)
from tests.catalog.lang.util import by_name, fixture, run

SITE = "usr/lib/python3/site-packages"
DIST = f"{SITE}/Zope.Interface_Extra-6.1.0.dist-info"


def test_pep503_normalisation() -> None:
    assert pep503("Zope.Interface__Extra") == "zope-interface-extra"
    assert pep503("PyJWT") == "pyjwt"


def test_dist_info_with_record_and_requested() -> None:
    result = run(
        PythonInstalledCataloger(),
        {
            f"{DIST}/METADATA": fixture("python/METADATA"),
            f"{DIST}/RECORD": fixture("python/RECORD"),
        },
        {f"{DIST}/REQUESTED": ""},
    )
    assert result.notices == ()
    (package,) = result.packages
    assert (package.name, package.version, package.type) == (
        "Zope.Interface_Extra",
        "6.1.0",
        "pypi",
    )
    assert package.purl == "pkg:pypi/zope-interface-extra@6.1.0"
    assert package.licenses == ("MIT OR Apache-2.0",)
    assert package.cataloger == "python-installed"
    assert package.meta("direct") == "true"
    assert package.files == (
        f"/{SITE}/zope_interface_extra/__init__.py",
        f'/{SITE}/zope_interface_extra/"quoted,name".py',
        f"/{DIST}/METADATA",
        "/usr/bin/zie",
    )
    assert [loc.path for loc in package.locations] == [f"/{DIST}/METADATA", f"/{DIST}/RECORD"]
    assert package.locations[0].layer_index == 0


def test_egg_info_dir_file_and_egg_with_classifier_licences() -> None:
    pkg_info = fixture("python/PKG-INFO")
    result = run(
        PythonInstalledCataloger(),
        {
            "opt/lib/oldstyle-0.9-py3.11.egg-info/PKG-INFO": pkg_info,
            "opt/lib/oldstyle-0.9-py3.11.egg-info/installed-files.txt": "../oldstyle/__init__.py\n",
            "usr/lib/python3/dist-packages/single-1.0.egg-info": pkg_info.replace(
                b"oldstyle", b"single"
            ),
            "srv/eggs/zipped-2.0-py3.11.egg/EGG-INFO/PKG-INFO": pkg_info.replace(
                b"oldstyle", b"zipped"
            ),
        },
    )
    packages = by_name(result.packages)
    assert set(packages) == {"oldstyle", "single", "zipped"}
    assert packages["oldstyle"].licenses == ("BSD License",)  # UNKNOWN field: classifiers
    assert packages["oldstyle"].files == ("/opt/lib/oldstyle/__init__.py",)
    assert packages["single"].locations[0].path == (
        "/usr/lib/python3/dist-packages/single-1.0.egg-info"
    )
    assert packages["zipped"].meta("direct") == ""


def test_malformed_metadata_gives_a_notice_and_the_scan_goes_on() -> None:
    result = run(
        PythonInstalledCataloger(),
        {
            "a/bad-1.0.dist-info/METADATA": b"\x00\xff garbage without headers\n",
            "a/good-1.0.dist-info/METADATA": b"Name: good\nVersion: 1.0\n",
        },
    )
    assert [p.name for p in result.packages] == ["good"]
    (notice,) = result.notices
    assert notice.where == "/a/bad-1.0.dist-info/METADATA"


def test_long_license_text_falls_back_to_classifiers() -> None:
    text = "Name: x\nVersion: 1\nLicense: Copyright (c) someone\n        Permission is hereby\n"
    text += "Classifier: License :: OSI Approved :: MIT License\n"
    (package,) = parse_pkg_info(text.encode(), "/m").packages
    assert package.licenses == ("MIT License",)


def test_requirements_pinned_only() -> None:
    result = parse_requirements(fixture("python/requirements.txt"), "/src/requirements.txt")
    packages = by_name(result.packages)
    assert {n: p.version for n, p in packages.items()} == {
        "Django": "2.2.28",
        "requests": "2.19.1",
        "urllib3": "1.24.1",
        "PyJWT": "1.5.0",
        "Zope.Interface": "5.0",
    }
    assert packages["requests"].meta("extras") == "security,socks"
    assert packages["requests"].meta("markers") == 'python_version >= "3.6"'
    assert packages["Zope.Interface"].purl == "pkg:pypi/zope-interface@5.0"
    messages = [n.message for n in result.notices]
    assert len(messages) == 2
    assert "include '-r base.txt' not followed" in messages[0]
    assert "line 13: not a requirement" in messages[1]


def test_poetry_lock_dev_category_and_groups() -> None:
    result = parse_poetry_lock(fixture("python/poetry.lock"), "/poetry.lock")
    packages = by_name(result.packages)
    assert {n: p.meta("dev") for n, p in packages.items()} == {
        "certifi": "",
        "pytest": "true",
        "ruff": "true",
    }
    assert packages["certifi"].purl == "pkg:pypi/certifi@2024.2.2"
    assert len(result.notices) == 1  # the entry without a version


def test_pipfile_lock_sections() -> None:
    packages = by_name(parse_pipfile_lock(fixture("python/Pipfile.lock"), "/Pipfile.lock").packages)
    assert {n: (p.version, p.meta("dev")) for n, p in packages.items()} == {
        "requests": ("2.31.0", ""),
        "black": ("24.2.0", "true"),
    }


def test_uv_lock_skips_the_project_and_marks_direct_and_dev() -> None:
    packages = by_name(parse_uv_lock(fixture("python/uv.lock"), "/uv.lock").packages)
    assert {n: p.metadata for n, p in packages.items()} == {
        "httpx": (("direct", "true"),),
        "idna": (),
        "pytest": (("direct", "true"), ("dev", "true")),
    }


def test_pdm_lock_groups() -> None:
    packages = by_name(parse_pdm_lock(fixture("python/pdm.lock"), "/pdm.lock").packages)
    assert {n: p.meta("dev") for n, p in packages.items()} == {
        "idna": "",
        "pytest": "true",
        "iniconfig": "",
    }


def test_lock_cataloger_reads_every_format_and_survives_broken_files() -> None:
    cataloger = PythonLockCataloger()
    assert cataloger.scopes == ("directory",)
    result = run(
        cataloger,
        {
            "src/requirements-dev.txt": "pytest==8.0.0\npytest==8.0.0\n",
            "src/requirements/base.txt": "idna==3.6\n",
            "src/poetry.lock": "[[package]\nname = broken",
            "src/Pipfile.lock": "{not json",
            "src/uv.lock": fixture("python/uv.lock"),
        },
    )
    names = sorted((p.name, p.locations[0].path) for p in result.packages)
    assert names == [
        ("httpx", "/src/uv.lock"),
        ("idna", "/src/requirements/base.txt"),
        ("idna", "/src/uv.lock"),
        ("pytest", "/src/requirements-dev.txt"),
        ("pytest", "/src/uv.lock"),
    ]
    assert sorted(n.where for n in result.notices) == ["/src/Pipfile.lock", "/src/poetry.lock"]


_NAME_PIECES = ("a", "b.py", "..", ".", "/", "//", " ", "x y", '"', ",")


@given(
    st.lists(st.lists(st.sampled_from(_NAME_PIECES), max_size=5).map("".join), max_size=6),
    st.sampled_from(["/", "/usr/lib/python3/dist-packages", "/a/../b", "/a/", "//x"]),
)
def test_owned_files_are_joined_and_normalised_as_posixpath_does(
    names: list[str], directory: str
) -> None:
    """RECORD and installed-files.txt names: `normpath(join(directory, name))` each."""
    listing = "".join(f"{name}\n" for name in names).encode()
    expected = tuple(
        posixpath.normpath(posixpath.join(directory, n.strip())) for n in names if n.strip()
    )
    assert parse_installed_files(listing, directory) == expected
    rows = [row for row in csv.reader(io.StringIO(listing.decode())) if row]
    record = tuple(
        posixpath.normpath(posixpath.join(directory, r[0].strip())) for r in rows if r[0].strip()
    )
    assert parse_record(listing, directory) == record

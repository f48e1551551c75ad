"""The wired pipeline: layer attribution, ownership, cataloger scopes, cache reuse, the API."""

from __future__ import annotations

import shutil
from pathlib import Path

import sievert
from sievert.pipeline import InventoryOptions, take_inventory
from tests.imagebuilder import F, Image, W, write_oci_layout

OS_RELEASE = F("etc/os-release", 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n')


def stanza(name: str, version: str, source: str = "") -> str:
    src = f"Source: {source}\n" if source else ""
    return (
        f"Package: {name}\nStatus: install ok installed\nArchitecture: amd64\n{src}"
        f"Version: {version}\nDescription: test\n\n"
    )


def dist_info(name: str, version: str) -> F:
    return F(
        f"app/site-packages/{name}-{version}.dist-info/METADATA",
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
    )


def three_layer_image() -> Image:
    base = [
        OS_RELEASE,
        F("var/lib/dpkg/status", stanza("libc6", "2.36-9", "glibc") + stanza("bash", "5.2-1")),
    ]
    middle = [
        F(
            "var/lib/dpkg/status",
            stanza("libc6", "2.36-9", "glibc")
            + stanza("bash", "5.2-1")
            + stanza("ruby3.1", "3.1.2-7"),
        ),
        F(
            "var/lib/dpkg/info/ruby3.1.list",
            "/usr/lib/ruby/gems/3.1.0/specifications/rake-13.0.6.gemspec\n",
        ),
        F(
            "usr/lib/ruby/gems/3.1.0/specifications/rake-13.0.6.gemspec",
            'Gem::Specification.new do |s|\n  s.name = "rake"\n  s.version = "13.0.6"\nend\n',
        ),
        dist_info("requests", "2.19.1"),
        dist_info("urllib3", "1.24.1"),
    ]
    top = [
        F(
            "var/lib/dpkg/status",
            stanza("libc6", "2.36-9", "glibc")
            + stanza("bash", "5.2-2")
            + stanza("ruby3.1", "3.1.2-7"),
        ),
        W("app/site-packages/urllib3-1.24.1.dist-info"),
        F("app/requirements.txt", "flask==0.12.2\n"),
    ]
    history = [
        "FROM debian:bookworm",
        "RUN apt-get install ruby && pip install requests",
        "RUN upgrade",
    ]
    return Image([base, middle, top], history=history)


def inventory_of(tmp_path: Path, **kwargs: object) -> sievert.model.Inventory:
    layout = write_oci_layout(tmp_path / "layout", {"t": three_layer_image()})
    return take_inventory(
        f"oci-dir:{layout}:t", InventoryOptions(cache_dir=tmp_path / "cache", **kwargs)
    )  # type: ignore[arg-type]


def test_each_package_knows_the_layer_that_introduced_it(tmp_path: Path) -> None:
    inv = inventory_of(tmp_path)
    found = {(p.type, p.name, p.version): p for p in inv.packages}
    assert found[("deb", "libc6", "2.36-9")].introduced_by == 0
    assert found[("deb", "ruby3.1", "3.1.2-7")].introduced_by == 1
    assert found[("deb", "bash", "5.2-2")].introduced_by == 2  # upgraded in the top layer
    assert found[("pypi", "requests", "2.19.1")].introduced_by == 1
    assert ("pypi", "urllib3", "1.24.1") not in found  # deleted by a whiteout
    assert ("deb", "bash", "5.2-1") not in found
    layer = inv.image.layers[found[("deb", "ruby3.1", "3.1.2-7")].introduced_by]
    assert layer.created_by == "RUN apt-get install ruby && pip install requests"
    assert inv.distro is not None and inv.distro.codename == "bookworm"


def test_language_packages_owned_by_an_os_package_are_marked(tmp_path: Path) -> None:
    inv = inventory_of(tmp_path)
    rake = next(p for p in inv.packages if p.name == "rake")
    assert rake.owner.startswith("pkg:deb/debian/ruby3.1@3.1.2-7")
    requests = next(p for p in inv.packages if p.name == "requests")
    assert requests.owner == ""


def test_lockfiles_are_read_only_for_directory_targets(tmp_path: Path) -> None:
    inv = inventory_of(tmp_path)
    assert "flask" not in {p.name for p in inv.packages}
    project = tmp_path / "project"
    project.mkdir()
    (project / "requirements.txt").write_text("flask==0.12.2\nrequests==2.19.1\n")
    dir_inv = sievert.inventory(f"dir:{project}", cache_dir=tmp_path / "cache")
    assert {(p.name, p.version) for p in dir_inv.packages} == {
        ("flask", "0.12.2"),
        ("requests", "2.19.1"),
    }


def test_a_rescan_of_cached_layers_reads_no_layer_data(tmp_path: Path) -> None:
    first = inventory_of(tmp_path)
    layout = tmp_path / "layout"
    for layer in first.image.layers:  # remove every layer blob: only the cache can answer now
        (layout / "blobs" / "sha256" / layer.digest.split(":")[1]).unlink()
    second = take_inventory(f"oci-dir:{layout}:t", InventoryOptions(cache_dir=tmp_path / "cache"))
    assert second.packages == first.packages
    shutil.rmtree(tmp_path / "cache")
    try:
        take_inventory(f"oci-dir:{layout}:t", InventoryOptions(cache_dir=tmp_path / "cache"))
    except sievert.errors.SievertError as exc:
        assert "sha256:" in str(exc)
    else:
        raise AssertionError("a layer with no blob and no cache entry must fail")


def test_the_api_returns_what_the_pipeline_returns(tmp_path: Path) -> None:
    layout = write_oci_layout(tmp_path / "layout", {"t": three_layer_image()})
    api = sievert.inventory(f"oci-dir:{layout}:t", use_cache=False)
    direct = take_inventory(f"oci-dir:{layout}:t", InventoryOptions(use_cache=False))
    assert api.packages == direct.packages
    assert api.file_count == direct.file_count > 0

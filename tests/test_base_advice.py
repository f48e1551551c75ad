"""Base image advice end to end: tags listed from a real registry, candidates scanned, compared.

The registry holds a small Debian-like base in five tags: `1.0.1` (vulnerable openssl, glibc,
zlib), `1.0.2` (openssl fixed, curl added), `1.0.3` (everything fixed), `1.1.0` (everything
fixed, outside the default scope) and `2.0.0` (another major). The app is built on `1.0.1` (its
first layer is the base's) and adds pam in its own layer. The feed mirror is a Debian tracker
JSON in the upstream format, read by `sievert db update --mirror`.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from sievert.errors import AuthError, RegistryError, TargetNotFoundError, UsageError
from sievert.pipeline import AdviceOptions, InventoryOptions, ScanOptions, base_advice, scan
from sievert.source import registry as registry_module
from sievert.source.base import SourceOptions
from sievert.source.registry import _next_path, list_tags
from tests.clitools import run_sievert as run
from tests.imagebuilder import F, Image, Member
from tests.source.registry_fixtures import Registry, start_registry
from tests.source.test_registry_auth import PASSWORD, USER, htpasswd_registry

pytestmark = pytest.mark.registry
__all__ = ["htpasswd_registry"]

OS_RELEASE = F("etc/os-release", 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n')
VULNERABLE = {
    "libssl3": ("openssl", "3.0.11-1~deb12u1"),
    "libc6": ("glibc", "2.36-9+deb12u3"),
    "zlib1g": ("zlib", "1:1.2.13.dfsg-1"),
}
FIXED = {
    "libssl3": ("openssl", "3.0.13-1~deb12u1"),
    "libc6": ("glibc", "2.36-9+deb12u7"),
    "zlib1g": ("zlib", "1:1.2.13.dfsg-1+deb12u1"),
}
# (source package, CVE, fixed version, urgency)
TRACKER = [
    ("openssl", "CVE-2023-5678", "3.0.13-1~deb12u1", "medium"),
    ("openssl", "CVE-2024-0727", "3.0.13-1~deb12u1", "low"),
    ("glibc", "CVE-2024-2961", "2.36-9+deb12u6", "high"),
    ("zlib", "CVE-2023-45853", "1:1.2.13.dfsg-1+deb12u1", "high"),
    ("curl", "CVE-2024-2398", "7.88.1-10+deb12u6", "medium"),
    ("pam", "CVE-2024-22365", "1.5.2-6+deb12u3", "medium"),
]


def status(packages: dict[str, tuple[str, str]]) -> str:
    """A dpkg status file of installed packages: name -> (source, version)."""
    return "".join(
        f"Package: {name}\nStatus: install ok installed\nArchitecture: amd64\n"
        f"Source: {source}\nVersion: {version}\n\n"
        for name, (source, version) in sorted(packages.items())
    )


def base_layer(packages: dict[str, tuple[str, str]]) -> list[Member]:
    return [OS_RELEASE, F("var/lib/dpkg/status", status(packages))]


def base_images() -> dict[str, Image]:
    with_curl = {**FIXED, "libc6": VULNERABLE["libc6"], "zlib1g": VULNERABLE["zlib1g"]}
    with_curl["curl"] = ("curl", "7.88.1-10+deb12u4")
    return {
        "1.0.1": Image([base_layer(VULNERABLE)]),
        "1.0.2": Image([base_layer(with_curl)]),
        "1.0.3": Image([base_layer(FIXED)]),
        "1.1.0": Image([base_layer(FIXED), [F("etc/motd", "1.1\n")]]),
        "2.0.0": Image([base_layer({})]),
    }


def app_image(labels: dict[str, str] | None = None) -> Image:
    """The app: base 1.0.1's layer, then its own layer adding pam (a finding of its own)."""
    own = {**VULNERABLE, "libpam0g": ("pam", "1.5.2-6+deb12u1")}
    layers: list[list[Member]] = [base_layer(VULNERABLE), [F("var/lib/dpkg/status", status(own))]]
    return Image(layers, labels=labels or {})


def write_tracker(root: Path) -> Path:
    """A Debian security tracker JSON (the upstream shape) under root/debian/tracker.json."""
    tracker: dict[str, dict[str, object]] = {}
    for source, cve, fixed, urgency in TRACKER:
        release = {
            "status": "resolved",
            "repositories": {"bookworm": fixed},
            "fixed_version": fixed,
            "urgency": urgency,
        }
        tracker.setdefault(source, {})[cve] = {
            "description": f"{source}: {cve}",
            "releases": {"bookworm": release},
        }
    path = root / "debian" / "tracker.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(tracker))
    return root


@dataclass
class World:
    registry: Registry
    db: Path
    cache: Path

    def ref(self, repo_tag: str) -> str:
        return f"registry:{self.registry.host}/{repo_tag}"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("advice")
    with pytest.MonkeyPatch.context() as patch:
        (root / "docker-config").mkdir()
        patch.setenv("DOCKER_CONFIG", str(root / "docker-config"))
        patch.delenv("SIEVERT_REGISTRY_USERNAME", raising=False)
        patch.delenv("SIEVERT_REGISTRY_PASSWORD", raising=False)
        for reg in start_registry(root / "registry"):
            reg.push(root, dict(base_images()), "base")
            label = {"org.opencontainers.image.base.name": f"{reg.host}/base:1.0.1"}
            reg.push(root, {"1": app_image(), "annotated": app_image(label)}, "app")
            db = root / "vuln.db"
            mirror = write_tracker(root / "mirror")
            proc = run("db", "update", "--mirror", str(mirror), "--only", "debian", "--db", str(db))
            assert proc.returncode == 0, proc.stderr
            yield World(reg, db, root / "cache")


def advise_json(world: World, target: str, *extra: str) -> dict[str, object]:
    args = ["scan", world.ref(target), "--insecure-registry", "--db", str(world.db), "-q"]
    proc = run(*args, "--cache-dir", str(world.cache), "--base-advice", "-f", "json", *extra)
    assert proc.returncode == 0, proc.stderr
    advice: dict[str, object] = json.loads(proc.stdout)["baseAdvice"]
    return advice


# list_tags ----------------------------------------------------------------------------------
def test_list_tags_reads_every_page(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    options = SourceOptions()
    everything = ["1.0.1", "1.0.2", "1.0.3", "1.1.0", "2.0.0"]
    assert sorted(list_tags(world.ref("base:1.0.1"), options)) == everything
    monkeypatch.setattr(registry_module, "TAGS_PAGE", 2)
    assert sorted(list_tags(f"{world.registry.host}/base", options)) == everything


def test_list_tags_of_an_unknown_repository_names_it(world: World) -> None:
    with pytest.raises(TargetNotFoundError, match=r"/nothing-here: tags list: HTTP 404") as err:
        list_tags(world.ref("nothing-here:1"), SourceOptions())
    assert isinstance(err.value, RegistryError)


def test_list_tags_with_basic_auth(htpasswd_registry: Registry, tmp_path: Path) -> None:
    reg = htpasswd_registry
    reg.push(tmp_path, {"1.0": Image([[OS_RELEASE]])}, "team/base", creds=f"{USER}:{PASSWORD}")
    with pytest.raises(AuthError, match="team/base"):
        list_tags(f"{reg.host}/team/base", SourceOptions())
    allowed = SourceOptions(username=USER, password=PASSWORD)
    assert list_tags(f"{reg.host}/team/base", allowed) == ["1.0"]


def test_next_link_forms() -> None:
    relative = '</v2/base/tags/list?last=b&n=2>; rel="next"'
    assert _next_path(relative) == "/v2/base/tags/list?last=b&n=2"
    absolute = '<https://r.example/v2/a/b/tags/list?n=2&last=x>; rel="next"'
    assert _next_path(absolute) == "/v2/a/b/tags/list?n=2&last=x"
    assert _next_path('</v2/base/tags/list?last=b>; rel="prev"') is None
    assert _next_path("") is None


# the CLI ------------------------------------------------------------------------------------
def test_scan_recommends_the_tag_that_removes_the_most(world: World) -> None:
    base = world.ref("base:1.0.1")
    advice = advise_json(world, "app:1", "--base", base)
    assert advice["method"] == "layers" and advice["scope"] == "minor"
    current = advice["current"]
    assert isinstance(current, dict)
    assert current["total"] == 4  # the app's own pam finding is not the base's
    counts = {"critical": 0, "high": 2, "medium": 1, "low": 1, "negligible": 0, "unknown": 0}
    assert current["bySeverity"] == counts
    candidates = {c["tag"]: c for c in advice["candidates"]}  # type: ignore[attr-defined]
    assert list(candidates) == ["1.0.3", "1.0.2"]  # not 1.1.0 (scope) nor 2.0.0 (major)
    assert (candidates["1.0.3"]["total"], candidates["1.0.3"]["removed"]) == (0, 4)
    second = candidates["1.0.2"]
    assert (second["total"], second["removed"], second["added"]) == (3, 2, 1)
    assert second["addedIds"] == ["CVE-2024-2398 curl"]
    assert second["removedIds"] == ["CVE-2023-5678 libssl3", "CVE-2024-0727 libssl3"]
    assert advice["recommended"] == "1.0.3"


def test_major_scope_and_the_annotated_base(world: World) -> None:
    advice = advise_json(world, "app:annotated", "--advice-scope", "major")
    assert advice["base"] == f"{world.registry.host}/base:1.0.1"
    tags = [c["tag"] for c in advice["candidates"]]  # type: ignore[attr-defined]
    assert tags == ["1.1.0", "1.0.3", "1.0.2"]
    assert advice["recommended"] == "1.1.0"  # as few findings as 1.0.3, and newer


def test_table_output_prints_the_advice_on_stderr(world: World) -> None:
    args = ["scan", world.ref("app:1"), "--db", str(world.db), "-q", "--cache-dir"]
    base = world.ref("base:1.0.1")
    proc = run(*args, str(world.cache), "--base", base, "--base-advice", "--advice-limit", "1")
    assert proc.returncode == 0, proc.stderr
    assert "CVE-2024-22365" in proc.stdout and "Base image advice" not in proc.stdout
    assert f"Base image advice for {base} (scope minor):" in proc.stderr
    assert "now 1.0.1: 4 findings (high 2, medium 1, low 1)" in proc.stderr
    assert "recommended: 1.0.3 (4 -> 0 findings, 4 removed, 0 added)" in proc.stderr
    assert "1.0.2" not in proc.stderr  # --advice-limit 1: only the newest candidate


def test_advice_needs_a_registry_base(world: World, tmp_path: Path) -> None:
    args = ["scan", world.ref("app:1"), "--db", str(world.db), "-q", "--base-advice"]
    proc = run(*args, "--cache-dir", str(world.cache))
    assert proc.returncode == 2 and "org.opencontainers.image.base.name" in proc.stderr
    proc = run(*args, "--cache-dir", str(world.cache), "--base", f"oci-dir:{tmp_path}")
    assert proc.returncode == 2 and "needs a registry image" in proc.stderr


# the pipeline -------------------------------------------------------------------------------
def test_a_base_the_image_does_not_start_with_is_scanned_on_its_own(world: World) -> None:
    inventory = InventoryOptions(cache_dir=world.cache)
    result = scan(world.ref("app:1"), ScanOptions(inventory=inventory, db_path=world.db))
    options = AdviceOptions(inventory=inventory)
    advice = base_advice(result, world.ref("base:1.0.2"), world.db, options)
    assert advice.method == "base-scan"
    assert (advice.current.tag, advice.current.total) == ("1.0.2", 3)
    assert [c.tag for c in advice.candidates] == ["1.0.3"]
    assert advice.recommended == "1.0.3" and advice.candidates[0].removed == 3


def test_a_newest_base_gets_no_recommendation(world: World) -> None:
    inventory = InventoryOptions(cache_dir=world.cache)
    result = scan(world.ref("app:1"), ScanOptions(inventory=inventory, db_path=world.db))
    advice = base_advice(result, world.ref("base:2.0.0"), world.db, AdviceOptions(inventory))
    assert advice.candidates == () and advice.recommended == ""
    note = f"{world.registry.host}/base has no newer tag of the line of 2.0.0 (scope minor)"
    assert advice.notes == (note,)
    with pytest.raises(UsageError, match="digest only"):
        base_advice(result, world.ref("base@sha256:" + "0" * 64), world.db, AdviceOptions())


class LoopingTags(BaseHTTPRequestHandler):
    """A registry whose tag list links to itself, or (path /v2/bad/...) answers a bad body."""

    def do_GET(self) -> None:
        if self.path == "/v2/":
            body, link = b"{}", ""
        elif self.path.startswith("/v2/bad/"):
            body, link = b'{"tags": [1, 2]}', ""
        else:
            body, link = b'{"tags": ["a"]}', '</v2/loop/tags/list?n=1&last=a>; rel="next"'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        if link:
            self.send_header("Link", link)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


def test_hostile_tag_lists_are_refused() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), LoopingTags)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host = f"127.0.0.1:{server.server_address[1]}"
    try:
        with pytest.raises(RegistryError, match=r"/loop: tags list: pagination does not end"):
            list_tags(f"{host}/loop", SourceOptions())
        with pytest.raises(RegistryError, match=r"/bad: tags list has no array of tag names"):
            list_tags(f"{host}/bad", SourceOptions())
    finally:
        server.shutdown()
        server.server_close()
        thread.join()

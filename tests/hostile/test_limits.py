"""Bounded work on every input: each limit of sievert.limits hit through the CLI, generated here.

Each case asserts exit 3, one line naming the input, the limit and the variable that raises
it, no traceback, no output file, and that it ran within the memory cap of `run_bounded`.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import zipfile
from pathlib import Path

import pytest

from tests.hostile.conftest import npm_sbom
from tests.hostile.runner import assert_limit, assert_no_output, run_bounded

DEEP = 100_000


def deep_json(depth: int = DEEP) -> bytes:
    return b"[" * depth + b"]" * depth


def billion_laughs() -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + "\npolicies: *i\n"


def nested_policy(depth: int) -> str:
    when = {"severity": "critical"}
    for level in range(depth):
        when = {"any" if level % 2 else "all": [when]}
    rule = {"id": "r", "action": "stop", "when": when}
    return json.dumps({"version": 1, "policies": [{"id": "p", "rules": [rule]}]})


# --- JSON --------------------------------------------------------------------------------


def test_deep_index_json(layout: Path, tmp_path: Path) -> None:
    (layout / "index.json").write_bytes(deep_json())
    proc = run_bounded("sbom", f"oci-dir:{layout}:t", "-q", "-o", str(tmp_path / "out.json"))
    assert_limit(proc, "index.json", "SIEVERT_MAX_JSON_DEPTH")
    assert_no_output(tmp_path, "out.json")


def test_deep_manifest(layout: Path, tmp_path: Path) -> None:
    data = b'{"schemaVersion": 2, "x": ' + deep_json() + b"}"
    digest = hashlib.sha256(data).hexdigest()
    (layout / "blobs/sha256" / digest).write_bytes(data)
    index = json.loads((layout / "index.json").read_text())
    index["manifests"][0].update(digest=f"sha256:{digest}", size=len(data))
    (layout / "index.json").write_text(json.dumps(index))
    proc = run_bounded("sbom", f"oci-dir:{layout}:t", "-q", "-o", str(tmp_path / "out.json"))
    assert_limit(proc, digest[:12], "SIEVERT_MAX_JSON_DEPTH")
    assert_no_output(tmp_path, "out.json")


def test_deep_sbom(small_db: Path, tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_bytes(b'{"bomFormat": "CycloneDX", "components": ' + deep_json() + b"}")
    out = tmp_path / "out.json"
    proc = run_bounded("scan", "--sbom", str(path), "--db", str(small_db), "-o", str(out))
    assert_limit(proc, "deep.json", "SIEVERT_MAX_JSON_DEPTH")
    assert_no_output(tmp_path, "out.json")


def test_deep_vex(small_db: Path, sbom: Path, tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(nested_policy(1))
    vex = tmp_path / "vex.json"
    vex.write_bytes(b'{"@context": "https://openvex.dev/ns", "statements": ' + deep_json() + b"}")
    args = ("scan", "--sbom", str(sbom), "--db", str(small_db), "--policy", str(policy))
    proc = run_bounded(*args, "--vex", str(vex), "-o", str(tmp_path / "out.json"))
    assert_limit(proc, "vex.json", "SIEVERT_MAX_JSON_DEPTH")
    assert_no_output(tmp_path, "out.json")


def test_json_size_bound_from_the_environment(small_db: Path, tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    document = npm_sbom()
    document["padding"] = "x" * 5000
    path.write_text(json.dumps(document))
    proc = run_bounded(
        "scan", "--sbom", str(path), "--db", str(small_db), env={"SIEVERT_MAX_JSON_SIZE": "4096"}
    )
    assert_limit(proc, "big.json", "SIEVERT_MAX_JSON_SIZE")


# --- YAML and policies -------------------------------------------------------------------


def test_policy_from_dev_zero() -> None:
    proc = run_bounded("policy", "validate", "/dev/zero")
    assert_limit(proc, "/dev/zero", "SIEVERT_MAX_POLICY_SIZE")


def test_billion_laughs_policy(tmp_path: Path) -> None:
    path = tmp_path / "laughs.yaml"
    path.write_text(billion_laughs())
    proc = run_bounded("policy", "validate", str(path))
    assert_limit(proc, "laughs.yaml", "SIEVERT_MAX_YAML_NODES")


def test_too_many_aliases(tmp_path: Path) -> None:
    path = tmp_path / "aliases.yaml"
    path.write_text("a: &a x\nb: [" + ", ".join(["*a"] * 500) + "]\n")
    proc = run_bounded("policy", "validate", str(path))
    assert_limit(proc, "aliases.yaml", "SIEVERT_MAX_YAML_ALIASES")


def test_deep_yaml_policy(tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text("policies: " + "[" * 500 + "]" * 500 + "\n")
    proc = run_bounded("policy", "validate", str(path))
    assert_limit(proc, "deep.yaml", "SIEVERT_MAX_YAML_DEPTH")


def test_deeply_nested_conditions(tmp_path: Path) -> None:
    path = tmp_path / "nested.yaml"
    path.write_text(nested_policy(40))
    proc = run_bounded("policy", "validate", str(path))
    assert_limit(proc, "nested.yaml", "SIEVERT_MAX_POLICY_DEPTH")
    path.write_text(nested_policy(20))
    assert run_bounded("policy", "validate", str(path)).returncode == 0


def test_deep_sievert_yaml(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.23\nUSER app\n")
    (tmp_path / ".sievert.yaml").write_text("disable: " + "[" * 500 + "]" * 500 + "\n")
    proc = run_bounded("config", str(tmp_path), "-o", str(tmp_path / "out.txt"))
    assert_limit(proc, ".sievert.yaml", "SIEVERT_MAX_YAML_DEPTH")
    assert_no_output(tmp_path, "out.txt")


# --- Dockerfiles -------------------------------------------------------------------------

DOCKERFILES = {
    "huge-line": ("FROM alpine\nRUN " + "a" * 2_000_000 + "\n", "SIEVERT_MAX_DOCKERFILE_LINE"),
    "continuations": (
        "FROM alpine\nRUN a \\\n" + " b \\\n" * 1_000_000 + " c\n",
        "SIEVERT_MAX_DOCKERFILE_SIZE",
    ),
    "instructions": (
        "FROM alpine\n" + "RUN true\n" * 20_000,
        "SIEVERT_MAX_DOCKERFILE_INSTRUCTIONS",
    ),
    "heredocs": (
        "FROM alpine\n" + "".join(f"RUN <<E{i}\nx\nE{i}\n" for i in range(6000)),
        "SIEVERT_MAX_DOCKERFILE_INSTRUCTIONS",
    ),
    "substitution": (
        "FROM alpine\nARG A=" + "${B:-" * 500 + "z" + "}" * 500 + "\n",
        "SIEVERT_MAX_SUBSTITUTION_DEPTH",
    ),
    "doubling": (
        "FROM alpine\nENV A0=0123456789abcdef0123456789abcdef\n"
        + "".join(f"ENV A{i + 1}=${{A{i}}}${{A{i}}}\n" for i in range(40)),
        "SIEVERT_MAX_DOCKERFILE_LINE",
    ),
}


@pytest.mark.parametrize("case", sorted(DOCKERFILES))
def test_hostile_dockerfile(case: str, tmp_path: Path) -> None:
    text, variable = DOCKERFILES[case]
    path = tmp_path / "Dockerfile"
    path.write_text(text)
    proc = run_bounded("config", str(path), "-o", str(tmp_path / "out.txt"))
    assert_limit(proc, "Dockerfile", variable)
    assert_no_output(tmp_path, "out.txt")


# --- Feed archives -----------------------------------------------------------------------


def zip_bomb(path: Path, size: int = 64 << 20) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("GOOD.json", json.dumps({"id": "GHSA-good", "affected": []}))
        with archive.open("BOMB.json", "w") as member:
            chunk = b" " * (1 << 20)
            for _ in range(size >> 20):
                member.write(chunk)


def test_zip_bomb_in_a_feed_mirror(mirror: Path, tmp_path: Path) -> None:
    copy = tmp_path / "mirror"
    copy.mkdir()
    (copy / "osv/PyPI").mkdir(parents=True)
    zip_bomb(copy / "osv/PyPI/all.zip")
    db = tmp_path / "db/vuln.db"
    proc = run_bounded(
        "db", "update", "-q", "--only", "osv", "--mirror", str(copy), "--db", str(db)
    )
    assert proc.returncode == 3, proc.stderr
    assert "Traceback" not in proc.stderr and "MemoryError" not in proc.stderr
    assert "osv" in proc.stderr and "SIEVERT_MAX_ARCHIVE_RATIO" in proc.stderr


def test_archive_member_count(mirror: Path, tmp_path: Path) -> None:
    db = tmp_path / "vuln.db"
    args = ("db", "update", "-q", "--only", "osv", "--mirror", str(mirror), "--db", str(db))
    proc = run_bounded(*args, env={"SIEVERT_MAX_ARCHIVE_MEMBERS": "2"})
    assert proc.returncode == 3, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "archive member count" in proc.stderr and "SIEVERT_MAX_ARCHIVE_MEMBERS" in proc.stderr


def test_gzip_bomb_in_epss(tmp_path: Path) -> None:
    (tmp_path / "mirror/epss").mkdir(parents=True)
    with gzip.open(tmp_path / "mirror/epss/epss_scores-current.csv.gz", "wb") as out:
        out.write(b"cve,epss,percentile\n")
        for _ in range(64):
            out.write(b"\n" * (1 << 20))
    args = ("db", "update", "-q", "--only", "epss", "--mirror", str(tmp_path / "mirror"))
    proc = run_bounded(*args, "--db", str(tmp_path / "vuln.db"))
    assert proc.returncode == 3, proc.stderr
    assert "Traceback" not in proc.stderr and "SIEVERT_MAX_ARCHIVE_RATIO" in proc.stderr


def test_deep_feed_record_is_skipped_alone(tmp_path: Path) -> None:
    good = {
        "id": "GHSA-good-good-good",
        "affected": [{"package": {"ecosystem": "npm", "name": "a"}, "versions": ["1.0.0"]}],
    }
    with zipfile.ZipFile(tmp_path / "all.zip", "w") as archive:
        archive.writestr("GOOD.json", json.dumps(good))
        archive.writestr("DEEP.json", b'{"id": "x", "affected": ' + deep_json() + b"}")
    (tmp_path / "mirror/osv/npm").mkdir(parents=True)
    (tmp_path / "all.zip").rename(tmp_path / "mirror/osv/npm/all.zip")
    args = ("db", "update", "--only", "osv", "--mirror", str(tmp_path / "mirror"))
    proc = run_bounded(*args, "--db", str(tmp_path / "vuln.db"))
    assert proc.returncode == 0, proc.stderr
    assert "1 malformed record(s) skipped" in proc.stderr and "DEEP.json" in proc.stderr

"""`sievert config` vs hadolint, checkov and trivy on the Dockerfile corpus, per concept.

Every corpus file (tests/checks/dockerfile/corpus) states in a `# concepts:` header what is
really wrong with it. For each concept the table shows, per tool, `hits/labelled` (files with
the concept that the tool flags) and `+extra` (files the tool flags without the label); `-`
means the tool has no rule for the concept. Then the wall time of `sievert config` and of
hadolint over the whole corpus (best of 3).

Where the tools differ, by design:
- curl|sh, unverified downloads, chmod 777/o+w, apt upgrade (hadolint dropped DL3005), secret
  values by format or entropy, secret files (.npmrc, id_rsa, .env) and digest pinning: only
  sievert has these (trivy DS-0031 covers secret names in ENV/ARG and some copied files).
- TLS and signature checks off: checkov has one rule per tool (CKV2_DOCKER_2..17); sievert
  folds them into SV-DF-011/012 and also reads heredoc scripts and `sh -c` strings.
- Root user: checkov's CKV_DOCKER_3 wants a user *created*; sievert, hadolint (DL3002, last
  USER root only) and trivy differ on files with no USER (hadolint stays silent there).
  Sievert does not flag `gcr.io/distroless/*:nonroot` bases (they set USER 65532).
- Hygiene rules that only cost size (recommends, caches) are checked by sievert in the stages
  that ship (final stage and its bases), so builder stages are not flagged: an "extra" of the
  others on multi-stage files is often that.
- Unpinned packages: sievert covers apt, apk, pip, npm -g and gem in one rule (low); hadolint
  has one rule per manager; checkov and trivy have none.
- Invalid ports: trivy and hadolint check the range; sievert also checks reversed ranges and
  protocols.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "tests" / "checks" / "dockerfile" / "corpus"
PEERS = REPO / ".bench" / "peers" / "bin"
TRIVY = REPO / ".bench" / "trivy" / "trivy"
SIEVERT = [sys.executable, "-m", "sievert"]

# concept: (sievert ids, hadolint codes, checkov ids, trivy ids); () = no rule for it.
CONCEPTS: dict[str, tuple[tuple[str, ...], ...]] = {
    "root-user": (("SV-DF-001",), ("DL3002",), ("CKV_DOCKER_3", "CKV_DOCKER_8"), ("DS-0002",)),
    "latest-tag": (("SV-DF-002",), ("DL3006", "DL3007"), ("CKV_DOCKER_7",), ("DS-0001",)),
    "bad-copy-from": (("SV-DF-005",), ("DL3022", "DL3023"), (), ("DS-0006",)),
    "add-url": (("SV-DF-006", "SV-DF-008"), ("DL3020",), ("CKV_DOCKER_4",), ("DS-0005",)),
    "add-local": (("SV-DF-007",), ("DL3020",), ("CKV_DOCKER_4",), ("DS-0005",)),
    "curl-pipe-sh": (("SV-DF-009",), (), (), ()),
    "unverified-download": (("SV-DF-010",), (), (), ()),
    "tls-disabled": (
        ("SV-DF-011",),
        (),
        tuple(f"CKV2_DOCKER_{n}" for n in (2, 3, 4, 5, 6, 12, 13, 14, 15, 16)),
        (),
    ),
    "signature-disabled": (
        ("SV-DF-012",),
        (),
        tuple(f"CKV2_DOCKER_{n}" for n in (7, 8, 9, 10, 11)),
        (),
    ),
    "exposed-ports": (("SV-DF-013",), (), ("CKV_DOCKER_1",), ("DS-0004",)),
    "invalid-port": (("SV-DF-014",), ("DL3011",), (), ("DS-0008",)),
    "secrets-env": (("SV-DF-015", "SV-DF-016"), (), (), ("DS-0031",)),
    "secret-file": (("SV-DF-017",), (), (), ("DS-0031",)),
    "sudo": (("SV-DF-018",), ("DL3004",), ("CKV2_DOCKER_1",), ("DS-0010",)),
    "chmod-777": (("SV-DF-019",), (), (), ()),
    "apt-upgrade": (("SV-DF-020",), ("DL3005",), (), ("DS-0024",)),
    "apt-hygiene": (
        ("SV-DF-021", "SV-DF-022", "SV-DF-023", "SV-DF-024"),
        ("DL3009", "DL3014", "DL3015"),
        ("CKV_DOCKER_5", "CKV_DOCKER_9"),
        ("DS-0017", "DS-0021", "DS-0029"),
    ),
    "apk-cache": (("SV-DF-025",), ("DL3019",), (), ("DS-0025",)),
    "pip-cache": (("SV-DF-026",), ("DL3042",), (), ()),
    "yum-clean": (("SV-DF-027",), ("DL3032", "DL3040", "DL3060"), (), ("DS-0015", "DS-0019")),
    "unpinned": (
        ("SV-DF-028",),
        ("DL3008", "DL3013", "DL3016", "DL3018", "DL3028", "DL3033", "DL3037", "DL3041"),
        (),
        (),
    ),
    "healthcheck": (("SV-DF-029",), (), ("CKV_DOCKER_2",), ("DS-0026",)),
    "workdir-relative": (("SV-DF-030",), ("DL3000",), ("CKV_DOCKER_10",), ("DS-0009",)),
    "multiple-cmd": (("SV-DF-031",), ("DL4003", "DL4004"), (), ("DS-0007", "DS-0016")),
    "maintainer": (("SV-DF-032",), ("DL4000",), ("CKV_DOCKER_6",), ("DS-0022",)),
    "digest-pin": (("SV-DF-003",), (), (), ()),
}
TOOLS = ("sievert", "hadolint", "checkov", "trivy")
_LABEL = re.compile(r"#\s*concepts:(.*)")

Flags = dict[str, set[str]]
"""File name -> rule ids a tool reported for it."""


def labels() -> dict[str, set[str]]:
    """File name -> the concepts its header declares."""
    result = {}
    for path in sorted(CORPUS.glob("*.Dockerfile")):
        match = _LABEL.search(path.read_text(encoding="utf-8"))
        names = match.group(1).split(",") if match else []
        result[path.name] = {name.strip() for name in names if name.strip()}
    return result


def _run(cmd: list[str]) -> str:
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=600)
    return proc.stdout


def sievert_flags() -> Flags:
    """Rule ids per file from `sievert config -f json`."""
    doc = json.loads(_run([*SIEVERT, "config", str(CORPUS), "-f", "json"]))
    flags: Flags = defaultdict(set)
    for finding in doc["findings"]:
        flags[Path(finding["file"]).name].add(finding["ruleId"])
    return flags


def hadolint_flags() -> Flags | None:
    """Rule codes per file from `hadolint -f json`, None when not installed."""
    exe = PEERS / "hadolint"
    if not exe.exists():
        return None
    files = [str(p) for p in sorted(CORPUS.glob("*.Dockerfile"))]
    flags: Flags = defaultdict(set)
    for item in json.loads(_run([str(exe), "-f", "json", "--no-fail", *files]) or "[]"):
        flags[Path(item["file"]).name].add(item["code"])
    return flags


def checkov_flags() -> Flags | None:
    """Failed check ids per file from checkov's dockerfile framework, None when not installed."""
    exe = PEERS / "checkov"
    if not exe.exists():
        return None
    out = _run(
        [
            str(exe),
            "-d",
            str(CORPUS),
            "--framework",
            "dockerfile",
            "--skip-download",
            "-o",
            "json",
            "--quiet",
        ]
    )
    docs = json.loads(out or "{}")
    flags: Flags = defaultdict(set)
    for doc in docs if isinstance(docs, list) else [docs]:
        for check in doc.get("results", {}).get("failed_checks", []):
            flags[Path(check["file_path"]).name].add(check["check_id"])
    return flags


def trivy_flags() -> Flags | None:
    """Misconfiguration ids per file from `trivy config`, None when not installed."""
    if not TRIVY.exists():
        return None
    with tempfile.TemporaryDirectory() as cache:
        out = _run(
            [
                str(TRIVY),
                "config",
                "--skip-check-update",
                "--quiet",
                "--format",
                "json",
                "--cache-dir",
                cache,
                str(CORPUS),
            ]
        )
    flags: Flags = defaultdict(set)
    for result in json.loads(out or "{}").get("Results", []):
        for item in result.get("Misconfigurations") or []:
            flags[Path(result["Target"]).name].add(item["ID"])
    return flags


def cell(
    ids: tuple[str, ...], flags: Flags | None, concept: str, truth: dict[str, set[str]]
) -> str:
    """`hits/labelled +extra` for one tool and concept."""
    if flags is None:
        return "n/a"
    if not ids:
        return "-"
    flagged = {name for name, found in flags.items() if set(ids) & found}
    labelled = {name for name, concepts in truth.items() if concept in concepts}
    hits = len(flagged & labelled)
    extra = len(flagged - labelled)
    if not labelled:
        return f"{len(flagged)} files"
    return f"{hits}/{len(labelled)}" + (f" +{extra}" if extra else "")


def best_time(cmd: list[str], runs: int = 3) -> float:
    """Best wall time of `cmd`."""
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=False, timeout=600)
        best = min(best, time.perf_counter() - start)
    return best


def misses(flags: Flags, truth: dict[str, set[str]]) -> list[str]:
    """Sievert's misses and extras against the labels, one line each."""
    lines = []
    for concept, (ids, *_) in CONCEPTS.items():
        for name, concepts in sorted(truth.items()):
            found = bool(set(ids) & flags.get(name, set()))
            if concept == "digest-pin":
                continue
            if concept in concepts and not found:
                lines.append(f"  miss  {concept:20} {name}")
            elif found and concept not in concepts:
                lines.append(f"  extra {concept:20} {name}")
    return lines


def report() -> None:
    """Print the comparison table and the timings."""
    truth = labels()
    results = {
        "sievert": sievert_flags(),
        "hadolint": hadolint_flags(),
        "checkov": checkov_flags(),
        "trivy": trivy_flags(),
    }
    print(f"\nDockerfile checks on {len(truth)} corpus files: hits/labelled +extra per concept")
    header = f"{'concept':22}" + "".join(f"{tool:>14}" for tool in TOOLS)
    print(header)
    print("-" * len(header))
    for concept, ids in CONCEPTS.items():
        cells = [cell(ids[n], results[tool], concept, truth) for n, tool in enumerate(TOOLS)]
        print(f"{concept:22}" + "".join(f"{c:>14}" for c in cells))
    print("\nsievert against the labels:")
    print("\n".join(misses(results["sievert"] or {}, truth)) or "  no miss, no extra")
    sievert_s = best_time([*SIEVERT, "config", str(CORPUS), "-f", "json"])
    line = f"\ntime over the corpus: sievert config {sievert_s:.2f}s"
    hadolint = PEERS / "hadolint"
    if hadolint.exists():
        files = [str(p) for p in sorted(CORPUS.glob("*.Dockerfile"))]
        hadolint_s = best_time([str(hadolint), "-f", "json", "--no-fail", *files])
        line += f", hadolint {hadolint_s:.2f}s (ratio {sievert_s / hadolint_s:.1f}x)"
    print(line)


if __name__ == "__main__":
    report()

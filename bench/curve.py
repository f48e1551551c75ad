"""The cost curve: `sievert sbom` against syft and trivy on synthetic images of growing size.

Writes docker-archive images with 1k, 10k, 100k and 1M files spread over 1, 10 and 50 layers into
a temp dir under .bench/ (never committed), times each tool cold on each (wall seconds and peak
RSS from wait4, best of a few runs taken round-robin) and writes `out/bench/curve.md` (a
Markdown table) and `out/bench/curve.png` (wall time and peak RSS against files, one line per tool
and layer count). matplotlib runs in the bench's own venv (.bench/peers), never in Sievert's.

A tool whose run takes longer than `--timeout` seconds (default 600) is marked as timed out and
not run on the larger images; the table says so. Under the table, each tool's peak RSS from the
smallest to the largest image shows whether its memory stays bounded as files grow, and its time
per added file between consecutive sizes (1k to 10k, 10k to 100k, 100k to 1M) whether its time
grows linearly: the same figure at every step, the fixed start-up cost left out.

Run alone: `python bench/curve.py [--quick] [--runs N] [--timeout S]` (`--quick`: 1k and 10k
files only).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

import compare  # noqa: E402
import run  # noqa: E402

OUT = REPO / "out" / "bench"
SIZES = (1_000, 10_000, 100_000, 1_000_000)
QUICK_SIZES = (1_000, 10_000)
LAYERS = (1, 10, 50)
FILE_BYTES = 64
DPKG_PACKAGES = 20
OS_RELEASE = b'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n'


@dataclass(frozen=True)
class Point:
    """One tool on one synthetic image."""

    tool: str
    files: int
    layers: int
    archive_mib: float
    seconds: float
    peak_mib: float
    ok: bool
    note: str = ""


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes, mode: int = 0o644) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = mode
    info.mtime = 1_700_000_000
    tar.addfile(info, io.BytesIO(data))


def _dpkg_status() -> bytes:
    """A dpkg status database with a few installed packages, so the catalogers have work."""
    stanzas = [
        f"Package: bench-pkg-{i}\nStatus: install ok installed\nPriority: optional\n"
        f"Section: misc\nInstalled-Size: 10\nMaintainer: Bench <bench@example.org>\n"
        f"Architecture: amd64\nVersion: 1.{i}.0-1\nDescription: synthetic package {i}\n"
        for i in range(DPKG_PACKAGES)
    ]
    return "\n".join(stanzas).encode()


def write_layer(path: Path, index: int, first: int, count: int) -> str:
    """One uncompressed layer tar with `count` small files (layer 0 also has os-release and dpkg);
    returns its sha256 (the diff_id)."""
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tar:
        if index == 0:
            _add_bytes(tar, "etc/os-release", OS_RELEASE)
            _add_bytes(tar, "var/lib/dpkg/status", _dpkg_status())
        for n in range(first, first + count):
            name = f"usr/share/bench/l{index:02d}/d{n // 1000:04d}/f{n:07d}.txt"
            _add_bytes(tar, name, f"{n:0{FILE_BYTES - 1}d}\n".encode())
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_image(path: Path, files: int, layers: int, work: Path) -> None:
    """A docker-archive (as `docker save` writes it) with `files` files over `layers` layers."""
    staged: list[tuple[Path, str]] = []
    per_layer, extra = divmod(files, layers)
    first = 0
    for i in range(layers):
        count = per_layer + (1 if i < extra else 0)
        layer = work / f"layer{i}.tar"
        staged.append((layer, write_layer(layer, i, first, count)))
        first += count
    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "config": {"Env": ["PATH=/usr/bin:/bin"]},
            "rootfs": {"type": "layers", "diff_ids": [f"sha256:{d}" for _, d in staged]},
            "history": [{"created_by": f"bench layer {i}"} for i in range(layers)],
        }
    ).encode()
    config_name = hashlib.sha256(config).hexdigest() + ".json"
    manifest = [
        {
            "Config": config_name,
            "RepoTags": [f"bench/curve-{files}-{layers}:latest"],
            "Layers": [f"{d}/layer.tar" for _, d in staged],
        }
    ]
    with tarfile.open(path, "w") as tar:
        _add_bytes(tar, config_name, config)
        for layer, digest in staged:
            tar.add(layer, arcname=f"{digest}/layer.tar")
            layer.unlink()
        _add_bytes(tar, "manifest.json", json.dumps(manifest).encode())


def commands(
    peers: dict[str, str], archive: Path, cache: Path
) -> dict[str, tuple[list[str], dict[str, str] | None]]:
    """Per tool: its cold `sbom`-like command line on `archive` and its environment."""
    target = f"docker-archive:{archive}"
    ours = [*run.SIEVERT, "sbom", target, "-q", "-f", "json", "--cache-dir", str(cache / "sievert")]
    cmds: dict[str, tuple[list[str], dict[str, str] | None]] = {"sievert": (ours, None)}
    if "syft" in peers:
        env = {**os.environ, "SYFT_CHECK_FOR_APP_UPDATE": "false"}
        syft = [peers["syft"], "scan", f"docker-archive:{archive}", "-o", "syft-json", "-q"]
        cmds["syft"] = (syft, env)
    if "trivy" in peers:
        trivy_cache = cache / "trivy"
        env = run.trivy_env(trivy_cache)
        cmds["trivy"] = (compare.trivy_command(peers["trivy"], str(archive), str(trivy_cache)), env)
    return cmds


def timed(cmd: list[str], env: dict[str, str] | None, timeout: float) -> run.Run | None:
    """Wall time and peak RSS (wait4, through run.LAUNCHER) of one command; None when it ran
    past `timeout` (then the command and its children are killed: they run in their own
    session)."""
    proc = subprocess.Popen(
        [sys.executable, "-S", "-c", run.LAUNCHER, *cmd],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        start_new_session=True,
    )
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return None
    fields = out.split()
    if proc.returncode != 0 or len(fields) != 3:
        return run.Run(0.0, 0.0, False)
    seconds, peak_kib, code = float(fields[0]), int(fields[1]), int(fields[2])
    return run.Run(seconds, peak_kib / 1024, code == 0)


def measure_image(
    peers: dict[str, str],
    archive: Path,
    files: int,
    layers: int,
    runs: int,
    cache: Path,
    timeout: float = 600.0,
    skip: frozenset[str] = frozenset(),
) -> list[Point]:
    """Best-of-`runs` cold wall time and its peak RSS per tool, tools interleaved per round; a
    tool in `skip` (it timed out on a smaller image) or past `timeout` gets a note instead."""
    cmds = {k: v for k, v in commands(peers, archive, cache).items() if k not in skip}
    best: dict[str, run.Run] = {}
    late: set[str] = set()
    for _ in range(runs):
        for tool, (cmd, env) in cmds.items():
            if tool in late:
                continue
            shutil.rmtree(cache / tool, ignore_errors=True)
            if tool == "trivy":  # cold, but with the tiny Java DB it needs offline
                run.trivy_env(cache / "trivy")
            result = timed(cmd, env, timeout)
            if result is None:
                late.add(tool)
            elif tool not in best or result.seconds < best[tool].seconds:
                best[tool] = result
    size = archive.stat().st_size / 2**20
    points = [
        Point(tool, files, layers, size, r.seconds, r.peak_mib, r.ok)
        for tool, r in best.items()
        if tool not in late
    ]
    points += [
        Point(tool, files, layers, size, timeout, 0.0, False, f"timed out after {timeout:.0f} s")
        for tool in sorted(late)
    ]
    points += [
        Point(tool, files, layers, size, 0.0, 0.0, False, "not run: timed out on fewer files")
        for tool in sorted(skip)
    ]
    return points


def markdown(points: list[Point]) -> str:
    """The results as a Markdown table, with each peer's time as a multiple of sievert's."""
    sievert = {(p.files, p.layers): p.seconds for p in points if p.tool == "sievert" and p.ok}
    lines = [
        "| files | layers | archive MiB | tool | wall s | peak RSS MiB | time / sievert |",
        "|---:|---:|---:|---|---:|---:|---:|",
    ]
    for p in sorted(points, key=lambda p: (p.files, p.layers, p.tool != "sievert", p.tool)):
        if p.note:
            lines.append(f"| {p.files} | {p.layers} | {p.archive_mib:.1f} | {p.tool} | "
                         f"{p.note} | - | - |")  # fmt: skip
            continue
        base = sievert.get((p.files, p.layers), 0.0)
        ratio = f"{p.seconds / base:.2f}" if base else "-"
        status = "" if p.ok else " (failed)"
        lines.append(
            f"| {p.files} | {p.layers} | {p.archive_mib:.1f} | {p.tool}{status} | "
            f"{p.seconds:.2f} | {p.peak_mib:.0f} | {ratio} |"
        )
    return "\n".join(lines) + "\n\n" + memory_summary(points) + "\n" + linearity(points)


def memory_summary(points: list[Point]) -> str:
    """Per tool and layer count: peak RSS on the fewest and the most files, and time per file."""
    lines = [
        "Bounded memory? Peak RSS from the smallest to the largest image each tool finished:",
        "",
        "| tool | layers | files | peak RSS MiB | files | peak RSS MiB | MiB per 100k files "
        "| µs per file |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for key in sorted({(p.tool, p.layers) for p in points}):
        done = sorted((p for p in points if (p.tool, p.layers) == key and p.ok and not p.note),
                      key=lambda p: p.files)  # fmt: skip
        if len(done) < 2:
            continue
        low, high = done[0], done[-1]
        slope = (high.peak_mib - low.peak_mib) / (high.files - low.files) * 100_000
        per_file = (high.seconds - low.seconds) / (high.files - low.files) * 1e6
        lines.append(
            f"| {key[0]} | {key[1]} | {low.files} | {low.peak_mib:.0f} | {high.files} | "
            f"{high.peak_mib:.0f} | {slope:.1f} | {per_file:.1f} |"
        )
    return "\n".join(lines) + "\n"


def _short(files: int) -> str:
    return f"{files // 1_000_000}M" if files >= 1_000_000 else f"{files // 1000}k"


def linearity(points: list[Point]) -> str:
    """Per tool and layer count: µs per added file between consecutive sizes (the same figure
    from 10k to 1M files means time grows linearly with files; the fixed start-up cost drops
    out)."""
    sizes = sorted({p.files for p in points})
    pairs = list(pairwise(sizes))
    lines = [
        "Linear? µs per added file between consecutive sizes:",
        "",
        "| tool | layers | " + " | ".join(f"{_short(a)} → {_short(b)}" for a, b in pairs) + " |",
        "|---|---:|" + "---:|" * len(pairs),
    ]
    for key in sorted({(p.tool, p.layers) for p in points}):
        done = {p.files: p.seconds for p in points if (p.tool, p.layers) == key and p.ok}
        cells = [
            f"{(done[b] - done[a]) / (b - a) * 1e6:.1f}" if a in done and b in done else "-"
            for a, b in pairs
        ]
        lines.append(f"| {key[0]} | {key[1]} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


PLOT = """
import json, sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
points = json.load(open(sys.argv[1]))
fig, (t, m) = plt.subplots(1, 2, figsize=(12, 5))
for key in sorted({(p["tool"], p["layers"]) for p in points}):
    rows = sorted((p["files"], p["seconds"], p["peak_mib"]) for p in points
                  if (p["tool"], p["layers"]) == key and p["ok"])
    if not rows:
        continue
    label = f"{key[0]}, {key[1]} layer(s)"
    t.plot([r[0] for r in rows], [r[1] for r in rows], marker="o", label=label)
    m.plot([r[0] for r in rows], [r[2] for r in rows], marker="o", label=label)
for ax, what in ((t, "wall time (s)"), (m, "peak RSS (MiB)")):
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("files in image")
    ax.set_ylabel(what)
    ax.grid(True, which="both", alpha=0.3)
t.legend(fontsize=7)
fig.suptitle("cold sbom of synthetic docker-archive images")
fig.tight_layout()
fig.savefig(sys.argv[2], dpi=100)
"""


def plot(points: list[Point], png: Path) -> bool:
    """Draw the curve with matplotlib from the bench venv; False (and a note) when unavailable."""
    venv = run.WORK / "peers"
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    check = subprocess.run([str(python), "-c", "import matplotlib"], capture_output=True)
    if check.returncode != 0:
        subprocess.run([str(python), "-m", "pip", "install", "-q", "matplotlib"], check=False)
    data = png.with_suffix(".json")
    data.write_text(json.dumps([p.__dict__ for p in points], indent=1))
    proc = subprocess.run(
        [str(python), "-c", PLOT, str(data), str(png)], capture_output=True, text=True
    )
    if proc.returncode != 0:
        print(f"  ! plot not drawn: {proc.stderr.strip()[-200:]}")
    return proc.returncode == 0


def report(quick: bool = False, runs: int = 2, timeout: float = 600.0) -> None:
    """Build each synthetic image, measure every tool on it, write the table and the plot."""
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    run.WORK.mkdir(exist_ok=True)
    OUT.mkdir(parents=True, exist_ok=True)
    peers = {k: v for k, v in run.install_peers().items() if k in ("syft", "trivy")}
    sizes = QUICK_SIZES if quick else SIZES
    print(f"\ncost curve ({', '.join(['sievert', *sorted(peers)])}): files x layers, cold sbom")
    points: list[Point] = []
    late: dict[int, set[str]] = {layers: set() for layers in LAYERS}
    with tempfile.TemporaryDirectory(dir=run.WORK, prefix="curve-") as tmp:
        work = Path(tmp)
        for files in sizes:
            for layers in LAYERS:
                archive = work / f"curve-{files}-{layers}.tar"
                write_image(archive, files, layers, work)
                found = measure_image(
                    peers, archive, files, layers, runs, work / "cache", timeout,
                    frozenset(late[layers]),
                )  # fmt: skip
                for p in found:
                    state = p.note or ("" if p.ok else "FAILED")
                    print(
                        f"  {files:>8} files {layers:>3} layers {p.tool:8} {p.seconds:8.2f} s "
                        f"{p.peak_mib:6.0f} MiB  {state}"
                    )
                    if p.note:
                        late[layers].add(p.tool)
                points.extend(found)
                archive.unlink()
    table = OUT / "curve.md"
    table.write_text(
        "# Cost curve: cold sbom of synthetic docker-archive images\n\n"
        f"Best of {runs} interleaved runs; {FILE_BYTES}-byte files; peak RSS from wait4; "
        f"runs over {timeout:.0f} s stopped.\n\n" + markdown(points)
    )
    drawn = plot(points, OUT / "curve.png")
    print(f"  table: {table}" + (f", plot: {OUT / 'curve.png'}" if drawn else ""))


def main() -> None:
    """Command-line entry: `--quick` (1k and 10k files), `--runs N`."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="1k and 10k files only")
    parser.add_argument("--runs", type=int, default=2, help="runs per tool and image (best kept)")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds before a run stops")
    args = parser.parse_args()
    report(quick=args.quick, runs=args.runs, timeout=args.timeout)


if __name__ == "__main__":
    main()

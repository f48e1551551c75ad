"""Compare sievert's package inventory with syft's and trivy's, name and version, per image."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter

SYFT_TYPES = {
    "deb": "deb",
    "apk": "apk",
    "python": "pypi",
    "npm": "npm",
    "gem": "gem",
    "go-module": "golang",
    "java-archive": "maven",
}
TRIVY_TYPES = {
    "debian": "deb",
    "alpine": "apk",
    "python-pkg": "pypi",
    "node-pkg": "npm",
    "gobinary": "golang",
    "jar": "maven",
    "gemspec": "gem",
}


def sievert_packages(target: str) -> Counter[tuple[str, str, str]]:
    """(type, name, version) counts from `sievert sbom -f json`."""
    out = subprocess.run(
        [sys.executable, "-m", "sievert", "sbom", target, "-q", "-f", "json", "--no-cache"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return Counter((p["type"], p["name"], p["version"]) for p in json.loads(out)["packages"])


def syft_packages(syft: str, source: str) -> Counter[tuple[str, str, str]]:
    """(type, name, version) counts from syft-json."""
    env = {**os.environ, "SYFT_CHECK_FOR_APP_UPDATE": "false"}
    out = subprocess.run(
        [syft, "scan", source, "-o", "syft-json", "-q"],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    ).stdout
    return Counter(
        (SYFT_TYPES.get(a["type"], a["type"]), a["name"], a["version"])
        for a in json.loads(out)["artifacts"]
    )


def trivy_command(trivy: str, path: str, cache: str) -> list[str]:
    """trivy's offline package listing of an image archive or layout (used for timing too)."""
    return [
        trivy, "image", "--input", path, "--format", "json", "--list-all-pkgs",
        "--scanners", "license", "--skip-db-update", "--skip-java-db-update",
        "--offline-scan", "-q", "--cache-dir", cache,
    ]  # fmt: skip


def trivy_packages(
    trivy: str, path: str, env: dict[str, str], cache: str
) -> Counter[tuple[str, str, str]]:
    """(type, name, version) counts from trivy's JSON with --list-all-pkgs."""
    out = subprocess.run(
        trivy_command(trivy, path, cache),
        capture_output=True,
        text=True,
        check=True,
        env=env,
    ).stdout
    found: Counter[tuple[str, str, str]] = Counter()
    for result in json.loads(out).get("Results", []):
        kind = TRIVY_TYPES.get(result.get("Type", ""), result.get("Type", ""))
        for p in result.get("Packages", []):
            version = p.get("Version", "")
            if p.get("Epoch"):
                version = f"{p['Epoch']}:{version}"
            if p.get("Release"):
                version = f"{version}-{p['Release']}"
            found[(kind, p["Name"], version)] += 1
    return found


def diff_line(
    name: str, ours: Counter[tuple[str, str, str]], theirs: Counter[tuple[str, str, str]]
) -> str:
    """Per-type counts and the name/version differences, on a few lines."""
    kinds = sorted({k for k, _, _ in ours} | {k for k, _, _ in theirs})
    lines = []
    for kind in kinds:
        a = {(n, v) for k, n, v in ours if k == kind}
        b = {(n, v) for k, n, v in theirs if k == kind}
        extra, missing = sorted(a - b)[:4], sorted(b - a)[:4]
        lines.append(
            f"    {kind:8} sievert {len(a):4}  {name} {len(b):4}  only-sievert {len(a - b):3} "
            f"{extra}  only-{name} {len(b - a):3} {missing}"
        )
    return "\n".join(lines)


def report(
    inputs: dict[str, dict[str, str]], peers: dict[str, str], trivy_env: dict[str, str], cache: str
) -> None:
    """Print the comparison for every image."""
    print("\ninventory comparison (distinct name+version per type):")
    for tag, paths in inputs.items():
        ours = sievert_packages(f"docker-archive:{paths['docker-archive']}")
        print(f"  {tag}")
        if "syft" in peers:
            print(
                diff_line(
                    "syft",
                    ours,
                    syft_packages(peers["syft"], f"docker-archive:{paths['docker-archive']}"),
                )
            )
        if "trivy" in peers:
            print(
                diff_line(
                    "trivy",
                    ours,
                    trivy_packages(peers["trivy"], paths["docker-archive"], trivy_env, cache),
                )
            )

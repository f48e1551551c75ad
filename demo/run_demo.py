"""`make demo`: build a two-layer image from demo/image/ (no network) and show its inventory."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.imagebuilder import F, Image, Member, W, write_oci_archive, write_oci_layout  # noqa: E402

from demo.feeds import write_mirror  # noqa: E402
from demo.service_demo import run_service_demo  # noqa: E402

OUT = REPO / "out" / "demo"


def layer_members(directory: Path, whiteouts: list[str]) -> list[Member]:
    """Every file under a demo layer directory, plus its whiteouts."""
    members: list[Member] = [
        F(str(p.relative_to(directory)), p.read_bytes())
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    ]
    members.extend(W(path) for path in whiteouts)
    return members


def build() -> tuple[str, Path]:
    """Write the demo image as an OCI layout and an OCI archive; the target to scan and the
    archive to upload."""
    spec = json.loads((REPO / "demo" / "image" / "image.json").read_text())
    layers = [
        layer_members(REPO / "demo" / "image" / layer["dir"], layer.get("whiteouts", []))
        for layer in spec["layers"]
    ]
    image = Image(
        layers=layers,
        config=spec["config"],
        history=[layer["created_by"] for layer in spec["layers"]],
    )
    write_oci_layout(OUT / "layout", {spec["tag"]: image})
    archive = write_oci_archive(OUT / "image-oci.tar", {spec["tag"]: image})
    return f"oci-dir:{OUT / 'layout'}:{spec['tag']}", archive


def sievert(*args: str) -> None:
    """Run the sievert CLI of this checkout, echoing the command; exit 1 (a finding or a failed
    gate) is an outcome the demo shows, anything else stops it."""
    print(f"\n$ sievert {' '.join(args)}", flush=True)
    code = subprocess.run([sys.executable, "-m", "sievert", *args], check=False).returncode
    if code not in (0, 1):
        raise SystemExit(f"sievert {args[0]} failed with exit code {code}")


def main() -> None:
    """Build the image and a feed mirror; show layers, SBOM, a vulnerability scan, then the same
    image certified by the embedded service."""
    target, archive = build()
    cache = str(OUT / "cache")
    mirror = write_mirror(OUT / "mirror")
    database = str(OUT / "vuln.db")
    sievert("inspect", target, "--cache-dir", cache, "-q")
    sievert("sbom", target, "--cache-dir", cache, "-q")
    sbom_file = str(OUT / "sbom.cdx.json")
    sievert("sbom", target, "--cache-dir", cache, "-q", "-f", "cyclonedx-json", "-o", sbom_file)
    print(f"\nCycloneDX SBOM written to {sbom_file}")
    sievert("db", "update", "--mirror", str(mirror), "--db", database, "-q")
    dockerfile = str(REPO / "demo" / "Dockerfile")
    sievert("config", dockerfile)
    sievert(
        "scan",
        target,
        "--db",
        database,
        "--cache-dir",
        cache,
        "-q",
        "--scanners",
        "vuln,config,secret",
        "--dockerfile",
        dockerfile,
        "--policy",
        str(REPO / "demo" / "policy.yaml"),
        "--show-suppressed",
    )
    sievert("vuln", "show", "CVE-2023-4911", "--db", database)
    run_service_demo(OUT, archive, database, REPO / "demo" / "policy.yaml")


if __name__ == "__main__":
    main()

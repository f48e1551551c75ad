"""The layer walk alone, in microseconds per tar member: `index_tar_region` over the layers of
each bench docker-archive (uncompressed, read in place with pread) and `index_blob` over its OCI
layout's gzip layers (decompressed on a worker thread, blob digest and diff_id checked), with
the capture spec of `sievert sbom`.

Reported: the walking thread's CPU time (best of the rounds; steadier than wall time on a shared
machine) and the wall time, per member; and the same walk with neither globs nor extractors
("bare": the header parse and the entry table alone).

Usage: `python bench/walk.py [--rounds N] [--tag TAG ...]` (inputs: `python bench/run.py` makes
them under .bench/images on first use).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import time
from collections.abc import Callable
from pathlib import Path

from msgspec.structs import replace

from sievert.model import LayerInfo
from sievert.pipeline.inventory import InventoryOptions, walk_catalogers, walk_spec
from sievert.source.base import SourceOptions
from sievert.source.capture import CaptureSpec
from sievert.source.dockerarchive import DockerArchiveSource
from sievert.source.layerindex import LayerIndex
from sievert.source.tarwalk import index_blob, index_tar_region

IMAGES = Path(__file__).resolve().parents[1] / ".bench" / "images"
TAGS = ("bookworm-apps", "bookworm", "alpine-3.23")


def region_walks(tag: str) -> list[Callable[[CaptureSpec], LayerIndex]]:
    """One walk per layer of the tag's docker-archive."""
    image = DockerArchiveSource().open(str(IMAGES / f"{tag}.tar"), SourceOptions())
    fd = os.open(IMAGES / f"{tag}.tar", os.O_RDONLY)
    walks = []
    for layer in image.metadata.layers:
        member = image._layers[layer.index]  # the offsets of the layer tars

        def walk(spec: CaptureSpec, at: int = member.offset_data, size: int = member.size,
                 layer: LayerInfo = layer) -> LayerIndex:  # fmt: skip
            return index_tar_region(fd, at, size, spec, layer)

        walks.append(walk)
    return walks


def blob_walks(tag: str) -> list[Callable[[CaptureSpec], LayerIndex]]:
    """One walk per gzip layer of the tag's OCI layout (digests checked)."""
    layout = IMAGES / f"{tag}-oci"
    index = json.loads((layout / "index.json").read_bytes())
    manifest_digest = index["manifests"][0]["digest"]
    manifest = json.loads(_blob(layout, manifest_digest).read_bytes())
    config = json.loads(_blob(layout, manifest["config"]["digest"]).read_bytes())
    walks = []
    for number, (layer, diff_id) in enumerate(
        zip(manifest["layers"], config["rootfs"]["diff_ids"], strict=True)
    ):
        info = LayerInfo(number, layer["digest"], diff_id, layer["size"], layer["mediaType"])

        def walk(spec: CaptureSpec, info: LayerInfo = info) -> LayerIndex:
            with _blob(layout, info.digest).open("rb") as raw:
                return index_blob(raw, spec, info, info.digest)

        walks.append(walk)
    return walks


def _blob(layout: Path, digest: str) -> Path:
    algo, _, hexpart = digest.partition(":")
    return layout / "blobs" / algo / hexpart


def measure(
    walks: list[Callable[[CaptureSpec], LayerIndex]], spec: CaptureSpec, rounds: int
) -> str:
    """'cpu µs/member, wall µs/member' (best of the rounds)."""
    cpu = wall = float("inf")
    members = 0
    for _ in range(rounds):
        gc.collect()
        started, started_cpu = time.perf_counter(), time.thread_time()
        members = sum(len(walk(spec).entries) for walk in walks)
        cpu = min(cpu, time.thread_time() - started_cpu)
        wall = min(wall, time.perf_counter() - started)
    return f"{cpu / members * 1e6:5.2f} cpu {wall / members * 1e6:5.2f} wall ({members} members)"


def main() -> None:
    """Print µs per member for each input and spec."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--tag", action="append", choices=TAGS)
    args = parser.parse_args()
    options = InventoryOptions()
    full = walk_spec(walk_catalogers(options, "docker-archive"), options, None)
    specs = {"sbom": full, "bare": replace(full, globs=(), extractors=())}
    print(f"load average {os.getloadavg()[0]:.2f}; µs per member (thread CPU, wall)")
    for tag in args.tag or TAGS:
        for form, walks in (("docker-archive", region_walks(tag)), ("oci", blob_walks(tag))):
            for name, spec in specs.items():
                print(f"{tag:14s} {form:15s} {name:5s} {measure(walks, spec, args.rounds)}")


if __name__ == "__main__":
    main()

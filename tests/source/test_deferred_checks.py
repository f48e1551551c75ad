"""Deferred digest checks (`layer_indexes(..., deferred=True)`, what the inventory uses): an
index may come out before its layer's hash is done, but every check, and every cache put, runs
before the iteration ends, a put only after its check, and the first error stays the first."""

from __future__ import annotations

import io
import json
import tarfile
import threading
from pathlib import Path

import pytest

from sievert.errors import DigestMismatchError, LayerError
from sievert.model import LayerInfo
from sievert.source.base import DEFERRED_LAYERS, SourceOptions
from sievert.source.capture import CaptureSpec
from sievert.source.dockerarchive import DockerArchiveSource
from sievert.source.layerindex import LayerIndex
from tests.imagebuilder import F, Image, write_docker_archive
from tests.source.util import SPEC

IMAGE = Image(
    [
        [F("etc/a.txt", "AAAAAAAAAAAAAAAA")],
        [F("etc/b.txt", "BBBBBBBBBBBBBBBB")],
        [F("etc/c.txt", "CCCCCCCCCCCCCCCC")],
    ]
)


class RecordingCache:
    """A layer cache that has nothing and records what is stored, in order, in `events`."""

    def __init__(self, events: list[str]) -> None:
        self.events = events

    def get(self, diff_id: str, spec: CaptureSpec) -> LayerIndex | None:
        """Nothing is cached."""
        del diff_id, spec
        return None

    def put(
        self, diff_id: str, spec: CaptureSpec, index: LayerIndex, *, last_use: bool = False
    ) -> None:
        """Record the put."""
        del spec, index
        self.events.append(f"put {diff_id}")


def _tampered(archive: Path, out: Path, changes: dict[int, tuple[bytes, bytes]]) -> Path:
    """A copy of a docker-archive with bytes replaced inside the numbered layers' tars."""
    with tarfile.open(archive) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
    layers = manifest[0]["Layers"]
    with tarfile.open(archive) as src, tarfile.open(out, "w") as dst:
        for member in src.getmembers():
            data = src.extractfile(member)
            body = data.read() if data else b""
            if member.name in layers:
                old, new = changes.get(layers.index(member.name), (b"", b""))
                body = body.replace(old, new, 1) if old else body
            dst.addfile(member, io.BytesIO(body))
    return out


def _walk(
    archive: Path, deferred: bool, events: list[str]
) -> tuple[list[int], BaseException | None]:
    """Iterate the layers, recording each one yielded; the layers seen and the error, if any."""
    opened = DockerArchiveSource().open(str(archive), SourceOptions())
    seen: list[int] = []
    try:
        for layer, _ in opened.layer_indexes(SPEC, RecordingCache(events), deferred=deferred):
            seen.append(layer.index)
            events.append(f"yield {layer.index}")
    except (DigestMismatchError, LayerError) as exc:
        return seen, exc
    finally:
        opened.close()
    return seen, None


def _layers(archive: Path) -> tuple[LayerInfo, ...]:
    opened = DockerArchiveSource().open(str(archive), SourceOptions())
    try:
        return opened.metadata.layers
    finally:
        opened.close()


def _digest_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("sievert-digest")]


def test_deferred_walk_stores_each_layer_after_every_index_is_out(tmp_path: Path) -> None:
    archive = write_docker_archive(tmp_path / "img.tar", IMAGE)
    diff_ids = [layer.diff_id for layer in _layers(archive)]
    eager: list[str] = []
    late: list[str] = []
    assert _walk(archive, False, eager) == ([0, 1, 2], None)
    assert _walk(archive, True, late) == ([0, 1, 2], None)
    assert eager == [e for i, d in enumerate(diff_ids) for e in (f"put {d}", f"yield {i}")]
    # At most DEFERRED_LAYERS (2) wait: layer 0 is stored before layer 2 is handed out.
    assert late == ["yield 0", "yield 1", f"put {diff_ids[0]}", "yield 2"] + [
        f"put {d}" for d in diff_ids[1:]
    ]
    assert not _digest_threads()


def test_a_deferred_walk_holds_a_bounded_number_of_layers(tmp_path: Path) -> None:
    image = Image([[F(f"etc/{n}.txt", str(n) * 16)] for n in range(9)])
    archive = write_docker_archive(tmp_path / "img.tar", image)
    diff_ids = [layer.diff_id for layer in _layers(archive)]
    events: list[str] = []
    assert _walk(archive, True, events) == (list(range(9)), None)
    assert [e for e in events if e.startswith("put")] == [f"put {d}" for d in diff_ids]
    for i, diff_id in enumerate(diff_ids):
        put = events.index(f"put {diff_id}")
        assert events.index(f"yield {i}") < put  # checked and stored after it was handed out
        if i + DEFERRED_LAYERS < len(diff_ids):  # ... and before the layer DEFERRED_LAYERS on
            assert put < events.index(f"yield {i + DEFERRED_LAYERS}")


@pytest.mark.parametrize("deferred", [False, True])
def test_a_wrong_digest_is_raised_before_the_walk_ends_and_nothing_is_stored(
    tmp_path: Path, deferred: bool
) -> None:
    archive = write_docker_archive(tmp_path / "img.tar", IMAGE)
    bad = _tampered(archive, tmp_path / "bad.tar", {0: (b"AAAA", b"XXXX")})
    events: list[str] = []
    seen, error = _walk(bad, deferred, events)
    assert isinstance(error, DigestMismatchError)
    assert "diff_id" in str(error)
    assert not [e for e in events if e.startswith("put")]
    # Deferred, the later layers were walked (and their indexes handed out) meanwhile; the
    # consumer never got to the end of the loop, so it used none of them.
    assert seen == (list(range(DEFERRED_LAYERS)) if deferred else [])
    assert not _digest_threads()


@pytest.mark.parametrize("deferred", [False, True])
def test_an_earlier_wrong_digest_is_the_first_error(tmp_path: Path, deferred: bool) -> None:
    archive = write_docker_archive(tmp_path / "img.tar", IMAGE)
    # Layer 0's file changed (a digest error), layer 1's first tar header broken (a walk error).
    bad = _tampered(
        archive, tmp_path / "bad.tar", {0: (b"AAAA", b"XXXX"), 1: (b"etc/b.txt", b"\xff" * 9)}
    )
    events: list[str] = []
    _, error = _walk(bad, deferred, events)
    assert isinstance(error, DigestMismatchError), error
    assert _layers(archive)[0].digest in str(error)
    assert not [e for e in events if e.startswith("put")]
    assert not _digest_threads()


def test_a_later_wrong_digest_lets_the_earlier_layers_be_stored(tmp_path: Path) -> None:
    archive = write_docker_archive(tmp_path / "img.tar", IMAGE)
    diff_ids = [layer.diff_id for layer in _layers(archive)]
    bad = _tampered(archive, tmp_path / "bad.tar", {2: (b"CCCC", b"XXXX")})
    for deferred in (False, True):
        events: list[str] = []
        _, error = _walk(bad, deferred, events)
        assert isinstance(error, DigestMismatchError)
        assert [e for e in events if e.startswith("put")] == [f"put {d}" for d in diff_ids[:2]]

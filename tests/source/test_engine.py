"""EngineSource against a real podman Docker-API service on a socket in a temporary directory."""

from __future__ import annotations

import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from sievert.errors import RegistryError, TargetNotFoundError
from sievert.source.base import SourceOptions
from sievert.source.capture import CaptureSpec
from sievert.source.engine import EngineImage, EngineSource
from sievert.source.layerindex import LayerIndex
from sievert.source.view import FileView
from tests.imagebuilder import D, F, Image, L, W, sha256, write_docker_archive
from tests.podman_fixtures import Podman, podman_service

pytestmark = pytest.mark.engine

SPEC = CaptureSpec(globs=("etc/*", "app/**"), version="t")


@pytest.fixture(scope="module")
def podman(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Podman]:
    """A podman API service for this module."""
    with podman_service(tmp_path_factory.mktemp("podman")) as service:
        yield service


def sample(marker: str) -> Image:
    """Two layers with a whiteout, a symlink and config facts."""
    return Image(
        layers=[
            [D("etc"), F("etc/release", f"{marker}\n"), F("etc/gone", "x")],
            [D("app"), F("app/run.sh", "echo hi\n", 0o755), L("app/rel", "/etc/release")],
            [W("etc/gone"), F("etc/third", "3\n")],
        ],
        config={"User": "nobody", "Cmd": ["/app/run.sh"], "WorkingDir": "/app"},
        history=["ADD base /", "COPY app /app", "RUN rm /etc/gone"],
    )


def load(podman: Podman, tmp_path: Path, marker: str) -> tuple[str, Image]:
    """Build, `podman load` and return the image's name."""
    img = sample(marker)
    archive = write_docker_archive(tmp_path / f"{marker}.tar", img, tag=f"sievert/{marker}:v1")
    podman.run("load", "-q", "-i", str(archive))
    return f"localhost/sievert/{marker}:v1", img


def open_engine(podman: Podman, name: str, monkeypatch: pytest.MonkeyPatch) -> EngineImage:
    """Open through the podman socket."""
    monkeypatch.setenv("DOCKER_HOST", f"unix://{podman.socket}")
    return EngineSource().open(name, SourceOptions())


class DictCache:
    """An in-memory layer cache that counts reads and writes."""

    def __init__(self) -> None:
        self.data: dict[str, LayerIndex] = {}

    def get(self, diff_id: str, spec: CaptureSpec) -> LayerIndex | None:
        """The cached index, if any."""
        return self.data.get(diff_id)

    def put(
        self, diff_id: str, spec: CaptureSpec, index: LayerIndex, *, last_use: bool = False
    ) -> None:
        """Remember an index."""
        self.data[diff_id] = index


def view_of(image: EngineImage, cache: DictCache | None = None) -> tuple[FileView, list[str]]:
    """The squashed view and the progress words."""
    words: list[str] = []
    view = FileView(image.metadata.layers)
    for layer, index in image.layer_indexes(SPEC, cache, lambda _, w: words.append(w)):
        view.apply(layer.index, index)
    return view, words


def test_metadata_and_files(
    podman: Podman, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name, img = load(podman, tmp_path, "meta")
    image = open_engine(podman, name, monkeypatch)
    meta = image.metadata
    assert meta.source_kind == "docker" and meta.reference == name
    assert [x.diff_id for x in meta.layers] == [sha256(t) for t in img.built().tars]
    assert [x.created_by for x in meta.layers] == [
        "ADD base /",
        "COPY app /app",
        "RUN rm /etc/gone",
    ]
    assert meta.user == "nobody" and meta.cmd == ("/app/run.sh",) and meta.working_dir == "/app"
    assert name in meta.repo_tags
    assert meta.config_digest == sha256(img.built().config)
    view, words = view_of(image)
    image.close()
    assert words == ["done", "done", "done"]
    assert view.read_text("app/rel") == "meta\n"
    assert view.read_text("etc/third") == "3\n"
    assert not view.exists("etc/gone")
    assert view.location("app/run.sh").layer_index == 1


def test_fully_cached_image_does_not_read_the_stream(
    podman: Podman, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name, _ = load(podman, tmp_path, "cached")
    cache = DictCache()
    image = open_engine(podman, name, monkeypatch)
    first, _ = view_of(image, cache)
    image.close()
    image = open_engine(podman, name, monkeypatch)
    podman.run("rmi", name)  # the stream can no longer be had: only the cache can answer
    second, words = view_of(image, cache)
    image.close()
    assert words == ["cached"] * 3
    assert sorted(r.path for r in second.records()) == sorted(r.path for r in first.records())


def test_partly_cached_image_reads_the_rest_in_order(
    podman: Podman, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name, _ = load(podman, tmp_path, "partial")
    image = open_engine(podman, name, monkeypatch)
    full, _ = view_of(image, DictCache())
    cache = DictCache()
    middle = image.metadata.layers[1]
    cache.data[middle.diff_id] = LayerIndex(middle.diff_id, ())  # a cache hit proves itself
    view, words = view_of(image, cache)
    image.close()
    assert words == ["done", "cached", "done"]
    assert not view.exists("app/run.sh") and full.exists("app/run.sh")
    assert view.read_text("etc/release") == "partial\n"


def test_open_layer_streams_one_layer(
    podman: Podman, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name, _ = load(podman, tmp_path, "single")
    image = open_engine(podman, name, monkeypatch)
    with (
        image.open_layer(image.metadata.layers[1]) as stream,
        tarfile.open(fileobj=stream, mode="r|") as tar,
    ):
        names = [m.name for m in tar]
    image.close()
    assert names == ["app", "app/run.sh", "app/rel"]


def test_unknown_image_is_not_found(podman: Podman, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(TargetNotFoundError, match=r"docker:localhost/sievert/nope:v9.*404"):
        open_engine(podman, "localhost/sievert/nope:v9", monkeypatch)


def test_engine_not_listening(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/absent.sock")
    with pytest.raises(RegistryError, match=r"docker:alpine: cannot reach the container engine"):
        EngineSource().open("alpine", SourceOptions())

"""The bounded readers of sievert.limits as functions (the service calls them on uploads)."""

from __future__ import annotations

import io
import json
import random
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from sievert import limits
from sievert.errors import LimitError, UsageError
from sievert.limits import jsonload, yamlload
from sievert.limits.archive import ZipReader, capped_stream
from sievert.terminal import escape, one_line


def reference_depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((reference_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((reference_depth(v) for v in value), default=0)
    return 0


def random_value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.choice(["list", "dict", "str", "num"] if depth < 8 else ["str", "num"])
    if kind == "list":
        return [random_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    if kind == "dict":
        return {rng.choice(["a", "[", '"', "\\", "}{"]) + str(i): random_value(rng, depth + 1)
                for i in range(rng.randint(0, 3))}  # fmt: skip
    if kind == "str":
        return "".join(
            rng.choice(["[", "]", "{", "}", '"', "\\", "x", "\\\\", '\\"']) for _ in range(5)
        )
    return rng.random()


@pytest.mark.parametrize("seed", range(200))
def test_json_depth_matches_the_parsed_value(seed: int) -> None:
    value = random_value(random.Random(seed))
    text = json.dumps(value, ensure_ascii=seed % 2 == 0).encode()
    assert jsonload.json_depth(text) == reference_depth(value)


def test_json_bounds_and_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    assert jsonload.loads(b'{"a": [1, {"b": "[[["}]}', "doc") == {"a": [1, {"b": "[[["}]}
    with pytest.raises(LimitError, match=r"doc: JSON nesting depth .* SIEVERT_MAX_JSON_DEPTH"):
        jsonload.loads("[" * 1_000_000, "doc")
    monkeypatch.setenv("SIEVERT_MAX_JSON_DEPTH", "2")
    assert jsonload.loads("[[1]]", "doc") == [[1]]
    with pytest.raises(LimitError):
        jsonload.loads("[[[1]]]", "doc")
    monkeypatch.setenv("SIEVERT_MAX_JSON_SIZE", "10")
    with pytest.raises(LimitError, match="JSON document size is over the limit of 10 bytes"):
        jsonload.loads('"' + "x" * 20 + '"', "doc")
    with pytest.raises(ValueError):
        jsonload.loads("{", "doc")
    monkeypatch.setenv("SIEVERT_MAX_JSON_SIZE", "ten")
    with pytest.raises(UsageError, match="SIEVERT_MAX_JSON_SIZE must be a positive integer"):
        jsonload.loads("1", "doc")


def test_load_file_reads_no_further_than_the_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIEVERT_MAX_JSON_SIZE", "4096")
    with pytest.raises(LimitError, match="/dev/zero: JSON document size"):
        jsonload.load_file("/dev/zero")


def test_yaml_aliases_expansion_and_recursion(monkeypatch: pytest.MonkeyPatch) -> None:
    assert yamlload.load("a: &x [1, 2]\nb: *x\n", "y") == {"a": [1, 2], "b": [1, 2]}
    monkeypatch.setenv("SIEVERT_MAX_YAML_NODES", "20")
    with pytest.raises(LimitError, match="YAML expanded size"):
        yamlload.load("a: &x [1, 2, 3, 4, 5]\nb: [*x, *x, *x, *x]\n", "y")
    with pytest.raises(yaml.YAMLError, match="recursive alias"):
        yamlload.load("&a [*a]", "y")
    node = yamlload.compose("k: v\n", "y")
    assert isinstance(node, yaml.MappingNode) and node.start_mark.line == 0


def test_zip_reader_refuses_lying_and_bombing_members(monkeypatch: pytest.MonkeyPatch) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("small.json", b"{}")
        archive.writestr("bomb.json", b" " * (4 << 20))
    with zipfile.ZipFile(buffer) as archive:
        reader = ZipReader(archive, "feed.zip")
        assert reader.read("small.json") == b"{}"
        with pytest.raises(LimitError, match=r"feed\.zip:bomb\.json: archive compression ratio"):
            reader.read("bomb.json")
        monkeypatch.setenv("SIEVERT_MAX_ARCHIVE_MEMBERS", "1")
        with pytest.raises(LimitError, match="archive member count"):
            ZipReader(archive, "feed.zip")


def test_capped_stream_stops_at_the_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIEVERT_MAX_ARCHIVE_SIZE", "1000")
    stream = capped_stream(io.BytesIO(b"x" * 5000), "data.gz", 5000)
    with pytest.raises(LimitError, match=r"data\.gz: archive uncompressed size"):
        stream.read()


def test_every_limit_is_documented() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "limits.md").read_text()
    for limit in limits.ALL:
        assert f"`{limit.variable}`" in doc, limit.variable


def test_escape_makes_controls_visible() -> None:
    assert escape("a\x1b[2Jb\u202e") == "a\\x1b[2Jb\\u202e"
    assert escape("two\nlines\t", keep_lines=True) == "two\nlines\t"
    assert one_line("x\n  y\x07") == "x y\\x07"

"""Parses reused across the layers of one walk give the inventory a fresh parse would."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

import pytest

from sievert.catalog.base import Cataloger
from sievert.catalog.dpkg import DpkgCataloger
from sievert.catalog.lang.ruby import GemInstalledCataloger
from sievert.catalog.layers import IntroductionTracker, catalog_view
from sievert.catalog.memo import ParseMemo, remember, reuse, reusing
from sievert.model import Package
from sievert.source.view import FileView
from tests.catalog.helpers import Layer, layer_index
from tests.catalog.test_dpkg import DEBIAN, DEP5, STATUS


def test_the_same_bytes_object_is_parsed_once() -> None:
    memo = ParseMemo()
    data = b"x" * 10
    calls: list[bytes] = []

    def parse() -> int:
        calls.append(data)
        return len(calls)

    assert memo.reuse("p", "/a", data, parse) == 1
    assert memo.reuse("p", "/a", data, parse) == 1
    assert memo.hits == 1
    assert len(calls) == 1


def test_equal_but_other_bytes_other_path_or_parser_are_parsed_again() -> None:
    memo = ParseMemo()
    first, second = b"same content", bytes(bytearray(b"same content"))
    assert first == second and first is not second
    results = iter(range(10))
    memo.reuse("p", "/a", first, lambda: next(results))
    assert memo.reuse("p", "/a", second, lambda: next(results)) == 1  # a new object: parsed
    assert memo.reuse("p", "/b", second, lambda: next(results)) == 2
    assert memo.reuse("q", "/b", second, lambda: next(results)) == 3
    assert memo.hits == 0


def test_without_an_active_memo_every_call_parses() -> None:
    data = b"abc"
    results = iter(range(10))
    assert [reuse("p", "/a", data, lambda: next(results)) for _ in range(3)] == [0, 1, 2]
    with reusing(ParseMemo()) as memo:
        assert [reuse("p", "/a", data, lambda: next(results)) for _ in range(3)] == [3, 3, 3]
    assert memo.hits == 2
    assert reuse("p", "/a", data, lambda: next(results)) == 4


def test_equal_keys_are_computed_once_while_a_memo_is_active() -> None:
    results = iter(range(10))
    assert [remember(("k", 1), lambda: next(results)) for _ in range(2)] == [0, 1]
    with reusing(ParseMemo()) as memo:
        first = [remember(("k", 1), lambda: next(results)) for _ in range(2)]
        assert first == [2, 2] and remember(("k", 2), lambda: next(results)) == 3
    assert memo.hits == 1


GEMSPEC = 'Gem::Specification.new do |s|\n  s.name = "{name}"\n  s.version = "{version}"\nend\n'
GEMS = "usr/lib/ruby/gems/3.1.0/specifications"

MORE_STATUS = STATUS + "\nPackage: curl\nStatus: install ok installed\nArchitecture: amd64\n"
MORE_STATUS += "Version: 7.88.1-10\n"

LAYERS: tuple[Layer, ...] = (
    {
        "var/lib/dpkg/status": STATUS,
        "var/lib/dpkg/info/libssl3:amd64.list": "/usr/lib/x86_64-linux-gnu/libssl.so.3\n",
        "var/lib/dpkg/info/bsdutils.list": "/usr/bin/logger\n",
        "usr/share/doc/libssl3/copyright": DEP5,
        "usr/share/doc/bsdutils/copyright": "see /usr/share/common-licenses/GPL-2.\n",
        f"{GEMS}/rake-13.0.6.gemspec": GEMSPEC.format(name="rake", version="13.0.6"),
        f"{GEMS}/json-2.6.3.gemspec": GEMSPEC.format(name="json", version="2.6.3"),
    },
    {  # apt installs curl; bsdutils' copyright is rewritten; a gem is upgraded
        "var/lib/dpkg/status": MORE_STATUS,
        "var/lib/dpkg/info/curl.list": "/usr/bin/curl\n",
        "usr/share/doc/curl/copyright": "see /usr/share/common-licenses/BSD.\n",
        "usr/share/doc/bsdutils/copyright": "see /usr/share/common-licenses/LGPL-2.1.\n",
        f"{GEMS}/json-2.7.0.gemspec": GEMSPEC.format(name="json", version="2.7.0"),
        f"{GEMS}/.wh.json-2.6.3.gemspec": "",
    },
    {"usr/share/doc/curl/README": "nothing a cataloger reads"},
    {f"{GEMS}/minitest-5.18.0.gemspec": GEMSPEC.format(name="minitest", version="5.18.0")},
)


def walk(layers: Sequence[Layer], catalogers: Sequence[Cataloger]) -> tuple[Package, ...]:
    """What the layer walk does: apply each layer, observe it, then catalog the final view."""
    tracker = IntroductionTracker(catalogers)
    view = FileView()
    for index, files in enumerate(layers):
        view.apply(index, layer_index(files, f"sha256:{index:064d}"))
        tracker.observe(index, view, view.data_changed)
    packages, _ = catalog_view(view, catalogers, DEBIAN, tracker)
    return packages


@contextlib.contextmanager
def nothing_reused(memo: ParseMemo) -> Iterator[ParseMemo]:
    yield memo


def test_a_walk_reusing_parses_equals_one_parsing_everything(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    catalogers: list[Cataloger] = [DpkgCataloger(), GemInstalledCataloger()]
    hits: list[int] = []

    @contextlib.contextmanager
    def counted(memo: ParseMemo) -> Iterator[ParseMemo]:
        with reusing(memo):
            yield memo
        hits.append(memo.hits)

    monkeypatch.setattr("sievert.catalog.layers.reusing", counted)
    reused = walk(LAYERS, catalogers)
    monkeypatch.setattr("sievert.catalog.layers.reusing", nothing_reused)
    fresh = walk(LAYERS, catalogers)
    assert reused == fresh
    assert max(hits) > 0  # the second runs did reuse parses
    found = {p.name: p for p in reused}
    assert found["bsdutils"].licenses == ("LGPL-2.1",)  # the rewritten file was parsed again
    assert found["libssl3"].licenses == ("Apache-2.0", "GPL-2+ or Artistic")
    assert found["curl"].introduced_by == 1
    assert found["json"].version == "2.7.0"
    assert found["minitest"].introduced_by == 3
    assert found["rake"].introduced_by == 0

"""FileView.resolve: the directories it remembers between applies give the answers of following
every component afresh (the reference below), layer after layer."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from sievert.source.layerindex import Entry, LayerIndex
from sievert.source.view import _RESOLVED_SIZE, MAX_SYMLINK_HOPS, FileView, normalize


def reference_resolve(view: FileView, path: str) -> str | None:
    """Symlinks followed one component at a time, nothing remembered."""
    parts = [p for p in normalize(path).split("/") if p]
    done: list[str] = []
    hops = 0
    while parts:
        part = parts.pop(0)
        if part == "..":
            if done:
                done.pop()
            continue
        found = view.record("/".join([*done, part]))
        if found is None:
            if not parts:
                return None
            done.append(part)
            continue
        if found.kind == "symlink":
            hops += 1
            if hops > MAX_SYMLINK_HOPS:
                return None
            if found.link.startswith("/"):
                done = []
            parts = [p for p in found.link.split("/") if p and p != "."] + parts
            continue
        done.append(part)
    return "/".join(done)


_NAMES = st.sampled_from(["a", "b", "c"])
_PATHS = st.lists(_NAMES, min_size=1, max_size=4).map("/".join)
_TARGETS = st.lists(st.sampled_from(["a", "b", "c", "..", ".", ""]), max_size=4).flatmap(
    lambda parts: st.sampled_from(["", "/"]).map(lambda lead: lead + "/".join(parts))
)
_ENTRIES = st.lists(
    st.one_of(
        _PATHS.map(lambda p: Entry(p, "dir")),
        _PATHS.map(lambda p: Entry(p, "file")),
        st.tuples(_PATHS, _TARGETS).map(lambda pt: Entry(pt[0], "symlink", link=pt[1])),
        _PATHS.map(lambda p: Entry(p, "whiteout")),
    ),
    max_size=8,
)
_QUERIES = st.lists(
    st.lists(st.sampled_from(["a", "b", "c", "..", ".", "", "d"]), max_size=5).map("/".join),
    min_size=1,
    max_size=12,
)


@settings(max_examples=300)
@given(st.lists(_ENTRIES, min_size=1, max_size=3), _QUERIES)
def test_resolve_matches_following_every_component(
    layers: list[list[Entry]], queries: list[str]
) -> None:
    view = FileView()
    for number, entries in enumerate(layers):
        view.apply(number, LayerIndex(f"sha256:{number}", tuple(entries)))
        for query in queries:  # asked twice: the second answer comes from what was remembered
            assert view.resolve(query) == reference_resolve(view, query), query
            assert view.resolve(query) == reference_resolve(view, query), query


def test_deep_paths_resolve_without_recursion_in_bounded_memory() -> None:
    deep = "/".join(["d"] * 5000)
    view = FileView()
    view.apply(
        0, LayerIndex("sha256:0", (Entry(deep + "/f", "file"), Entry("d/up", "symlink", link="..")))
    )
    assert view.resolve(deep + "/f") == deep + "/f"
    assert view.resolve(f"d/up/d/up/{deep}/f") == deep + "/f"
    assert view.resolve(deep + "/missing") is None
    remembered = sum(
        len(path) + len(state[0]) if state else 0 for path, state in view._dirs.items()
    )
    assert remembered <= _RESOLVED_SIZE < len(deep) ** 2 // 2  # what keeping every level takes

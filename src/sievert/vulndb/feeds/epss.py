"""FIRST EPSS daily scores (`epss_scores-current.csv.gz`, first line a `#model_version` comment)."""

from __future__ import annotations

import csv
import gzip
import io
import zlib
from pathlib import Path

from sievert.errors import FeedError, LimitError
from sievert.limits.archive import capped_stream
from sievert.vulndb.feeds.base import Feed, FeedResult, FileSpec, Settings

URL = "https://epss.cyentia.com/epss_scores-current.csv.gz"


def parse_epss(path: Path, name: str = "") -> FeedResult:
    """EPSS score and percentile per CVE; malformed rows become notices."""
    result = FeedResult()
    label = name or path.name
    try:
        with gzip.open(path, "rb") as raw:
            capped = capped_stream(raw, label, path.stat().st_size)  # type: ignore[arg-type]
            with io.TextIOWrapper(capped, encoding="utf-8", newline="") as text:
                _read(text, label, result)
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
        raise FeedError(f"{path}: corrupt gzip: {exc}") from exc
    except csv.Error as exc:
        raise FeedError(f"{path}: malformed CSV: {exc}") from exc
    except LimitError as exc:
        raise FeedError(str(exc)) from exc
    return result


def _read(text: io.TextIOBase | io.TextIOWrapper, label: str, out: FeedResult) -> None:
    first = text.readline()
    if first.startswith("#"):
        for part in first[1:].strip().split(","):
            key, _, value = part.partition(":")
            out.info[key.strip()] = value.strip()
        first = text.readline()
    header = [h.strip() for h in first.split(",")]
    if header[:3] != ["cve", "epss", "percentile"]:
        raise FeedError(f"{label}: not an EPSS file (header {first.strip()!r})")
    scores = out.scores
    for number, row in enumerate(csv.reader(text), start=3):
        if not row:
            continue
        try:
            scores.append((row[0], float(row[1]), float(row[2])))
        except (IndexError, ValueError):
            out.skip(f"{label}:{number}: malformed row skipped: {row!r}")


def _files(settings: Settings) -> list[FileSpec]:
    return [FileSpec(URL, "epss_scores-current.csv.gz")]


FEED = Feed(name="epss", folder="epss", files=_files, parse=parse_epss)

"""Downloading feed files: mirrors, conditional requests, temp file + rename, clear errors."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from pathlib import Path

import httpx
import msgspec

from sievert import __version__
from sievert.errors import FeedError, UsageError
from sievert.limits import jsonload
from sievert.limits.archive import check_expansion
from sievert.vulndb.feeds.base import Feed, FileSpec, Settings
from sievert.vulndb.progress import Reporter, SilentReporter

LOCAL = "local"
DOWNLOADED = "downloaded"
NOT_MODIFIED = "not-modified"
MISSING = "missing"
RETRY_STATUSES = (403, 429, 503)
"""NVD answers these when its rate limit is exceeded."""


class Mirror(msgspec.Struct, frozen=True):
    """A mirror base (directory or URL) laid out as `<base>/<folder>/<path>`."""

    base: str
    is_dir: bool

    @classmethod
    def parse(cls, spec: str) -> Mirror:
        """A mirror from `--mirror DIR|URL`; UsageError for a directory that does not exist."""
        if spec.startswith(("http://", "https://")):
            return cls(spec.rstrip("/"), is_dir=False)
        path = Path(spec.removeprefix("file://")).expanduser()
        if not path.is_dir():
            raise UsageError(f"mirror {spec}: not a directory or an http(s) URL")
        return cls(str(path.resolve()), is_dir=True)

    def url(self, folder: str, path: str) -> str:
        """Where a URL mirror keeps folder/path."""
        return f"{self.base}/{folder}/{path}"

    def local(self, folder: str, path: str) -> Path:
        """Where a directory mirror keeps folder/path."""
        return Path(self.base) / folder / path


class Fetched(msgspec.Struct):
    """One file ready to parse (or missing), and how it was obtained."""

    url: str
    status: str
    path: Path | None = None
    validators: dict[str, str] = msgspec.field(default_factory=dict)

    def commit(self) -> None:
        """Remember the validators (ETag, Last-Modified) once the file parsed correctly."""
        if self.path is not None and self.validators:
            _write_json(_meta_path(self.path), {"url": self.url, **self.validators})


def _meta_path(path: Path) -> Path:
    return path.with_name(path.name + ".validators.json")


def _write_json(path: Path, value: object) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "w") as out:
        json.dump(value, out)
    Path(tmp).replace(path)


class Fetcher:
    """Fetches feed files from upstream, a URL mirror or a directory mirror (read in place)."""

    def __init__(
        self,
        cache_dir: Path,
        mirror: Mirror | None = None,
        *,
        timeout: float = 60.0,
        reporter: Reporter | None = None,
        client: httpx.Client | None = None,
    ) -> None:
        self.cache_dir = cache_dir
        self.mirror = mirror
        self.timeout = timeout
        self.reporter = reporter or SilentReporter()
        self.client = client or httpx.Client(
            timeout=timeout,
            follow_redirects=True,
            headers={"User-Agent": f"sievert/{__version__}"},
        )

    def close(self) -> None:
        """Close the HTTP client."""
        self.client.close()

    def fetch(self, feed: Feed, spec: FileSpec) -> Fetched:
        """The local file for spec: read in place, downloaded, or reused after a 304."""
        if self.mirror is not None and self.mirror.is_dir:
            local = self.mirror.local(feed.folder, spec.path)
            return Fetched(str(local), LOCAL if local.is_file() else MISSING, local)
        dest = self.cache_dir / feed.folder / spec.path
        if self.mirror is not None:
            url = self.mirror.url(feed.folder, spec.path)
        elif spec.release_asset:
            url = self._release_asset(spec)
        else:
            url = spec.url
        return self.download(url, dest, f"{feed.name}: {spec.path}")

    def fetch_pages(self, feed: Feed, spec: FileSpec, settings: Settings) -> list[Fetched]:
        """Every page of an NVD-style paged API, at its rate limit (upstream only)."""
        headers = {"apiKey": settings.nvd_api_key} if settings.nvd_api_key else {}
        delay = settings.nvd_delay
        if delay is None:
            delay = 0.6 if settings.nvd_api_key else 6.0
        pages: list[Fetched] = []
        start, total = 0, 1
        while start < total:
            url = f"{spec.url}?startIndex={start}&resultsPerPage={settings.nvd_page_size}"
            dest = self.cache_dir / feed.folder / f"page-{start:08d}.json"
            page = self._download_retrying(url, dest, f"{feed.name}: page {start}", headers, delay)
            total, size = _page_counts(page)
            pages.append(page)
            start += max(size, 1)
            if start < total:
                time.sleep(delay)
        return pages

    def _download_retrying(
        self, url: str, dest: Path, label: str, headers: dict[str, str], delay: float
    ) -> Fetched:
        for attempt in range(4):
            try:
                return self.download(url, dest, label, headers, retry=True)
            except _RetryableError:
                time.sleep(delay * 5 * (attempt + 1))
        raise FeedError(f"GET {url}: still rate-limited after 4 attempts")

    def _release_asset(self, spec: FileSpec) -> str:
        try:
            response = self.client.get(spec.url, headers={"Accept": "application/vnd.github+json"})
            response.raise_for_status()
            assets = response.json().get("assets", [])
        except (httpx.HTTPError, ValueError, AttributeError) as exc:
            raise FeedError(f"GET {spec.url}: cannot read the latest release: {exc}") from exc
        for asset in assets:
            if str(asset.get("name", "")).endswith(spec.release_asset):
                return str(asset["browser_download_url"])
        raise FeedError(f"GET {spec.url}: no release asset named *{spec.release_asset}")

    def download(
        self,
        url: str,
        dest: Path,
        label: str,
        headers: dict[str, str] | None = None,
        retry: bool = False,
    ) -> Fetched:
        """GET url into dest (temp file + rename), conditionally when dest is known."""
        dest.parent.mkdir(parents=True, exist_ok=True)
        request_headers = dict(headers or {})
        request_headers.update(_conditional_headers(url, dest))
        try:
            return self._stream(url, dest, label, request_headers, retry)
        except httpx.TimeoutException as exc:
            raise FeedError(f"GET {url}: timed out after {self.timeout:g} s") from exc
        except httpx.RemoteProtocolError as exc:
            raise FeedError(f"GET {url}: truncated or malformed response: {exc}") from exc
        except httpx.HTTPError as exc:
            raise FeedError(f"GET {url}: {type(exc).__name__}: {exc}") from exc

    def _stream(
        self, url: str, dest: Path, label: str, headers: dict[str, str], retry: bool
    ) -> Fetched:
        with self.client.stream("GET", url, headers=headers) as response:
            if response.status_code == 304 and dest.is_file():
                self.reporter.finish(label, "not modified")
                return Fetched(url, NOT_MODIFIED, dest)
            if response.status_code == 404:
                return Fetched(url, MISSING)
            if retry and response.status_code in RETRY_STATUSES:
                raise _RetryableError(url)
            if response.status_code != 200:
                raise FeedError(f"GET {url}: HTTP {response.status_code} {response.reason_phrase}")
            self._save(response, dest, label)
        return Fetched(url, DOWNLOADED, dest, _validators(response))

    def _save(self, response: httpx.Response, dest: Path, label: str) -> None:
        length = response.headers.get("Content-Length")
        expected = int(length) if length and length.isdecimal() else None
        self.reporter.start(label, expected)
        fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=dest.name + ".", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as out:
                written = 0
                for chunk in response.iter_bytes(1 << 16):
                    out.write(chunk)
                    written += len(chunk)
                    # A Content-Encoding bomb inflates on the way in: bound it like an archive.
                    check_expansion(written, response.num_bytes_downloaded, str(response.url))
                    self.reporter.advance(label, len(chunk))
            got = response.num_bytes_downloaded
            if expected is not None and got != expected:
                raise FeedError(f"GET {response.url}: truncated body ({got} of {expected} bytes)")
            with contextlib.suppress(FileNotFoundError):
                _meta_path(dest).unlink()
            Path(tmp).replace(dest)
        finally:
            with contextlib.suppress(FileNotFoundError):
                Path(tmp).unlink()
        self.reporter.finish(label, f"downloaded {got:,} bytes")


class _RetryableError(Exception):
    """A rate-limit answer worth waiting for."""


def _conditional_headers(url: str, dest: Path) -> dict[str, str]:
    meta = _meta_path(dest)
    if not (dest.is_file() and meta.is_file()):
        return {}
    try:
        known = json.loads(meta.read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(known, dict) or known.get("url") != url:
        return {}
    headers = {}
    if known.get("etag"):
        headers["If-None-Match"] = str(known["etag"])
    if known.get("last_modified"):
        headers["If-Modified-Since"] = str(known["last_modified"])
    return headers


def _validators(response: httpx.Response) -> dict[str, str]:
    found = {}
    if "ETag" in response.headers:
        found["etag"] = response.headers["ETag"]
    if "Last-Modified" in response.headers:
        found["last_modified"] = response.headers["Last-Modified"]
    return found


def _page_counts(page: Fetched) -> tuple[int, int]:
    if page.path is None:
        raise FeedError(f"GET {page.url}: HTTP 404")
    try:
        document = jsonload.load_file(page.path, page.url)
        return int(document["totalResults"]), int(document["resultsPerPage"])
    except (ValueError, KeyError, TypeError) as exc:
        raise FeedError(f"GET {page.url}: not an NVD API page: {exc}") from exc

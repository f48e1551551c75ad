"""Alpine secdb JSON per branch and repository: `secfixes {version: [CVE...]}`, all fixed-in."""

from __future__ import annotations

import re
from pathlib import Path

from sievert.errors import FeedError
from sievert.jsonvalue import as_dict, as_list, as_str
from sievert.model.vuln import FIXED, NOT_AFFECTED, Affected, Vulnerability
from sievert.vulndb.feeds.base import Feed, FeedResult, FileSpec, Settings, load_json, str_list

BASE_URL = "https://secdb.alpinelinux.org"
SOURCE = "alpine-secdb"


def branch_of(distroversion: str, name: str) -> str:
    """'3.23' or 'edge' from the document's `distroversion`, else from the file path."""
    for text in (distroversion, name):
        match = re.search(r"v(\d+\.\d+)|(edge)", text)
        if match:
            return match.group(1) or "edge"
    return ""


def parse_alpine(path: Path, name: str = "") -> FeedResult:
    """Parse one secdb file (e.g. `v3.23/main.json`); version '0' means not affected."""
    document = load_json(path)
    if not isinstance(document, dict) or not isinstance(document.get("packages"), list):
        raise FeedError(f"{path}: not an Alpine secdb document (no `packages` list)")
    branch = branch_of(as_str(document.get("distroversion")), name or str(path))
    if not branch:
        raise FeedError(f"{path}: cannot tell the Alpine branch (no distroversion)")
    repo = as_str(document.get("reponame")) or Path(name).stem
    record_id = (
        f"alpine-secdb v{branch}/{repo}" if branch != "edge" else f"alpine-secdb edge/{repo}"
    )
    result = FeedResult()
    for item in as_list(document.get("packages")):
        pkg = as_dict(as_dict(item).get("pkg"))
        package = as_str(pkg.get("name"))
        secfixes = pkg.get("secfixes", {})
        if not package or not isinstance(secfixes, dict):
            result.skip(f"{name or path.name}: malformed package entry skipped")
            continue
        for version, ids in secfixes.items():
            _add_fixes(f"alpine:{branch}", package, str(version), str_list(ids), record_id, result)
    return result


def _add_fixes(
    namespace: str, package: str, version: str, entries: list[str], record_id: str, out: FeedResult
) -> None:
    for entry in entries:
        ids = entry.split()
        if not ids:
            continue
        if len(ids) > 1:
            out.vulns.append(Vulnerability(id=ids[0], aliases=tuple(ids[1:])))
        out.affected.append(
            Affected(
                vuln_id=ids[0],
                namespace=namespace,
                package=package,
                source=SOURCE,
                fix_state=NOT_AFFECTED if version == "0" else FIXED,
                fixed_version="" if version == "0" else version,
                record_id=record_id,
            )
        )


def _files(settings: Settings) -> list[FileSpec]:
    specs = []
    for branch in settings.alpine_branches:
        folder = branch if branch == "edge" else f"v{branch}"
        for repo in settings.alpine_repos:
            url = f"{BASE_URL}/{folder}/{repo}.json"
            specs.append(FileSpec(url, f"{folder}/{repo}.json", optional=True))
    return specs


FEED = Feed(name="alpine", folder="alpine", files=_files, parse=parse_alpine)

"""Harbor's Pluggable Scanner API v1.2: metadata, scan requests and the reports Harbor reads.

Pure translation between Harbor's documents and the service's stored results; the routes live in
`sievert.service.routes.harbor`.
"""

from __future__ import annotations

import json
import re
from collections import OrderedDict
from datetime import UTC, datetime
from threading import Lock
from typing import Any
from urllib.parse import urlsplit

from sievert.errors import ParseError
from sievert.policy.result_input import load_scan_result
from sievert.report.base import Stamp, tool_version

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
METADATA_TYPE = "application/vnd.scanner.adapter.metadata+json; version=1.1"
SCAN_RESPONSE_TYPE = "application/vnd.scanner.adapter.scan.response+json; version=1.0"
ERROR_TYPE = "application/vnd.scanner.adapter.error+json; version=1.0"
VULN_REPORT_1_1 = "application/vnd.security.vulnerability.report; version=1.1"
VULN_REPORT_1_0 = "application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0"
RAW_REPORT = "application/vnd.scanner.adapter.vuln.report.raw"
SBOM_REPORT = "application/vnd.security.sbom.report+json; version=1.0"
SPDX = "application/spdx+json"
CYCLONEDX = "application/vnd.cyclonedx+json"
SEVERITIES = ("Unknown", "Negligible", "Low", "Medium", "High", "Critical")
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


class HarborRequestError(Exception):
    """A scan request Harbor must be told about: its HTTP status and message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def normalise_mime(text: str) -> str:
    """A MIME type with its parameters in one spelling ('a/b; version=1.1')."""
    parts = [p.strip() for p in text.split(";") if p.strip()]
    if not parts:
        return ""
    return "; ".join([parts[0].lower(), *(p.replace(" ", "").lower() for p in parts[1:])])


def metadata(db_built: str) -> dict[str, Any]:
    """The adapter's metadata: the vulnerability and SBOM capabilities."""
    consumes = [OCI_MANIFEST, DOCKER_MANIFEST]
    return {
        "scanner": {"name": "Sievert", "vendor": "Sievert", "version": tool_version()},
        "capabilities": [
            {
                "type": "vulnerability",
                "consumes_mime_types": consumes,
                "produces_mime_types": [VULN_REPORT_1_1, VULN_REPORT_1_0, RAW_REPORT],
            },
            {
                "type": "sbom",
                "consumes_mime_types": consumes,
                "produces_mime_types": [SBOM_REPORT],
                "additional_attributes": {"sbom_media_types": [SPDX, CYCLONEDX]},
            },
        ],
        "properties": {
            "harbor.scanner-adapter/scanner-type": "os-package-vulnerability",
            "harbor.scanner-adapter/vulnerability-database-updated-at": db_built,
            "env.SIEVERT_LAYER_SHARING": "diff_id",
        },
    }


def parse_scan_request(body: bytes) -> tuple[str, str, bool, dict[str, Any]]:
    """(image reference, Authorization value, plain HTTP?, artifact) from a scan request."""
    try:
        document = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise HarborRequestError(400, f"the scan request is not JSON ({exc})") from None
    if not isinstance(document, dict):
        raise HarborRequestError(400, "the scan request is not a JSON object")
    registry = document.get("registry")
    artifact = document.get("artifact")
    if not isinstance(registry, dict) or not isinstance(artifact, dict):
        raise HarborRequestError(422, "the scan request needs `registry` and `artifact` objects")
    url = registry.get("url")
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        raise HarborRequestError(422, f"invalid registry.url: {url!r}")
    repository, digest = artifact.get("repository"), artifact.get("digest")
    if not isinstance(repository, str) or not repository or "@" in repository:
        raise HarborRequestError(422, f"invalid artifact.repository: {repository!r}")
    if not isinstance(digest, str) or not _DIGEST.match(digest):
        raise HarborRequestError(422, f"invalid artifact.digest: {digest!r}")
    mime = artifact.get("mime_type") or OCI_MANIFEST
    if mime not in (OCI_MANIFEST, DOCKER_MANIFEST):
        raise HarborRequestError(501, f"artifacts of type {mime} cannot be scanned")
    for capability in document.get("enabled_capabilities") or []:
        kind = capability.get("type") if isinstance(capability, dict) else None
        if kind not in ("vulnerability", "sbom"):
            raise HarborRequestError(501, f"no capability {kind!r}")
    authorization = registry.get("authorization") or ""
    if not isinstance(authorization, str):
        raise HarborRequestError(422, "registry.authorization must be a string")
    scheme = authorization.strip().partition(" ")[0].lower()
    if authorization.strip() and scheme not in ("basic", "bearer"):
        # Never echo the value: it is a credential.
        raise HarborRequestError(422, "registry.authorization must be 'Basic ...' or 'Bearer ...'")
    reference = f"{parts.netloc}/{repository}@{digest}"
    clean = {k: artifact.get(k, "") for k in ("repository", "digest", "tag", "mime_type")}
    return reference, authorization, parts.scheme == "http", clean


def report_kind(accept: str, sbom_media_type: str) -> str:
    """'vuln', 'raw' or 'sbom' for an Accept header; HarborRequestError when unsupported."""
    mime = normalise_mime(accept)
    if mime in ("", "*/*", "application/json", normalise_mime(VULN_REPORT_1_0)):
        return "vuln"
    if mime == normalise_mime(VULN_REPORT_1_1):
        return "vuln"
    if mime == RAW_REPORT:
        return "raw"
    if mime == normalise_mime(SBOM_REPORT):
        if sbom_media_type not in (SPDX, CYCLONEDX):
            raise HarborRequestError(
                400, f"an SBOM report needs ?sbom_media_type={SPDX} or {CYCLONEDX}"
            )
        return "sbom"
    raise HarborRequestError(501, f"no report of type {accept!r}")


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _scanner() -> dict[str, str]:
    return {"name": "Sievert", "vendor": "Sievert", "version": tool_version()}


def harbor_severity(severity: str) -> str:
    """Sievert's severity on Harbor's six-level scale."""
    text = severity.strip().capitalize()
    return text if text in SEVERITIES else "Unknown"


def vulnerability_report(document: dict[str, Any], artifact: dict[str, Any]) -> dict[str, Any]:
    """Harbor's vulnerability report from a stored scan JSON document."""
    items = [_item(f) for f in document.get("findings", [])]
    worst = max((SEVERITIES.index(i["severity"]) for i in items), default=0)
    return {
        "generated_at": _now(),
        "artifact": artifact,
        "scanner": _scanner(),
        "severity": SEVERITIES[worst],
        "vulnerabilities": items,
    }


def _item(finding: dict[str, Any]) -> dict[str, Any]:
    vuln = finding["vulnerability"]
    package = finding["package"]
    cvss = _preferred_cvss(vuln.get("cvss", []))
    introduced = package.get("introducedBy") or {}
    vendor: dict[str, Any] = {
        "fix_state": finding.get("fixState", ""),
        "purl": package.get("purl", ""),
        "type": package.get("type", ""),
        "layer": {"digest": introduced.get("digest", ""), "diff_id": introduced.get("diffId", "")}
        if introduced
        else None,
        "created_by": introduced.get("createdBy", "") if introduced else "",
        "epss": vuln.get("epss"),
        "kev": vuln.get("kev"),
    }
    return {
        "id": finding["id"],
        "package": package.get("name", ""),
        "version": package.get("version", ""),
        "fix_version": ", ".join(finding.get("fixedVersions", [])),
        "severity": harbor_severity(finding.get("severity", "")),
        "description": vuln.get("description") or vuln.get("summary", ""),
        "links": list(vuln.get("references", []))[:20],
        "preferred_cvss": cvss,
        "cwe_ids": list(vuln.get("cwes", [])),
        "vendor_attributes": vendor,
    }


def _preferred_cvss(scores: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for score in scores:
        version = str(score.get("version", ""))
        if version.startswith("3") and "score_v3" not in out:
            out["score_v3"] = score.get("baseScore")
            out["vector_v3"] = score.get("vector", "")
        elif version.startswith("2") and "score_v2" not in out:
            out["score_v2"] = score.get("baseScore")
            out["vector_v2"] = score.get("vector", "")
    return out


def sbom_report(
    document: dict[str, Any], artifact: dict[str, Any], media_type: str
) -> dict[str, Any]:
    """Harbor's SBOM report (SPDX or CycloneDX JSON) from a stored scan JSON document."""
    try:
        inventory = load_scan_result(document).inventory
    except ParseError as exc:
        raise HarborRequestError(500, f"the stored analysis cannot be read: {exc}") from exc
    if media_type == SPDX:
        from sievert.report.sbom.spdx import spdx_document

        sbom = spdx_document(inventory, Stamp.fresh())
    else:
        from sievert.report.sbom.cyclonedx import bom_document

        sbom = bom_document(inventory, Stamp.fresh())
    return {
        "generated_at": _now(),
        "artifact": artifact,
        "scanner": _scanner(),
        "media_type": media_type,
        "sbom": sbom,
    }


class ReportCache:
    """Harbor reports already converted, keyed by what they are made from (the scan request,
    the image's stored analysis version and the report type), so polling converts once.

    A stored analysis is only ever replaced through `store_result`, which stamps the image's
    `updated_at`: a key holding it (and the DB build) never answers with an outdated report.
    """

    def __init__(self, size: int = 256) -> None:
        self._entries: OrderedDict[tuple[str, ...], tuple[bytes, str]] = OrderedDict()
        self._size = size
        self._lock = Lock()

    def get(self, key: tuple[str, ...]) -> tuple[bytes, str] | None:
        """The (body, media type) stored under the key, or None."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, key: tuple[str, ...], body: bytes, media_type: str) -> None:
        """Remember a converted report (the least recently used ones are dropped)."""
        with self._lock:
            self._entries[key] = (body, media_type)
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)

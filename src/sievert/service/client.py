"""`sievert scan --server URL`: the image is walked here, only its inventory goes to the server
(never a layer), and the server matches it with its vulnerability DB (trivy's client/server)."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from sievert.errors import ServerError
from sievert.model import Inventory
from sievert.model.finding import ScanResult
from sievert.policy.result_input import load_scan_result
from sievert.report.base import Stamp
from sievert.report.sbom.cyclonedx import bom_document

POLL = 0.5


def remote_scan(
    server: str, token: str, inventory: Inventory, name: str, timeout: float = 600
) -> ScanResult:
    """Send the inventory as a CycloneDX SBOM, wait for the server's match, return its result."""
    if not token:
        raise ServerError("--server needs an API token in SIEVERT_SERVER_TOKEN")
    body = json.dumps(bom_document(inventory, Stamp.fresh())).encode()
    headers = {"Authorization": f"Bearer {token}"}
    base = server.rstrip("/")
    try:
        with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
            answer = client.post(
                "/v1/images/sbom",
                params={"name": name},
                content=body,
                headers={"Content-Type": "application/json"},
            )
            image = _json(answer, base)
            deadline = time.monotonic() + timeout
            while image.get("status") in ("queued", "analysing"):
                if time.monotonic() > deadline:
                    raise ServerError(f"{base}: no result after {timeout:.0f} s")
                time.sleep(POLL)
                image = _json(client.get(f"/v1/images/{image['id']}"), base)
            if image.get("status") != "analysed":
                raise ServerError(f"{base}: the server could not match: {image.get('reason')}")
            report = _json(client.get(f"/v1/images/{image['id']}/report"), base)
    except httpx.HTTPError as exc:
        raise ServerError(f"{base}: {exc}") from exc
    return load_scan_result(report)


def send_results(server: str, token: str, route: str, document: dict[str, Any]) -> Any:
    """POST a runtime audit or host scan document (`-f json`) to the server; its answer."""
    if not token:
        raise ServerError("--server needs an API token in SIEVERT_SERVER_TOKEN")
    base = server.rstrip("/")
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    try:
        with httpx.Client(base_url=base, headers=headers, timeout=120) as client:
            answer = client.post(route, content=json.dumps(document).encode())
    except httpx.HTTPError as exc:
        raise ServerError(f"{base}: {exc}") from exc
    return _answer(answer, base)


def _answer(answer: httpx.Response, base: str) -> Any:
    """The JSON of a successful answer; ServerError naming the cause otherwise."""
    if answer.status_code in (401, 403):
        raise ServerError(f"{base}: the token was refused ({answer.status_code})")
    if answer.status_code >= 400:
        detail = answer.text[:300].strip()
        raise ServerError(f"{base}: HTTP {answer.status_code}: {detail}")
    try:
        data = answer.json()
    except ValueError as exc:
        raise ServerError(f"{base}: not a Sievert server (the answer is not JSON)") from exc
    return data


def _json(answer: httpx.Response, base: str) -> dict[str, Any]:
    data = _answer(answer, base)
    if not isinstance(data, dict):
        raise ServerError(f"{base}: not a Sievert server")
    return data

"""`sievert scan --server URL`: the image is walked here and only the layer analyses the server
lacks travel, then the image's description (never a layer); the server assembles the inventory,
matches it with its vulnerability DB and stores the image (trivy's client/server mode).
`--sbom FILE` sends the SBOM's inventory as CycloneDX instead."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import msgspec

from sievert.errors import ServerError, UsageError
from sievert.model import Inventory
from sievert.model.finding import ScanResult
from sievert.pipeline import InventoryOptions
from sievert.pipeline.remote import LocalHalf
from sievert.policy.result_input import load_scan_result
from sievert.report.base import Stamp
from sievert.report.sbom.cyclonedx import bom_document
from sievert.service.remote import describe

POLL = (0.05, 0.5)
"""First and longest wait between polls of an image's status (doubling in between)."""
Say = Callable[[str], None]


class Sent(msgspec.Struct, frozen=True):
    """What a remote image scan sent: layer analyses uploaded out of the image's layers."""

    uploaded: int
    layers: int
    image_id: int


def remote_scan(
    server: str, token: str, inventory: Inventory, name: str, timeout: float = 600
) -> ScanResult:
    """Send an inventory (an SBOM's) as a CycloneDX SBOM, wait for the server's match."""
    body = json.dumps(bom_document(inventory, Stamp.fresh())).encode()
    with _Server(server, token, timeout) as api:
        image = api.call(
            "POST",
            "/v1/images/sbom",
            params={"name": name},
            content=body,
            headers={"Content-Type": "application/json"},
        )
        return api.result(image)


def remote_image_scan(
    server: str,
    token: str,
    target: str,
    options: InventoryOptions,
    name: str,
    say: Say | None = None,
    timeout: float = 600,
) -> tuple[ScanResult, Sent]:
    """Walk the image here, upload the layer analyses the server lacks, send the image's
    description and wait for the server's result."""
    with _Server(server, token, timeout) as api, LocalHalf(target, options) as half:
        meta = half.metadata
        if meta.source_kind == "dir" or not all(layer.diff_id for layer in meta.layers):
            raise UsageError(
                f"--server: {target} has no layer diff_ids to share (a directory?); "
                "send an SBOM with --sbom instead"
            )
        version, kind = half.spec.version, meta.source_kind
        diff_ids = [layer.diff_id for layer in meta.layers]
        answer = api.call(
            "POST",
            "/v1/layers/missing",
            json={"version": version, "source_kind": kind, "diff_ids": diff_ids},
        )
        missing = [str(d) for d in answer.get("missing", ())]
        uploaded = 0
        for layer, index in half.analyses(set(diff_ids) - set(missing)):
            api.call(
                "PUT",
                f"/v1/layers/{layer.diff_id}",
                params={"version": version, "source_kind": kind},
                content=index.to_bytes(),
                headers={"Content-Type": "application/octet-stream"},
            )
            uploaded += 1
        if say is not None:
            distinct = len(set(diff_ids))
            say(f"sent {uploaded} of {distinct} layer analyses to {api.base} (no layer data)")
        image = api.call(
            "POST",
            "/v1/images/described",
            params={"name": name},
            content=describe(meta, version).model_dump_json().encode(),
            headers={"Content-Type": "application/json"},
        )
        result = api.result(image)
    return result, Sent(uploaded, len(set(diff_ids)), int(image["id"]))


class _Server:
    """One Sievert server: calls answering JSON objects, errors as one-line ServerErrors."""

    def __init__(self, server: str, token: str, timeout: float) -> None:
        if not token:
            raise ServerError("--server needs an API token in SIEVERT_SERVER_TOKEN")
        self.base = server.rstrip("/")
        self.timeout = timeout
        self._client = httpx.Client(
            base_url=self.base, headers={"Authorization": f"Bearer {token}"}, timeout=60
        )

    def __enter__(self) -> _Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self._client.close()

    def call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """One request; its JSON object answer."""
        try:
            answer = self._client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise ServerError(f"{self.base}: {exc}") from exc
        return _json(answer, self.base)

    def result(self, image: dict[str, Any]) -> ScanResult:
        """Wait for the image's analysis; its scan result."""
        deadline = time.monotonic() + self.timeout
        wait = POLL[0]
        while image.get("status") in ("queued", "analysing"):
            if time.monotonic() > deadline:
                raise ServerError(f"{self.base}: no result after {self.timeout:.0f} s")
            time.sleep(wait)
            wait = min(POLL[1], wait * 2)
            image = self.call("GET", f"/v1/images/{image['id']}")
        if image.get("status") != "analysed":
            raise ServerError(f"{self.base}: the server could not match: {image.get('reason')}")
        report = self.call("GET", f"/v1/images/{image['id']}/report")
        try:
            return load_scan_result(report)
        except (KeyError, TypeError, ValueError) as exc:
            raise ServerError(f"{self.base}: the server's report cannot be read ({exc})") from exc


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
        raise ServerError(f"{base}: HTTP {answer.status_code}: {_detail(answer)}")
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


def _detail(answer: httpx.Response) -> str:
    try:
        detail = answer.json().get("detail", "")
    except (ValueError, AttributeError):
        detail = ""
    text = detail if isinstance(detail, str) and detail else answer.text
    return " ".join(text.split())[:300]

"""The running containers of the local engine (Docker, or podman's Docker-compatible API).

The engine is found as for `docker:` targets (`$DOCKER_HOST`, else the usual sockets). Running
containers come from `GET /containers/json`, each one's facts from `GET /containers/{id}/json`
and its processes from `GET /containers/{id}/top` (podman 4's compat `top` answers empty, so its
libpod endpoint is asked then). A container that stops between the listing and its inspection is
left out.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote

from sievert.errors import ImageFormatError, RegistryError, TargetNotFoundError
from sievert.model.runtime import ContainerConfig
from sievert.runtime.inspect import parse_container, parse_top
from sievert.source.engine import EngineClient

TOP_ARGS = {"docker": "-eo pid,comm,args", "libpod": "pid,comm,args"}
"""`ps` arguments (Docker runs ps on the host) and podman's top descriptors."""
LIBPOD_TOP = "/v4.0.0/libpod/containers/{id}/top"


class ContainerEngine:
    """Lists and inspects the running containers of one engine."""

    def __init__(self, timeout: float = 30.0, env: Mapping[str, str] | None = None) -> None:
        self._client = EngineClient("containers", timeout, env)
        self.where = self._client.where

    def close(self) -> None:
        """Close the connection."""
        self._client.close()

    def __enter__(self) -> ContainerEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def running(self) -> Iterator[ContainerConfig]:
        """Every running container, in the engine's listing order."""
        listing = self._client.api_json("/containers/json")
        if not isinstance(listing, list):
            raise ImageFormatError(f"engine at {self.where}: container list is not a list")
        for entry in listing:
            container_id = entry.get("Id") if isinstance(entry, dict) else None
            if not isinstance(container_id, str) or not container_id:
                continue
            container = self.inspect(container_id)
            if container is not None:
                yield container

    def inspect(self, container_id: str) -> ContainerConfig | None:
        """One container's facts and processes; None when it is gone."""
        path = f"/containers/{quote(container_id, safe='')}"
        try:
            data = self._client.api_json(f"{path}/json")
        except TargetNotFoundError:
            return None
        if not isinstance(data, dict):
            raise ImageFormatError(
                f"engine at {self.where}: inspect of {container_id} is not an object"
            )
        container = parse_container(data)
        if container.pid_mode == "host":  # its process list is the host's: says nothing of it
            return container
        return parse_container(data, self._processes(container_id))

    def _processes(self, container_id: str) -> tuple[tuple[str, ...], ...] | None:
        """The container's processes; None when the engine will not tell."""
        ident = quote(container_id, safe="")
        attempts = (
            (f"/containers/{ident}/top", {"ps_args": TOP_ARGS["docker"], "stream": "false"}),
            (LIBPOD_TOP.format(id=ident), {"ps_args": TOP_ARGS["libpod"], "stream": "false"}),
        )
        for path, params in attempts:
            try:
                found = parse_top(self._top(path, params))
            except (RegistryError, TargetNotFoundError, ImageFormatError):
                continue
            if found is not None:
                return found
        return None

    def _top(self, path: str, params: dict[str, str]) -> Any:
        return self._client.api_json(path, params)

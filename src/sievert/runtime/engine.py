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

    def running(self, with_processes: bool = True) -> Iterator[ContainerConfig]:
        """Every running container, in the engine's listing order."""
        listing = self._client.api_json("/containers/json")
        if not isinstance(listing, list):
            raise ImageFormatError(f"engine at {self.where}: container list is not a list")
        for entry in listing:
            container_id = entry.get("Id") if isinstance(entry, dict) else None
            if not isinstance(container_id, str) or not container_id:
                continue
            container = self.inspect(container_id, with_processes)
            if container is not None:
                yield container

    def inspect(self, container_id: str, with_processes: bool = True) -> ContainerConfig | None:
        """One container's facts (and processes from `top`); None when it is gone."""
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
        if container.pid_mode == "host" or not with_processes:
            return container  # (with the host's PID namespace, `top` lists the host's processes)
        return parse_container(data, self._processes(container_id))

    def changes(self, container_id: str) -> tuple[tuple[str, str], ...] | None:
        """The container's file changes against its image (path, added/changed/deleted); None
        when it is gone."""
        path = f"/containers/{quote(container_id, safe='')}/changes"
        try:
            data = self._client.api_json(path)
        except TargetNotFoundError:
            return None
        entries = data if isinstance(data, list) else []
        kinds = {0: "changed", 1: "added", 2: "deleted"}
        return tuple(
            (entry["Path"], kinds[entry["Kind"]])
            for entry in entries
            if isinstance(entry, dict)
            and isinstance(entry.get("Path"), str)
            and entry.get("Kind") in kinds
        )

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

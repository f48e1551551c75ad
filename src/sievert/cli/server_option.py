"""`--server URL` on the commands whose results a Sievert server stores (runtime audit, host
scan): the token from $SIEVERT_SERVER_TOKEN, checked before any work."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

import click

from sievert.errors import ServerError, UsageError

F = TypeVar("F", bound=Callable[..., Any])


def server_option(what: str) -> Callable[[F], F]:
    """The `--server URL` option of a command whose results are sent to a server."""
    return click.option(
        "--server",
        metavar="URL",
        help=f"Also store the {what} on a Sievert server (token in $SIEVERT_SERVER_TOKEN, "
        "analyst or admin role).",
    )


def server_token(server: str | None) -> str:
    """The API token for --server ('' without --server); an error before any work when unset."""
    if not server:
        return ""
    if not server.startswith(("http://", "https://")):
        raise UsageError(f"--server {server!r}: expected an http:// or https:// URL")
    token = os.environ.get("SIEVERT_SERVER_TOKEN", "")
    if not token:
        raise ServerError("--server needs an API token in SIEVERT_SERVER_TOKEN")
    return token


def send_results(server: str, token: str, route: str, document: dict[str, Any]) -> Any:
    """POST the document to the server; its answer (ServerError when refused or unreachable)."""
    from sievert.service.client import send_results as post

    return post(server, token, route, document)

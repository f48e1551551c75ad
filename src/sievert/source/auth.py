"""Registry credentials (options, environment, Docker's config.json) and the auth challenge dance.

Credentials are looked up in this order: `SourceOptions.username/password`, then
`SIEVERT_REGISTRY_USERNAME` / `SIEVERT_REGISTRY_PASSWORD`, then the `auths` section of
`$DOCKER_CONFIG/config.json` (default `~/.docker/config.json`), where an entry holds a base64
`auth` ("user:password") or `username`/`password`. Credential helpers (`credsStore`,
`credHelpers`) and identity tokens are not run: they are skipped with a notice.

A registry that answers 401 names its scheme in `WWW-Authenticate`: `Basic` (credentials are sent
as they are) or `Bearer realm=...,service=...,scope=...` (a token is asked from the realm with basic
credentials when there are any, anonymously otherwise; the answer's `token` or `access_token`
is then sent as `Authorization: Bearer`).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
import msgspec

from sievert.errors import AuthError, RegistryError
from sievert.limits import jsonload
from sievert.model import Notice

ENV_USERNAME = "SIEVERT_REGISTRY_USERNAME"
ENV_PASSWORD = "SIEVERT_REGISTRY_PASSWORD"  # noqa: S105 (a variable name)
HUB_CONFIG_KEYS = ("https://index.docker.io/v1/", "index.docker.io", "docker.io")
MAX_TOKEN_RESPONSE = 1024 * 1024

_PARAM = re.compile(r'\s*([A-Za-z0-9_.-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^",\s]*))\s*,?')


class Credentials(msgspec.Struct, frozen=True):
    """A username and password (or token used as a password)."""

    username: str
    password: str
    origin: str
    """Where they came from, for messages: 'options', 'environment', a config.json path."""

    def basic_header(self) -> str:
        """The value of an `Authorization: Basic` header."""
        raw = f"{self.username}:{self.password}".encode()
        return "Basic " + base64.b64encode(raw).decode("ascii")


class Challenge(msgspec.Struct, frozen=True):
    """One parsed `WWW-Authenticate` challenge."""

    scheme: str
    """Lower-cased: 'basic' or 'bearer' (others are refused)."""
    params: dict[str, str] = msgspec.field(default_factory=dict)


def parse_challenge(header: str) -> Challenge:
    """Parse `Bearer realm="...",service="...",scope="..."` (or `Basic realm=...`)."""
    text = header.strip()
    scheme, _, rest = text.partition(" ")
    params: dict[str, str] = {}
    pos = 0
    while pos < len(rest):
        match = _PARAM.match(rest, pos)
        if not match or match.end() == pos:
            break
        quoted, bare = match.group(2), match.group(3)
        value = re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else bare or ""
        params[match.group(1).lower()] = value
        pos = match.end()
    return Challenge(scheme.lower(), params)


def docker_config_path(env: Mapping[str, str] | None = None) -> Path:
    """`$DOCKER_CONFIG/config.json`, or `~/.docker/config.json`."""
    environ = os.environ if env is None else env
    base = environ.get("DOCKER_CONFIG", "")
    return (Path(base) if base else Path.home() / ".docker") / "config.json"


def _host_key(key: str) -> str:
    """'https://host:port/v1/' -> 'host:port'."""
    text = key.strip()
    if "://" in text:
        text = text.split("://", 1)[1]
    return text.split("/", 1)[0].lower()


def _registry_keys(domain: str) -> set[str]:
    if domain in ("docker.io", "registry-1.docker.io"):
        return {_host_key(k) for k in HUB_CONFIG_KEYS} | {"registry-1.docker.io"}
    return {domain.lower()}


def _load_config(path: Path) -> dict[str, Any]:
    try:
        doc = jsonload.load_file(path)
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise AuthError(f"{path}: cannot read Docker config ({exc})") from exc
    if not isinstance(doc, dict):
        raise AuthError(f"{path}: Docker config is not a JSON object")
    return doc


def _entry_credentials(entry: Any, path: Path, key: str) -> Credentials | None:
    if not isinstance(entry, dict):
        return None
    user, password = str(entry.get("username") or ""), str(entry.get("password") or "")
    encoded = entry.get("auth")
    if isinstance(encoded, str) and encoded:
        try:
            user, sep, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise AuthError(f"{path}: auths[{key!r}].auth is not base64 'user:password'") from exc
        if not sep:
            raise AuthError(f"{path}: auths[{key!r}].auth is not base64 'user:password'")
    if user:
        return Credentials(user, password, str(path))
    return None


def _section(doc: dict[str, Any], key: str) -> dict[str, Any]:
    value = doc.get(key)
    return value if isinstance(value, dict) else {}


def config_credentials(domain: str, path: Path, notices: list[Notice]) -> Credentials | None:
    """Credentials for a registry from a Docker config.json; helpers are skipped with a notice."""
    doc = _load_config(path)
    wanted = _registry_keys(domain)
    auths = _section(doc, "auths")
    for key, entry in auths.items():
        if _host_key(str(key)) not in wanted:
            continue
        found = _entry_credentials(entry, path, str(key))
        if found is not None:
            return found
        if isinstance(entry, dict) and entry.get("identitytoken"):
            notices.append(Notice(f"{path}: identity token for {domain} is not supported", domain))
    helpers = _section(doc, "credHelpers")
    helper = next((v for k, v in helpers.items() if _host_key(str(k)) in wanted), None)
    helper = helper or doc.get("credsStore")
    if helper:
        notices.append(
            Notice(
                f"{path}: credential helper {helper!r} for {domain} is not run; "
                f"set {ENV_USERNAME}/{ENV_PASSWORD} instead",
                domain,
            )
        )
    return None


def find_credentials(
    domain: str,
    username: str = "",
    password: str = "",
    env: Mapping[str, str] | None = None,
    notices: list[Notice] | None = None,
) -> Credentials | None:
    """Credentials for a registry domain: explicit, then environment, then Docker's config."""
    environ = os.environ if env is None else env
    if username:
        return Credentials(username, password, "options")
    if environ.get(ENV_USERNAME):
        return Credentials(environ[ENV_USERNAME], environ.get(ENV_PASSWORD, ""), "environment")
    sink = notices if notices is not None else []
    return config_credentials(domain, docker_config_path(environ), sink)


class Authenticator:
    """Turns a 401 challenge into an `Authorization` header, asking a token server if needed."""

    def __init__(self, credentials: Credentials | None, target: str, preset: str = "") -> None:
        self.credentials = credentials
        self.target = target
        self.header = preset
        """Sent with every request; a preset value (a token handed over) is sent from the ping."""

    def respond(self, client: httpx.Client, challenge_header: str, scope: str) -> str:
        """Compute (and remember) the Authorization header answering a challenge."""
        challenge = parse_challenge(challenge_header)
        if challenge.scheme == "basic":
            if self.credentials is None:
                raise AuthError(f"{self.target}: the registry requires credentials; none found")
            self.header = self.credentials.basic_header()
        elif challenge.scheme == "bearer":
            self.header = "Bearer " + self._token(client, challenge, scope)
        else:
            raise AuthError(
                f"{self.target}: unsupported authentication scheme {challenge.scheme!r}"
            )
        return self.header

    def _token(self, client: httpx.Client, challenge: Challenge, scope: str) -> str:
        realm = challenge.params.get("realm", "")
        if not realm.startswith(("http://", "https://")):
            raise AuthError(f"{self.target}: bearer challenge without a usable realm ({realm!r})")
        query = {"service": challenge.params["service"]} if "service" in challenge.params else {}
        query["scope"] = challenge.params.get("scope") or scope
        headers = {}
        if self.credentials is not None:
            headers["Authorization"] = self.credentials.basic_header()
            query["account"] = self.credentials.username
        try:
            response = client.get(realm, params=query, headers=headers, follow_redirects=True)
        except httpx.HTTPError as exc:
            raise RegistryError(f"{self.target}: token server {realm} unreachable ({exc})") from exc
        return self._read_token(response, realm)

    def _read_token(self, response: httpx.Response, realm: str) -> str:
        if response.status_code in (401, 403):
            who = "the credentials" if self.credentials else "anonymous access"
            raise AuthError(f"{self.target}: token server {realm} refused {who}")
        if response.status_code != 200 or len(response.content) > MAX_TOKEN_RESPONSE:
            raise AuthError(
                f"{self.target}: token server {realm} answered HTTP {response.status_code}"
            )
        try:
            doc = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise AuthError(f"{self.target}: token server {realm} sent malformed JSON") from exc
        token = doc.get("token") or doc.get("access_token") if isinstance(doc, dict) else None
        if not isinstance(token, str) or not token:
            raise AuthError(f"{self.target}: token server {realm} sent no token")
        return token

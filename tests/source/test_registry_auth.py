"""Registry credentials and authentication: config.json, env, Basic (htpasswd) and Bearer tokens."""

from __future__ import annotations

import base64
import ctypes
import ctypes.util
import json
import secrets
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from sievert.errors import AuthError
from sievert.model import Notice
from sievert.source.auth import (
    ENV_PASSWORD,
    ENV_USERNAME,
    Credentials,
    find_credentials,
    parse_challenge,
)
from sievert.source.base import SourceOptions
from sievert.source.capture import CaptureSpec
from sievert.source.registry import RegistrySource
from tests.imagebuilder import F, Image
from tests.source.registry_fixtures import Registry, need, start_registry

USER, PASSWORD = "alice", "s3cret-pw"
SPEC = CaptureSpec(globs=("etc/motd",), version="t")


@pytest.fixture(autouse=True)
def no_ambient_credentials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty DOCKER_CONFIG and no SIEVERT_REGISTRY_* variables; returns the config dir."""
    config_dir = tmp_path / "docker-config"
    config_dir.mkdir()
    monkeypatch.setenv("DOCKER_CONFIG", str(config_dir))
    monkeypatch.delenv(ENV_USERNAME, raising=False)
    monkeypatch.delenv(ENV_PASSWORD, raising=False)
    return config_dir


def write_config(config_dir: Path, doc: dict[str, object]) -> None:
    """Write config.json."""
    (config_dir / "config.json").write_text(json.dumps(doc))


def b64(text: str) -> str:
    """Base64 of UTF-8 text."""
    return base64.b64encode(text.encode()).decode()


# credentials and challenges (pure) ---------------------------------------------------------
def test_challenge_parsing() -> None:
    bearer = parse_challenge(
        'Bearer realm="https://auth.example/token",service="reg.example",'
        'scope="repository:library/alpine:pull,push"'
    )
    assert bearer.scheme == "bearer"
    assert bearer.params == {
        "realm": "https://auth.example/token",
        "service": "reg.example",
        "scope": "repository:library/alpine:pull,push",
    }
    basic = parse_challenge('Basic realm="Registry \\"Realm\\""')
    assert basic.scheme == "basic" and basic.params == {"realm": 'Registry "Realm"'}
    bare = parse_challenge("Bearer realm=http://127.0.0.1:1/t, service=svc")
    assert bare.params == {"realm": "http://127.0.0.1:1/t", "service": "svc"}


def test_credentials_order(no_ambient_credentials: Path) -> None:
    write_config(no_ambient_credentials, {"auths": {"reg.example": {"auth": b64("cfg:pw")}}})
    env = {"DOCKER_CONFIG": str(no_ambient_credentials)}
    assert find_credentials("reg.example", "opt", "o", env=env) == Credentials(
        "opt", "o", "options"
    )
    with_env = {**env, ENV_USERNAME: "envuser", ENV_PASSWORD: "e"}
    assert find_credentials("reg.example", env=with_env) == Credentials(
        "envuser", "e", "environment"
    )
    found = find_credentials("reg.example", env=env)
    assert found is not None and (found.username, found.password) == ("cfg", "pw")
    assert find_credentials("other.example", env=env) is None


def test_config_forms_and_hub_aliases(no_ambient_credentials: Path) -> None:
    write_config(
        no_ambient_credentials,
        {
            "auths": {
                "https://index.docker.io/v1/": {"auth": b64("hubuser:hub:pw")},
                "http://127.0.0.1:5000/v2/": {"username": "u", "password": "p"},
            }
        },
    )
    hub = find_credentials("docker.io")
    assert hub is not None and (hub.username, hub.password) == ("hubuser", "hub:pw")
    local = find_credentials("127.0.0.1:5000")
    assert local is not None and (local.username, local.password) == ("u", "p")
    assert find_credentials("127.0.0.1:5001") is None


def test_credential_helpers_are_skipped_with_a_notice(no_ambient_credentials: Path) -> None:
    write_config(
        no_ambient_credentials,
        {"auths": {"ghcr.io": {}}, "credHelpers": {"ghcr.io": "gh"}, "credsStore": "desktop"},
    )
    notices: list[Notice] = []
    assert find_credentials("ghcr.io", notices=notices) is None
    assert len(notices) == 1 and "credential helper 'gh'" in notices[0].message
    notices.clear()
    assert find_credentials("quay.io", notices=notices) is None
    assert "'desktop'" in notices[0].message and ENV_USERNAME in notices[0].message


@pytest.mark.parametrize("doc", ['{"auths": {"r.io": {"auth": "!!!"}}}', "[1]", "{bad json"])
def test_malformed_config_is_an_auth_error(no_ambient_credentials: Path, doc: str) -> None:
    (no_ambient_credentials / "config.json").write_text(doc)
    with pytest.raises(AuthError, match=r"config\.json"):
        find_credentials("r.io")


# real registries ---------------------------------------------------------------------------
def small_image(marker: str) -> Image:
    """A one-layer image."""
    return Image(layers=[[F("etc/motd", f"{marker}\n")]])


def read_motd(target: str, **options: str) -> str:
    """Open, index, return /etc/motd."""
    image = RegistrySource().open(target, SourceOptions(**options))  # type: ignore[arg-type]
    try:
        [(_, index)] = list(image.layer_indexes(SPEC, None))
    finally:
        image.close()
    return index.contents["etc/motd"].decode()


def bcrypt_hash(password: str) -> str:
    """A bcrypt hash: `htpasswd -B` when installed, else the C library's crypt(3)."""
    if (htpasswd := need_optional("htpasswd")) is not None:
        out = subprocess.run(
            [htpasswd, "-nbB", "x", password], capture_output=True, text=True, check=True
        ).stdout
        return out.strip().split(":", 1)[1]
    name = ctypes.util.find_library("crypt")
    if name is None:
        pytest.skip("no htpasswd (apache2-utils) and no libcrypt for a bcrypt hash")
    lib = ctypes.CDLL(name)
    lib.crypt.restype = ctypes.c_char_p
    lib.crypt_gensalt.restype = ctypes.c_char_p
    salt = lib.crypt_gensalt(b"$2b$", 5, None, 0)
    hashed = lib.crypt(password.encode(), salt) if salt else None
    if not hashed or not hashed.startswith(b"$2"):
        pytest.skip("this libcrypt cannot make bcrypt hashes; install apache2-utils")
    return str(hashed.decode())


def need_optional(binary: str) -> str | None:
    """The path of an optional binary."""
    import shutil

    return shutil.which(binary)


def htpasswd_registry_at(
    workdir: Path, user: str = USER, password: str = PASSWORD
) -> Iterator[Registry]:
    """A registry in workdir with Basic auth from an htpasswd file holding one user."""
    htpasswd = workdir / "htpasswd"
    htpasswd.write_text(f"{user}:{bcrypt_hash(password)}\n")
    auth = f"auth:\n  htpasswd:\n    realm: sievert-test\n    path: {htpasswd}\n"
    yield from start_registry(workdir / "basic-registry", auth)


@pytest.fixture
def htpasswd_registry(tmp_path: Path) -> Iterator[Registry]:
    """A registry with Basic auth from an htpasswd file (alice / s3cret-pw)."""
    yield from htpasswd_registry_at(tmp_path)


@pytest.mark.registry
def test_basic_auth_with_docker_config(
    htpasswd_registry: Registry, tmp_path: Path, no_ambient_credentials: Path
) -> None:
    reg = htpasswd_registry
    reg.push(tmp_path, {"v1": small_image("basic")}, "team/app", creds=f"{USER}:{PASSWORD}")
    target = f"{reg.host}/team/app:v1"
    with pytest.raises(AuthError, match=r"requires credentials") as err:
        read_motd(target)
    assert target in str(err.value)
    write_config(no_ambient_credentials, {"auths": {reg.host: {"auth": b64(f"{USER}:{PASSWORD}")}}})
    assert read_motd(target) == "basic\n"


@pytest.mark.registry
def test_basic_auth_wrong_password(htpasswd_registry: Registry, tmp_path: Path) -> None:
    reg = htpasswd_registry
    reg.push(tmp_path, {"v1": small_image("basic")}, "team/app", creds=f"{USER}:{PASSWORD}")
    target = f"{reg.host}/team/app:v1"
    with pytest.raises(AuthError, match=r"HTTP 401") as err:
        read_motd(target, username=USER, password="wrong")
    assert target in str(err.value)
    assert read_motd(target, username=USER, password=PASSWORD) == "basic\n"


@dataclass
class TokenServer:
    """A JWT token server for the registry's `auth: token:` (RS256, signed with openssl)."""

    workdir: Path
    port: int = 0
    requests: list[tuple[str | None, dict[str, list[str]]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        openssl = need("openssl")
        self.key = self.workdir / "token.key"
        self.cert = self.workdir / "token.crt"
        subprocess.run(
            [
                openssl,
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=sievert-test-token",
                "-keyout",
                str(self.key),
                "-out",
                str(self.cert),
            ],
            capture_output=True,
            check=True,
        )
        der = subprocess.run(
            [openssl, "x509", "-in", str(self.cert), "-outform", "DER"],
            capture_output=True,
            check=True,
        ).stdout
        self.x5c = base64.b64encode(der).decode()

    def token(self, scope: str, granted: bool) -> str:
        """A signed JWT granting the scope's actions (or nothing)."""
        access = []
        if granted and scope:
            kind, name, actions = scope.split(":")
            access = [{"type": kind, "name": name, "actions": actions.split(",")}]
        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256", "x5c": [self.x5c]}
        claims = {
            "iss": "sievert-issuer",
            "sub": USER if granted else "",
            "aud": "sievert-reg",
            "exp": now + 600,
            "nbf": now - 60,
            "iat": now - 60,
            "jti": secrets.token_hex(8),
            "access": access,
        }
        signing = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
        signature = subprocess.run(
            [need("openssl"), "dgst", "-sha256", "-sign", str(self.key)],
            input=signing.encode(),
            capture_output=True,
            check=True,
        ).stdout
        return f"{signing}.{_b64url(signature)}"

    def registry_auth(self) -> str:
        """The registry's `auth:` section."""
        return (
            "auth:\n  token:\n"
            f"    realm: http://127.0.0.1:{self.port}/token\n"
            "    service: sievert-reg\n    issuer: sievert-issuer\n"
            f"    rootcertbundle: {self.cert}\n"
        )


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token_handler(server: TokenServer) -> type[BaseHTTPRequestHandler]:
    """A handler: good Basic credentials get the asked scope, none get an empty token."""
    good = "Basic " + b64(f"{USER}:{PASSWORD}")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            query = parse_qs(urlparse(self.path).query)
            auth = self.headers.get("Authorization")
            server.requests.append((auth, query))
            if auth is not None and auth != good:
                self._answer(401, {"details": "bad credentials"})
                return
            token = server.token(query.get("scope", [""])[0], auth == good)
            key = "access_token" if auth is None else "token"
            self._answer(200, {key: token, "expires_in": 600})

        def _answer(self, code: int, doc: dict[str, object]) -> None:
            body = json.dumps(doc).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            """Quiet."""

    return Handler


@pytest.fixture
def token_registry(tmp_path: Path) -> Iterator[tuple[Registry, TokenServer]]:
    """A token server in a thread plus a registry delegating auth to it."""
    yield from token_registry_at(tmp_path)


def token_registry_at(tmp_path: Path) -> Iterator[tuple[Registry, TokenServer]]:
    """A JWT token server (alice / s3cret-pw) in a thread plus a registry in tmp_path
    delegating auth to it; both stopped when resumed."""
    tokens = TokenServer(tmp_path)
    http = ThreadingHTTPServer(("127.0.0.1", 0), token_handler(tokens))
    tokens.port = http.server_address[1]
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    try:
        for reg in start_registry(tmp_path / "token-registry", tokens.registry_auth()):
            yield reg, tokens
    finally:
        http.shutdown()
        http.server_close()
        thread.join()


@pytest.mark.registry
def test_bearer_token_with_credentials_from_the_environment(
    token_registry: tuple[Registry, TokenServer], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reg, tokens = token_registry
    reg.push(tmp_path, {"v1": small_image("token")}, "team/app", creds=f"{USER}:{PASSWORD}")
    tokens.requests.clear()
    monkeypatch.setenv(ENV_USERNAME, USER)
    monkeypatch.setenv(ENV_PASSWORD, PASSWORD)
    assert read_motd(f"{reg.host}/team/app:v1") == "token\n"
    auth, query = tokens.requests[-1]
    assert auth == "Basic " + b64(f"{USER}:{PASSWORD}")
    assert query["scope"] == ["repository:team/app:pull"]
    assert query["service"] == ["sievert-reg"]


@pytest.mark.registry
def test_bearer_token_with_docker_config(
    token_registry: tuple[Registry, TokenServer], tmp_path: Path, no_ambient_credentials: Path
) -> None:
    reg, _ = token_registry
    reg.push(tmp_path, {"v1": small_image("cfg")}, "team/app", creds=f"{USER}:{PASSWORD}")
    write_config(
        no_ambient_credentials, {"auths": {reg.host: {"username": USER, "password": PASSWORD}}}
    )
    assert read_motd(f"{reg.host}/team/app:v1") == "cfg\n"


@pytest.mark.registry
def test_anonymous_token_without_access_is_an_auth_error(
    token_registry: tuple[Registry, TokenServer], tmp_path: Path
) -> None:
    reg, tokens = token_registry
    reg.push(tmp_path, {"v1": small_image("anon")}, "team/app", creds=f"{USER}:{PASSWORD}")
    tokens.requests.clear()
    target = f"{reg.host}/team/app:v1"
    with pytest.raises(AuthError, match=r"HTTP 401") as err:
        read_motd(target)
    assert target in str(err.value)
    assert tokens.requests and all(auth is None for auth, _ in tokens.requests)


@pytest.mark.registry
def test_bearer_wrong_password_is_an_auth_error(
    token_registry: tuple[Registry, TokenServer], tmp_path: Path
) -> None:
    reg, _ = token_registry
    target = f"{reg.host}/team/app:v1"
    with pytest.raises(AuthError, match=r"refused the credentials") as err:
        read_motd(target, username=USER, password="nope")
    assert target in str(err.value)

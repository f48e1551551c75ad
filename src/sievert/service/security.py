"""API tokens (argon2-hashed, shown once) and the Fernet cipher for stored credentials."""

from __future__ import annotations

import hashlib
import os
import secrets
from collections import OrderedDict
from pathlib import Path
from threading import Lock

import msgspec
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.fernet import Fernet, InvalidToken

from sievert.errors import UsageError
from sievert.service.settings import Settings

ROLES = ("read-only", "analyst", "admin")
"""From least to most allowed: read-only reads; analyst adds images and evaluates; admin all."""
TOKEN_PREFIX = "svt"  # noqa: S105  (a label, not a secret)
_HASHER = PasswordHasher()


class NewToken(msgspec.Struct, frozen=True):
    """A freshly made token: the text shown once, its public id and the hash stored."""

    text: str
    id: str
    secret_hash: str


def make_token() -> NewToken:
    """A new random token `svt_<id>_<secret>` and its argon2 hash."""
    token_id = secrets.token_hex(8)
    text = f"{TOKEN_PREFIX}_{token_id}_{secrets.token_urlsafe(32)}"
    return NewToken(text, token_id, _HASHER.hash(text))


def token_id(text: str) -> str:
    """The public id inside a token's text, or "" when it is not shaped like ours."""
    parts = text.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or len(parts[1]) != 16:
        return ""
    return parts[1]


def role_allows(role: str, needed: str) -> bool:
    """Whether a role has at least the rights of `needed`."""
    if role not in ROLES:
        return False
    return ROLES.index(role) >= ROLES.index(needed)


class VerifiedTokens:
    """Remembers tokens already verified (by SHA-256 of their text), so argon2 runs once."""

    def __init__(self, size: int = 4096) -> None:
        self._seen: OrderedDict[str, str] = OrderedDict()
        self._size = size
        self._lock = Lock()

    @staticmethod
    def _key(text: str, secret_hash: str) -> str:
        return hashlib.sha256(f"{secret_hash}\n{text}".encode()).hexdigest()

    def known(self, text: str, secret_hash: str) -> bool:
        """Whether the text was already verified against this hash (no argon2 run)."""
        key = self._key(text, secret_hash)
        with self._lock:
            if key in self._seen:
                self._seen.move_to_end(key)
                return True
        return False

    def verify(self, text: str, secret_hash: str) -> bool:
        """Whether the text matches the stored hash."""
        if self.known(text, secret_hash):
            return True
        key = self._key(text, secret_hash)
        try:
            _HASHER.verify(secret_hash, text)
        except (VerificationError, InvalidHashError):
            return False
        with self._lock:
            self._seen[key] = secret_hash
            while len(self._seen) > self._size:
                self._seen.popitem(last=False)
        return True


class Cipher:
    """Encrypts stored secrets (registry passwords, pull authorizations) with Fernet."""

    def __init__(self, key: bytes) -> None:
        try:
            self._fernet = Fernet(key)
        except (ValueError, TypeError) as exc:
            raise UsageError(
                "SIEVERT_SECRET_KEY is not a Fernet key (32 url-safe base64-encoded bytes)"
            ) from exc

    def encrypt(self, text: str) -> bytes:
        """The encrypted text ("" stays empty)."""
        return self._fernet.encrypt(text.encode()) if text else b""

    def decrypt(self, data: bytes) -> str:
        """The clear text; "" when empty or when the key changed."""
        if not data:
            return ""
        try:
            return self._fernet.decrypt(data).decode()
        except InvalidToken:
            return ""


def load_cipher(settings: Settings) -> Cipher:
    """The cipher from SIEVERT_SECRET_KEY, else from a key file made once in the storage dir."""
    if settings.secret_key:
        return Cipher(settings.secret_key.encode())
    path = settings.storage_dir / "secret.key"
    return Cipher(_key_file(path))


def _key_file(path: Path) -> bytes:
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the secret key ({exc})") from exc
    key = Fernet.generate_key()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_name(f".{path.name}.{os.getpid()}")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(key)
        try:
            os.link(temp, path)  # first writer wins when several processes start at once
        except FileExistsError:
            return path.read_bytes().strip()
        finally:
            temp.unlink()
    except OSError as exc:
        raise UsageError(f"{path}: cannot write the secret key ({exc})") from exc
    return key

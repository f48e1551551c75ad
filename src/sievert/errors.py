"""The one exception tree of Sievert; third-party errors are translated into these at the edge."""

from __future__ import annotations

EXIT_OK = 0
EXIT_POLICY = 1
EXIT_USAGE = 2
EXIT_ERROR = 3


class SievertError(Exception):
    """Base of every error Sievert raises on purpose; the CLI prints it on one line, exit 3."""

    exit_code = EXIT_ERROR


class InternalError(SievertError):
    """An unexpected exception (a bug) caught by the CLI, named with its command and input."""

    def __init__(self, command: str, subject: str, cause: BaseException, hint: bool = True) -> None:
        on = f" on {subject}" if subject else ""
        tail = "; rerun with `sievert --debug ...` for the traceback" if hint else ""
        super().__init__(
            f"internal error in `{command}`{on}: {type(cause).__name__}: {cause} (a bug{tail})"
        )
        self.command = command
        self.subject = subject


class UsageError(SievertError):
    """The user asked for something malformed (bad flag value, unknown format); exit 2."""

    exit_code = EXIT_USAGE


class TargetNotFoundError(SievertError):
    """The image reference, file or directory does not exist or cannot be resolved."""


class ImageFormatError(SievertError):
    """An image's manifest, index, config or layout is malformed or inconsistent."""


class PlatformNotFoundError(ImageFormatError):
    """An image index has no manifest for the requested platform."""


class LayerError(SievertError):
    """A layer cannot be read: corrupt or truncated compression or tar, or over a size bound."""

    def __init__(self, layer: str, cause: str) -> None:
        super().__init__(f"layer {layer}: {cause}")
        self.layer = layer
        self.cause = cause


class DigestMismatchError(SievertError):
    """Bytes read do not hash to the digest that names them."""


class RegistryError(SievertError):
    """A registry or engine API answered with an error, or could not be reached."""


class AuthError(RegistryError):
    """Authentication with a registry failed."""


class CacheError(SievertError):
    """The layer cache cannot be opened or written."""


class DatabaseError(SievertError):
    """The vulnerability database is missing, corrupt or cannot be built."""


class FeedError(SievertError):
    """One feed could not be downloaded or parsed."""


class ParseError(SievertError):
    """A document given by the user (SBOM, policy, Dockerfile...) cannot be parsed."""


class PackageDbError(SievertError):
    """A package database inside an image (dpkg, apk, rpmdb) is malformed; catalogers notice it."""


class VersionError(SievertError):
    """A version string is not valid in its versioning scheme (dpkg, rpm, apk, PEP 440...)."""

    def __init__(self, version: str, scheme: str, reason: str = "") -> None:
        detail = f": {reason}" if reason else ""
        super().__init__(f"invalid {scheme} version {version!r}{detail}")
        self.version = version
        self.scheme = scheme
        self.reason = reason


class HostError(SievertError):
    """A host cannot be reached or read: SSH connection, authentication or host key failure."""


class LimitError(SievertError):
    """An input is over one of the bounds in `sievert.limits`; names the input and the variable."""

    def __init__(self, where: str, what: str, limit: int, unit: str, variable: str) -> None:
        super().__init__(
            f"{where}: {what} is over the limit of {limit:,} {unit} (set {variable} to raise it)"
        )
        self.where = where
        self.what = what
        self.limit = limit
        self.unit = unit
        self.variable = variable

    def at(self, where: str) -> LimitError:
        """The same error naming another input (a caller that knows the file and line)."""
        return LimitError(where, self.what, self.limit, self.unit, self.variable)


class OutputError(SievertError):
    """An output file, device or directory cannot be written (full disk, read-only, refused)."""


class ServerError(SievertError):
    """A Sievert server refused a request, failed, or is not a Sievert server."""

"""Every bound Sievert puts on untrusted input, in one place (documented in docs/limits.md).

Each `Limit` has a default and an environment variable that overrides it. Crossing one raises
`sievert.errors.LimitError` (exit 3) with one line naming the input, the limit and the variable.
The bounded readers live beside this table and are what every stage (and the service's uploads)
uses to read JSON, YAML and archives from outside:

- `sievert.limits.jsonload.loads` / `load_file`: size- and depth-checked JSON,
- `sievert.limits.yamlload.load` / `compose`: size-, depth- and alias-checked YAML,
- `sievert.limits.archive.ZipReader` / `capped_stream`: member count, size and ratio of archives.
"""

from __future__ import annotations

import os

import msgspec

from sievert.errors import LimitError, UsageError

KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB


class Limit(msgspec.Struct, frozen=True):
    """One bound: what it limits, its unit, its default and the variable that overrides it."""

    what: str
    unit: str
    default: int
    variable: str
    doc: str

    def value(self) -> int:
        """The bound in force: `$variable` when set (a positive integer), else the default."""
        text = os.environ.get(self.variable, "").strip()
        if not text:
            return self.default
        if not text.isdecimal() or int(text) <= 0:
            raise UsageError(f"${self.variable} must be a positive integer, not {text!r}")
        return int(text)

    def error(self, where: str, bound: int | None = None) -> LimitError:
        """The LimitError saying `where` crossed this bound."""
        limit = self.value() if bound is None else bound
        return LimitError(where, self.what, limit, self.unit, self.variable)

    def check(self, amount: int, where: str) -> None:
        """Raise LimitError when amount is over the bound."""
        bound = self.value()
        if amount > bound:
            raise self.error(where, bound)


JSON_SIZE = Limit(
    "JSON document size", "bytes", 256 * MIB, "SIEVERT_MAX_JSON_SIZE",
    "bytes of one JSON document (manifest, index, config, SBOM, VEX, policy, feed file, record)",
)  # fmt: skip
JSON_DEPTH = Limit(
    "JSON nesting depth", "levels", 200, "SIEVERT_MAX_JSON_DEPTH",
    "nested arrays and objects in one JSON document",
)  # fmt: skip
YAML_SIZE = Limit(
    "YAML document size", "bytes", 64 * MIB, "SIEVERT_MAX_YAML_SIZE",
    "bytes of one YAML document (policy, .sievert.yaml, Dockerfile rule config, lockfiles)",
)  # fmt: skip
YAML_DEPTH = Limit(
    "YAML nesting depth", "levels", 100, "SIEVERT_MAX_YAML_DEPTH",
    "nested sequences and mappings in one YAML document",
)  # fmt: skip
YAML_ALIASES = Limit(
    "YAML alias count", "aliases", 100, "SIEVERT_MAX_YAML_ALIASES",
    "aliases (`*name`) in one YAML document; recursive aliases are always refused",
)  # fmt: skip
YAML_NODES = Limit(
    "YAML expanded size", "nodes", 2_000_000, "SIEVERT_MAX_YAML_NODES",
    "nodes of one YAML document once its aliases are expanded (the billion-laughs bound)",
)  # fmt: skip
DOCKERFILE_SIZE = Limit(
    "Dockerfile size", "bytes", 4 * MIB, "SIEVERT_MAX_DOCKERFILE_SIZE",
    "bytes of one Dockerfile",
)  # fmt: skip
DOCKERFILE_LINE = Limit(
    "Dockerfile instruction length", "bytes", 1 * MIB, "SIEVERT_MAX_DOCKERFILE_LINE",
    "characters of one instruction once its continuation lines and heredocs are joined",
)  # fmt: skip
DOCKERFILE_INSTRUCTIONS = Limit(
    "Dockerfile instruction count", "instructions", 10_000, "SIEVERT_MAX_DOCKERFILE_INSTRUCTIONS",
    "instructions in one Dockerfile (heredocs included)",
)  # fmt: skip
SUBSTITUTION_DEPTH = Limit(
    "variable substitution depth", "levels", 32, "SIEVERT_MAX_SUBSTITUTION_DEPTH",
    "nested `${a:-${b:-...}}` substitutions in one Dockerfile word",
)  # fmt: skip
POLICY_DEPTH = Limit(
    "policy nesting depth", "levels", 32, "SIEVERT_MAX_POLICY_DEPTH",
    "nested `all`/`any`/`not` conditions in one policy rule",
)  # fmt: skip
POLICY_SIZE = Limit(
    "policy size", "bytes", 8 * MIB, "SIEVERT_MAX_POLICY_SIZE",
    "bytes of one policy file (YAML or JSON)",
)  # fmt: skip
ARCHIVE_MEMBERS = Limit(
    "archive member count", "members", 2_000_000, "SIEVERT_MAX_ARCHIVE_MEMBERS",
    "files in one feed archive (OSV all.zip, cvelistV5 zip)",
)  # fmt: skip
ARCHIVE_SIZE = Limit(
    "archive uncompressed size", "bytes", 16 * GIB, "SIEVERT_MAX_ARCHIVE_SIZE",
    "bytes one feed archive (zip, gzip) may expand to in total",
)  # fmt: skip
ARCHIVE_RATIO = Limit(
    "archive compression ratio", "to 1", 200, "SIEVERT_MAX_ARCHIVE_RATIO",
    "uncompressed to compressed size of one feed archive or member over 1 MiB (zip bombs)",
)  # fmt: skip

TEMPLATE_SIZE = Limit(
    "template size", "bytes", 1 * MIB, "SIEVERT_MAX_TEMPLATE_SIZE",
    "bytes of one `--template` file (and of each file it includes)",
)  # fmt: skip
TEMPLATE_OUTPUT = Limit(
    "template output", "bytes", 256 * MIB, "SIEVERT_MAX_TEMPLATE_OUTPUT",
    "bytes a template may render, and the size of any string or list it builds with `*`",
)  # fmt: skip

LAYER_SIZE = Limit(
    "layer size", "bytes", 64 * GIB, "SIEVERT_MAX_LAYER_SIZE",
    "uncompressed bytes of one image layer",
)  # fmt: skip

ALL: tuple[Limit, ...] = (
    JSON_SIZE, JSON_DEPTH, YAML_SIZE, YAML_DEPTH, YAML_ALIASES, YAML_NODES,
    DOCKERFILE_SIZE, DOCKERFILE_LINE, DOCKERFILE_INSTRUCTIONS, SUBSTITUTION_DEPTH,
    POLICY_DEPTH, POLICY_SIZE, ARCHIVE_MEMBERS, ARCHIVE_SIZE, ARCHIVE_RATIO,
    TEMPLATE_SIZE, TEMPLATE_OUTPUT, LAYER_SIZE,
)  # fmt: skip
"""Every limit, in the order docs/limits.md lists them."""


def read_capped(path: os.PathLike[str] | str, limit: Limit, where: str = "") -> bytes:
    """A file's bytes, refusing (LimitError) more than the limit without reading past it.

    Works for pipes and devices (`/dev/zero`) as well as regular files.
    """
    bound = limit.value()
    with open(path, "rb") as handle:
        data = handle.read(bound + 1)
    if len(data) > bound:
        raise limit.error(where or os.fspath(path), bound)
    return data

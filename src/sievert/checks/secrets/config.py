"""The `--secret-config` file: a YAML mapping of allow_paths, disabled_rules and max_size."""

from __future__ import annotations

from pathlib import Path

import yaml

from sievert.checks.secrets.engine import SecretConfig
from sievert.errors import UsageError
from sievert.limits import YAML_SIZE, read_capped, yamlload
from sievert.terminal import one_line

KEYS = ("allow_paths", "disabled_rules", "max_size")


def load_secret_config(path: Path) -> SecretConfig:
    """The configuration in a YAML file; UsageError naming the file and the bad key otherwise."""
    where = f"--secret-config {path}"
    try:
        doc = yamlload.load(read_capped(path, YAML_SIZE, where), where)
    except (OSError, yaml.YAMLError) as exc:
        raise UsageError(f"{where}: {one_line(str(exc))}") from exc
    return secret_config_from({} if doc is None else doc, where)


def secret_config_from(doc: object, where: str) -> SecretConfig:
    """A SecretConfig from parsed YAML/JSON data; UsageError on unknown keys or wrong types."""
    if not isinstance(doc, dict) or set(doc) - set(KEYS):
        raise UsageError(f"{where}: expected a mapping of {', '.join(KEYS)}")
    default = SecretConfig()
    max_size = doc.get("max_size", default.max_size)
    if isinstance(max_size, bool) or not isinstance(max_size, int) or max_size <= 0:
        raise UsageError(f"{where}: max_size must be a positive number of bytes")
    return SecretConfig(
        allow_paths=_strings(doc, "allow_paths", default.allow_paths, where),
        disabled_rules=_strings(doc, "disabled_rules", (), where),
        max_size=max_size,
    )


def _strings(
    doc: dict[object, object], key: str, default: tuple[str, ...], where: str
) -> tuple[str, ...]:
    value = doc.get(key, list(default))
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UsageError(f"{where}: {key} must be a list of strings")
    return tuple(value)

"""The user's check configuration: `.sievert.yaml` beside the Dockerfile, or `--config FILE`.

    disable: [SV-DF-029]              # rules whose findings are suppressed ('config')
    severity: {SV-DF-003: medium}     # re-rate rules
    allowed_registries: [docker.io, gcr.io/distroless]
    allowed_images: [python, "node:*", "mcr.microsoft.com/dotnet/*"]

Unknown keys, unknown severities and malformed YAML raise ParseError naming the file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import msgspec
import yaml

from sievert.errors import ParseError
from sievert.limits import YAML_SIZE, read_capped, yamlload
from sievert.model.severity import Severity

CONFIG_NAME = ".sievert.yaml"
KEYS = frozenset({"disable", "severity", "allowed_registries", "allowed_images"})
_RULE_ID = re.compile(r"SV-[A-Z]+-\d{3}")


class CheckConfig(msgspec.Struct, frozen=True):
    """What the user changed: disabled rules, re-rated severities, the base-image allow-list."""

    disabled: frozenset[str] = frozenset()
    severities: Mapping[str, Severity] = msgspec.field(default_factory=dict)
    allowed_registries: tuple[str, ...] = ()
    allowed_images: tuple[str, ...] = ()
    source: str = ""
    """The file it was read from ('' for the defaults)."""


def load_config(path: Path) -> CheckConfig:
    """The configuration in a YAML file; ParseError when it is malformed."""
    try:
        data = yamlload.load(read_capped(path, YAML_SIZE), str(path))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ParseError(f"{path}: cannot read the configuration: {exc}") from exc
    return config_from(data or {}, str(path))


def config_from(data: object, source: str) -> CheckConfig:
    """Validate the parsed YAML document of a configuration."""
    if not isinstance(data, dict):
        raise ParseError(f"{source}: the configuration must be a mapping")
    unknown = set(data) - KEYS
    if unknown:
        raise ParseError(
            f"{source}: unknown configuration keys: {', '.join(sorted(map(str, unknown)))}"
        )
    severities = data.get("severity") or {}
    if not isinstance(severities, dict):
        raise ParseError(f"{source}: 'severity' must map rule ids to severities")
    rated: dict[str, Severity] = {}
    for rule_id, severity in severities.items():
        try:
            rated[_rule_id(rule_id, source)] = Severity(severity)
        except ValueError:
            raise ParseError(f"{source}: {rule_id}: unknown severity {severity!r}") from None
    return CheckConfig(
        disabled=frozenset(_rule_id(r, source) for r in _strings(data, "disable", source)),
        severities=rated,
        allowed_registries=_strings(data, "allowed_registries", source),
        allowed_images=_strings(data, "allowed_images", source),
        source=source,
    )


def _strings(data: dict[Any, Any], key: str, source: str) -> tuple[str, ...]:
    value = data.get(key) or []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ParseError(f"{source}: {key!r} must be a list of strings")
    return tuple(value)


def _rule_id(value: object, source: str) -> str:
    if not isinstance(value, str) or not _RULE_ID.fullmatch(value):
        raise ParseError(f"{source}: {value!r} is not a rule id like SV-DF-001")
    return value

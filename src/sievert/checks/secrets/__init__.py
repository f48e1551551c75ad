"""Secret scanning: SECRET_RULES, the per-file engine (`scan_text`) and the layer scanner."""

from sievert.checks.secrets.engine import (
    DEFAULT_ALLOW_PATHS,
    SecretConfig,
    SecretEngine,
    SecretMatch,
    scan_text,
)
from sievert.checks.secrets.rules import RULES_BY_ID, SECRET_RULES
from sievert.checks.secrets.scanner import SecretScanner

__all__ = [
    "DEFAULT_ALLOW_PATHS",
    "RULES_BY_ID",
    "SECRET_RULES",
    "SecretConfig",
    "SecretEngine",
    "SecretMatch",
    "SecretScanner",
    "scan_text",
]

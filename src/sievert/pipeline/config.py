"""`sievert config`: check the Dockerfiles under a path and gate their findings."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from sievert.errors import TargetNotFoundError
from sievert.model.checks import CheckFinding
from sievert.pipeline.gate import Decision, Gate
from sievert.report.config.common import ConfigReport

if TYPE_CHECKING:
    from sievert.checks.dockerfile.config import CheckConfig


class ConfigOptions(msgspec.Struct, frozen=True):
    """How to check Dockerfiles: one rule configuration for all, and what to show."""

    config: Path | None = None
    """Rule configuration for every file (default: `.sievert.yaml` beside each Dockerfile)."""
    show_suppressed: bool = False
    """Also list the findings inline comments or the configuration suppressed."""


def check_dockerfiles(
    path: Path, options: ConfigOptions | None = None, gate: Gate | None = None
) -> ConfigReport:
    """Every Dockerfile at `path` (a file, or every one under a folder) checked, the findings
    filtered by the gate's severities."""
    from sievert.checks.dockerfile.config import load_config
    from sievert.checks.dockerfile.engine import analyze_file, discover
    from sievert.checks.dockerfile.rules import DOCKERFILE_RULES

    opts = options or ConfigOptions()
    if not path.exists():
        raise TargetNotFoundError(f"{path}: no such file or directory")
    files = discover(path)
    shared = load_config(opts.config) if opts.config else None
    loaded: dict[Path, CheckConfig] = {}
    findings: list[CheckFinding] = []
    for file in files:
        findings += analyze_file(file, shared or _config_beside(file, path, loaded))
    wanted = gate.options.severities if gate is not None else None
    if wanted is not None:
        findings = [f for f in findings if f.severity in wanted]
    shown = [f for f in findings if opts.show_suppressed or not f.suppressed_by]
    return ConfigReport(
        files=tuple(str(f) for f in files),
        findings=tuple(shown),
        rules=tuple(entry.rule for entry in DOCKERFILE_RULES),
        suppressed=len(findings) - len(shown),
        active_severities=tuple(f.severity for f in findings if not f.suppressed_by),
    )


def decide_config(report: ConfigReport, gate: Gate) -> Decision:
    """Fail when an active finding at or above `--fail-on` remains."""
    threshold = gate.options.fail_on
    if threshold is not None and any(s >= threshold for s in report.active_severities):
        return Decision(True, (f"findings at or above {threshold} remain (--fail-on)",))
    return Decision(False)


def _config_beside(file: Path, root: Path, loaded: dict[Path, CheckConfig]) -> CheckConfig:
    """`.sievert.yaml` in the Dockerfile's folder, else in the searched folder, else defaults."""
    from sievert.checks.dockerfile.config import CONFIG_NAME, CheckConfig, load_config

    for folder in (file.parent, root if root.is_dir() else file.parent):
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            if candidate not in loaded:
                loaded[candidate] = load_config(candidate)
            return loaded[candidate]
    return CheckConfig()

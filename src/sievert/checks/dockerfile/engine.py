"""Run the Dockerfile rules: config re-rating and disabling, inline suppressions, file discovery.

Inline suppression: a comment `# sievert:ignore=SV-DF-001,SV-DF-002 reason` in the comment
block just before an instruction (or inside its continuation lines) suppresses those rules'
findings on that instruction; `# sievert:ignore=all reason` suppresses every rule there. Before
a FROM it covers the findings reported on the FROM line, which include the stage-wide ones
(no USER, no HEALTHCHECK); it does not cover the other instructions of the stage.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from msgspec.structs import replace

from sievert.checks.dockerfile.config import CheckConfig
from sievert.checks.dockerfile.parser import parse_dockerfile, read_bytes
from sievert.checks.dockerfile.rules import DOCKERFILE_RULES, invalid
from sievert.checks.dockerfile.syntax import Dockerfile, Instruction, Problem
from sievert.errors import ParseError
from sievert.model.checks import CheckFinding

_LINE = re.compile(r":(\d+): ")
"""The line in a ParseError message: `path:12: message`."""
_IGNORE = re.compile(r"#\s*sievert:ignore=([A-Za-z0-9,*-]+)\s*(.*)$")
DOCKERFILE_GLOBS = (
    "Dockerfile",
    "Containerfile",
    "*.dockerfile",
    "*.Dockerfile",
    "Dockerfile.*",
    "Containerfile.*",
)
SKIPPED_DIRS = frozenset({".git", "node_modules", ".venv", "__pycache__", ".hg", ".svn"})


def analyze(dockerfile: Dockerfile, config: CheckConfig | None = None) -> list[CheckFinding]:
    """Every finding of every rule, ordered by line; suppressed ones kept with `suppressed_by`."""
    config = config or CheckConfig()
    suppressions = inline_suppressions(dockerfile)
    findings: dict[tuple[str, int, str], CheckFinding] = {}
    for entry in DOCKERFILE_RULES:
        for found in entry.check(dockerfile, config):
            found = _configured(found, config, suppressions)
            findings.setdefault((found.rule.id, found.region.start_line, found.message), found)
    return sorted(findings.values(), key=lambda f: (f.region.start_line, f.rule.id))


def _configured(
    found: CheckFinding, config: CheckConfig, suppressions: dict[int, dict[str, str]]
) -> CheckFinding:
    rule_id = found.rule.id
    if rule_id in config.severities:
        found = replace(found, severity=config.severities[rule_id])
    inline = suppressions.get(found.region.start_line, {})
    reason = inline.get(rule_id, inline.get("all"))
    if reason is not None:
        return replace(found, suppressed_by=f"inline: {reason}" if reason else "inline")
    if rule_id in config.disabled:
        return replace(found, suppressed_by=f"config: {config.source or 'disabled'}")
    return found


def inline_suppressions(dockerfile: Dockerfile) -> dict[int, dict[str, str]]:
    """Per instruction start line: rule id (or 'all') -> reason."""
    table: dict[int, dict[str, str]] = {}
    for instruction in dockerfile.instructions():
        for rule_id, reason in _ignores(instruction):
            table.setdefault(instruction.start_line, {})[rule_id] = reason
    return table


def _ignores(instruction: Instruction) -> Iterator[tuple[str, str]]:
    for _, comment in instruction.comments:
        match = _IGNORE.match(comment)
        if match is None:
            continue
        for rule_id in filter(None, match.group(1).split(",")):
            yield ("all" if rule_id.lower() in ("all", "*") else rule_id.upper()), match.group(2)


def is_dockerfile(path: Path) -> bool:
    """The file name is one a Dockerfile goes by."""
    return any(fnmatch.fnmatchcase(path.name, glob) for glob in DOCKERFILE_GLOBS)


def discover(root: Path) -> list[Path]:
    """`root` itself when a file, else every Dockerfile under it (sorted, skipping .git...)."""
    if root.is_file():
        return [root]
    if not root.is_dir():
        return []
    found: list[Path] = []
    for path in sorted(root.iterdir()):
        if path.is_dir() and not path.is_symlink():
            if path.name not in SKIPPED_DIRS:
                found += discover(path)
        elif path.is_file() and is_dockerfile(path):
            found.append(path)
    return found


def analyze_file(
    path: Path, config: CheckConfig | None = None, display: str = ""
) -> list[CheckFinding]:
    """Read, parse and analyse one Dockerfile; a file that cannot be checked is an SV-DF-033."""
    name = display or str(path)
    try:
        data = read_bytes(path, name)
    except OSError as exc:
        return _unusable(name, 1, f"cannot read the file: {exc.strerror or exc}", config)
    try:
        text = data.decode("utf-8")
        decoding: Problem | None = None
    except UnicodeDecodeError as exc:
        text = data.decode("utf-8", errors="replace")
        line = data.count(b"\n", 0, exc.start) + 1
        message = f"not UTF-8 text (byte 0x{data[exc.start]:02x}); read with replacement characters"
        decoding = Problem(line, line, message)
    try:
        dockerfile = parse_dockerfile(text, name)
    except ParseError as exc:
        match = _LINE.search(str(exc))
        line, message = (int(match.group(1)), str(exc)[match.end() :]) if match else (1, str(exc))
        return _unusable(name, line, message, config)
    if decoding is not None:
        problems = sorted((*dockerfile.problems, decoding), key=lambda p: p.start_line)
        dockerfile = replace(dockerfile, problems=tuple(problems))
    return analyze(dockerfile, config)


def _unusable(name: str, line: int, message: str, config: CheckConfig | None) -> list[CheckFinding]:
    """The one finding of a file the rules cannot read, configured like the others."""
    found = invalid.problem_finding(name, Problem(line, line, message))
    return [_configured(found, config or CheckConfig(), {})]


def active(findings: Iterable[CheckFinding]) -> list[CheckFinding]:
    """The findings that are not suppressed."""
    return [f for f in findings if not f.suppressed_by]

"""Find secrets in one file's bytes: skip, prefilter, match, redact.

`scan_text(path, data)` is the whole pipeline for one file:

1. skip files over the size bound, binary files (a NUL byte in the first 8 KiB) and allow-listed
   paths (`SecretConfig.allow_paths`, default `DEFAULT_ALLOW_PATHS`);
2. one combined search for every rule's keywords (Aho-Corasick over the raw bytes);
3. only the rules whose keyword occurred (and whose path filter matches) run their regex;
4. a match is dropped when its secret is a known example or placeholder, or below the rule's
   entropy; two rules matching the same text report once (the earlier rule in SECRET_RULES);
5. the line is returned with every secret on it masked: never the secret itself.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

import ahocorasick_rs
import msgspec

from sievert.checks.secrets.rule import SecretRule, shannon_entropy
from sievert.checks.secrets.rules import RULES_VERSION, SECRET_RULES
from sievert.source.view import compile_globs

MAX_FILE_SIZE = 10 * 1024 * 1024
"""Files larger than this are not read for secrets."""
BINARY_PROBE = 8192
"""A NUL byte in this many leading bytes marks a file as binary (skipped)."""
MAX_LINE = 160
"""Redacted lines are cut to this many characters around the secret."""

DEFAULT_ALLOW_PATHS = (
    "usr/lib/**",
    "usr/lib64/**",
    "usr/libexec/**",
    "usr/share/**",
    "usr/include/**",
    "usr/local/lib/python3*/**",
    "usr/local/go/**",
    "**/nsswitch.conf",
    "**/*.dist-info/**",
    "**/*.egg-info/**",
    "**/site-packages/**/tests/**",
    "**/site-packages/**/test/**",
    "**/node_modules/**/test/**",
    "**/node_modules/**/tests/**",
    "**/node_modules/**/__tests__/**",
    "**/testdata/**",
)
"""Paths skipped by default (like trivy's built-in allow rules): the distribution's and language
runtimes' own trees (usr/lib, usr/share, the Python and Go installs), package metadata (READMEs
with example tokens) and the test suites of installed libraries (they ship sample keys). Every
other file is read: /etc, /root, /home, /app, /opt, /srv, /usr/local/bin, ... A
`--secret-config` file can replace this list."""

KNOWN_EXAMPLES = re.compile(r"(?i:example|placeholder)")
"""A match containing these words is a documented example (AWS' AKIAIOSFODNN7EXAMPLE, a URL
on example.com), ignored by every rule as trivy does."""


class SecretConfig(msgspec.Struct, frozen=True):
    """What the secret scan skips: paths, rules, sizes (a `--secret-config` file sets these)."""

    allow_paths: tuple[str, ...] = DEFAULT_ALLOW_PATHS
    disabled_rules: tuple[str, ...] = ()
    max_size: int = MAX_FILE_SIZE

    def digest(self) -> str:
        """A short digest of the rules version and this configuration (a cache-key part)."""
        text = "\n".join(
            [RULES_VERSION, str(self.max_size), *self.allow_paths, "--", *self.disabled_rules]
        )
        return hashlib.sha256(text.encode()).hexdigest()[:16]


class SecretMatch(msgspec.Struct, frozen=True):
    """One secret in a file: rule, lines, and the line with the secret masked."""

    rule_id: str
    start_line: int
    end_line: int
    redacted: str


class _Hit(msgspec.Struct, frozen=True):
    rule: SecretRule
    start: int
    end: int
    secret_start: int
    secret_end: int


class SecretEngine:
    """Compiled rules and configuration; `scan` is pure and thread-safe."""

    def __init__(
        self, rules: Sequence[SecretRule] = SECRET_RULES, config: SecretConfig | None = None
    ) -> None:
        self.config = config if config is not None else SecretConfig()
        disabled = set(self.config.disabled_rules)
        self.rules = [r for r in rules if r.id not in disabled]
        self._order = {r.id: n for n, r in enumerate(self.rules)}
        self._by_keyword: dict[bytes, list[SecretRule]] = {}
        for rule in self.rules:
            for keyword in rule.keywords if not rule.paths else ():
                self._by_keyword.setdefault(keyword.encode(), []).append(rule)
        self._keywords = list(self._by_keyword)
        self._prefilter = ahocorasick_rs.BytesAhoCorasick(self._keywords)
        self._skip = compile_globs(self.config.allow_paths)
        self._scoped = [(r, compile_globs(r.paths)) for r in self.rules if r.paths]

    def scan(self, path: str, data: bytes) -> list[SecretMatch]:
        """The secrets in one file (path relative to the image root), redacted."""
        path = path.lstrip("/")
        if len(data) > self.config.max_size or b"\0" in data[:BINARY_PROBE]:
            return []
        if self._skip.match(path):
            return []
        rules = self._candidates(path, data)
        if not rules:
            return []
        text = data.decode("utf-8", "replace")
        hits = _dedupe(h for rule in rules for h in _rule_hits(rule, text))
        return _redact(text, hits)

    def _candidates(self, path: str, data: bytes) -> list[SecretRule]:
        """Rules worth running: one combined keyword search for the rules of every path, plain
        keyword tests for the few rules scoped to this path (e.g. `.netrc`)."""
        found = {
            self._keywords[i]
            for i, _, _ in self._prefilter.find_matches_as_indexes(data, overlapping=True)
        }
        wanted = {r.id: r for k in found for r in self._by_keyword[k]}
        for rule, paths in self._scoped:
            if paths.match(path) and any(k.encode() in data for k in rule.keywords):
                wanted[rule.id] = rule
        return sorted(wanted.values(), key=lambda r: self._order[r.id])


def _rule_hits(rule: SecretRule, text: str) -> Iterable[_Hit]:
    if rule.context is not None and not rule.context.search(text):
        return
    for match in rule.regex.finditer(text):
        group = "secret" if "secret" in rule.regex.groupindex else 0
        secret = match.group(group)
        if not secret or KNOWN_EXAMPLES.search(match.group(0)) or not _plausible(rule, secret):
            continue
        yield _Hit(rule, match.start(), match.end(), match.start(group), match.end(group))


def _plausible(rule: SecretRule, secret: str) -> bool:
    if rule.allow is not None and rule.allow.search(secret):
        return False
    return rule.entropy <= 0 or shannon_entropy(secret) >= rule.entropy


def _dedupe(hits: Iterable[_Hit]) -> list[_Hit]:
    """Drop a hit whose secret overlaps one kept already (rules arrive in preference order)."""
    kept: list[_Hit] = []
    for hit in hits:
        if not any(
            hit.secret_start < k.secret_end and k.secret_start < hit.secret_end for k in kept
        ):
            kept.append(hit)
    return sorted(kept, key=lambda h: (h.start, h.rule.id))


def _redact(text: str, hits: list[_Hit]) -> list[SecretMatch]:
    spans = [(h.secret_start, h.secret_end) for h in hits]
    out: list[SecretMatch] = []
    for hit in hits:
        line_start = text.rfind("\n", 0, hit.start) + 1
        line_end = text.find("\n", hit.start)
        line_end = len(text) if line_end < 0 else line_end
        start_line = text.count("\n", 0, hit.start) + 1
        end_line = start_line + text.count("\n", hit.start, max(hit.start, hit.end - 1))
        line = _masked_line(text, line_start, line_end, spans)
        if hit.secret_start >= line_end:  # the secret starts below (a PEM block's body)
            line += " " + "*" * 8
        anchor = max(hit.secret_start, hit.start) - line_start
        out.append(SecretMatch(hit.rule.id, start_line, end_line, _window(line, anchor)))
    return out


def _masked_line(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> str:
    chars = list(text[start:end])
    for s, e in spans:
        lo, hi = max(s, start), min(e, end)
        if lo >= hi:
            continue
        keep = _visible_prefix(e - s) if lo == s else 0
        for i in range(lo + keep, hi):
            chars[i - start] = "*"
    return "".join(chars).rstrip("\r")


def _visible_prefix(length: int) -> int:
    """Characters of a secret left readable: 4 of a long token (its kind), none of a short one."""
    return 4 if length >= 20 else 0


def _window(line: str, anchor: int) -> str:
    if len(line) <= MAX_LINE:
        return line
    start = max(0, min(anchor - MAX_LINE // 4, len(line) - MAX_LINE))
    cut = line[start : start + MAX_LINE]
    return ("…" if start else "") + cut + ("…" if start + MAX_LINE < len(line) else "")


@lru_cache(maxsize=8)
def _engine(config: SecretConfig) -> SecretEngine:
    return SecretEngine(config=config)


def scan_text(path: str, data: bytes, config: SecretConfig | None = None) -> list[SecretMatch]:
    """The redacted secrets in one file, with the built-in rules."""
    return _engine(config or SecretConfig()).scan(path, data)

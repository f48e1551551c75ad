"""Image checks: pure functions over ImageMetadata and the squashed FileView.

`check_image(metadata, view, config)` runs every check of CHECKS and returns CheckFindings in
rule order. Config-level findings (user, ports, env, labels) have an empty region path; history
findings carry the layer their history line created (-1 for an empty layer); file findings the
image path and the layer that last wrote it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator

import msgspec

from sievert.checks.image import rules as r
from sievert.checks.secrets.engine import scan_text
from sievert.checks.secrets.rules import PLACEHOLDER
from sievert.model import FileRecord, ImageMetadata
from sievert.model.checks import CheckFinding, Region, Rule
from sievert.source.view import FileView

CAPTURE_GLOBS = ("etc/passwd", "etc/shadow")
"""Files the checks read: the pipeline captures them when the config scanner is on."""
MAX_PATH_FINDINGS = 50
"""World-writable and setuid findings listed one by one; past this, one finding counts the rest."""


class ImageCheckConfig(msgspec.Struct, frozen=True):
    """Tunable parts of the image checks."""

    admin_ports: frozenset[int] = frozenset({21, 22, 23, 3389, 5800, 5900})
    daemon_ports: frozenset[int] = frozenset({2375, 2376, 2379, 2380, 10250, 10255})
    recommended_labels: tuple[str, ...] = (
        "org.opencontainers.image.source",
        "org.opencontainers.image.version",
    )
    base_layers: int | None = None
    """Layers that belong to the base image; None: guessed from the history (see
    `base_layer_count`)."""
    disabled_rules: tuple[str, ...] = ()


def _finding(rule: Rule, message: str, region: Region, instruction: str = "") -> CheckFinding:
    return CheckFinding(rule, message, region, rule.severity, instruction)


CONFIG = Region("")


# configuration -----------------------------------------------------------------------------
def check_user(
    meta: ImageMetadata, view: FileView, cfg: ImageCheckConfig
) -> Iterator[CheckFinding]:
    """SV-IMG-001: no USER, or USER root / 0."""
    user = meta.user.strip()
    name = user.split(":", 1)[0]
    if name in ("", "root", "0"):
        shown = f"USER is {user!r}" if user else "no USER is set"
        yield _finding(r.ROOT_USER, f"The image runs as root ({shown}).", CONFIG)


def check_ports(
    meta: ImageMetadata, view: FileView, cfg: ImageCheckConfig
) -> Iterator[CheckFinding]:
    """SV-IMG-002/003: EXPOSE of remote administration or control-plane ports."""
    for spec in meta.exposed_ports:
        port_text = spec.split("/", 1)[0]
        if not port_text.isdecimal():
            continue
        port = int(port_text)
        if port in cfg.daemon_ports:
            yield _finding(r.DAEMON_PORT, f"Port {spec} is exposed.", CONFIG, f"EXPOSE {spec}")
        elif port in cfg.admin_ports:
            yield _finding(r.ADMIN_PORT, f"Port {spec} is exposed.", CONFIG, f"EXPOSE {spec}")


SECRET_NAME = re.compile(
    r"(?i)(?:^|_)(?:PASSWORD|PASSWD|PASS|PWD|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY"
    r"|CREDENTIALS?|AUTH)(?:_|$)"
)
NOT_A_SECRET_NAME = re.compile(r"(?i)_(?:FILE|PATH|DIR|HOST|USER|NAME|LENGTH|URL|ENABLED)$")


def secret_like(name: str, value: str) -> bool:
    """A variable named like a secret (PASSWORD, TOKEN, ...) with a literal value."""
    if not SECRET_NAME.search(name) or NOT_A_SECRET_NAME.search(name):
        return False
    value = value.strip().strip("'\"")
    return bool(value) and not value.startswith("/") and not PLACEHOLDER.search(value)


def mask(value: str) -> str:
    """A value with every character masked (its length kept, capped at 12)."""
    return "*" * min(len(value), 12)


def check_env(meta: ImageMetadata, view: FileView, cfg: ImageCheckConfig) -> Iterator[CheckFinding]:
    """SV-IMG-004/005: secret-like names and known credential formats in Env."""
    for item in meta.env:
        name, _, value = item.partition("=")
        matches = scan_text(f"env/{name}", item.encode())
        for match in matches:
            yield _finding(
                r.SECRET_ENV_VALUE,
                f"Env {name} holds a credential ({match.rule_id}): {match.redacted}",
                CONFIG,
            )
        if not matches and secret_like(name, value):
            yield _finding(
                r.SECRET_ENV_NAME, f"Env {name}={mask(value)} is set in the image.", CONFIG
            )


# history -----------------------------------------------------------------------------------
def history_layers(meta: ImageMetadata) -> list[tuple[str, int]]:
    """(created_by, layer index or -1 for an empty layer) for every history entry."""
    out: list[tuple[str, int]] = []
    layer = 0
    for created_by, empty in meta.history:
        out.append((created_by, -1 if empty else layer))
        layer += 0 if empty else 1
    return out


BUILD_ARGS = re.compile(r"^\|\d+\s+(?P<args>.*?)\s+(?:/bin/sh|/bin/bash|sh|bash)\s+-c\b")
PIPE = re.compile(
    r"\b(?:curl|wget)\b[^|;&]*\|\s*(?:sudo\s+)?(?:env\s+)?(?:/usr)?(?:/bin/)?(?:ba|da|z|k|a)?sh\b"
)
ADD_URL = re.compile(r"\bADD\s+(?:--(?!checksum)\S+\s+)*https?://")


def check_history(
    meta: ImageMetadata, view: FileView, cfg: ImageCheckConfig
) -> Iterator[CheckFinding]:
    """SV-IMG-006/007/008: credentials, piped downloads and remote ADDs in history lines."""
    for n, (line, layer) in enumerate(history_layers(meta)):
        region = Region(f"history[{n}]", layer_index=layer)
        shown = " ".join(line.split())
        for secret in _history_secrets(line):
            yield _finding(r.SECRET_HISTORY, f"History line {n}: {secret}", region)
        if PIPE.search(line):
            yield _finding(
                r.PIPE_TO_SHELL,
                f"History line {n} pipes a download into a shell.",
                region,
                shown[:200],
            )
        if ADD_URL.search(line):
            yield _finding(
                r.ADD_REMOTE, f"History line {n} adds a remote URL.", region, shown[:200]
            )


def _history_secrets(line: str) -> Iterator[str]:
    for match in scan_text("history", line.encode()):
        yield f"{match.rule_id}: {match.redacted}"
    args = BUILD_ARGS.match(line)
    for arg in args.group("args").split() if args else ():
        name, _, value = arg.partition("=")
        if secret_like(name, value):
            yield f"build argument {name}={mask(value)}"


def check_healthcheck(
    meta: ImageMetadata, view: FileView, cfg: ImageCheckConfig
) -> Iterator[CheckFinding]:
    """SV-IMG-009: no HEALTHCHECK in the history (nothing when the image has no history)."""
    if meta.history and not any("HEALTHCHECK" in line for line, _ in meta.history):
        yield _finding(r.NO_HEALTHCHECK, "No HEALTHCHECK instruction in the image history.", CONFIG)


def check_labels(
    meta: ImageMetadata, view: FileView, cfg: ImageCheckConfig
) -> Iterator[CheckFinding]:
    """SV-IMG-010: recommended labels absent."""
    present = {key for key, _ in meta.labels}
    missing = [label for label in cfg.recommended_labels if label not in present]
    if missing:
        yield _finding(r.MISSING_LABELS, f"Labels missing: {', '.join(missing)}.", CONFIG)


# files -------------------------------------------------------------------------------------
CMD_LINE = re.compile(r"\b(?:CMD|ENTRYPOINT)\b")


def base_layer_count(meta: ImageMetadata) -> int:
    """Layers of the base image: those before the last CMD/ENTRYPOINT history entry that later
    layers follow (a base image ends with one), else the first layer alone."""
    boundary = 0
    layers = 0
    for line, empty in meta.history:
        if not empty:
            layers += 1
        elif CMD_LINE.search(line):
            boundary = layers
    if 0 < boundary < layers:
        return min(boundary, len(meta.layers))
    return min(1, len(meta.layers))


def _layer_text(meta: ImageMetadata, index: int) -> str:
    if 0 <= index < len(meta.layers):
        created = " ".join(meta.layers[index].created_by.split())[:80]
        return f"layer {index}" + (f" ({created})" if created else "")
    return f"layer {index}"


def check_setuid(
    meta: ImageMetadata, view: FileView, cfg: ImageCheckConfig
) -> Iterator[CheckFinding]:
    """SV-IMG-011: setuid/setgid files written by layers above the base image."""
    base = cfg.base_layers if cfg.base_layers is not None else base_layer_count(meta)
    found = sorted(
        (rec for rec in view.records() if rec.kind == "file" and rec.mode & 0o6000),
        key=lambda rec: rec.path,
    )
    added = [rec for rec in found if rec.layer_index >= base]
    yield from _per_path(
        r.SETUID,
        added,
        lambda rec: (
            f"/{rec.path} is {_special_bits(rec.mode)} (mode {rec.mode & 0o7777:04o}), "
            f"added by {_layer_text(meta, rec.layer_index)}."
        ),
    )


def _special_bits(mode: int) -> str:
    return " and ".join(b for b, bit in (("setuid", 0o4000), ("setgid", 0o2000)) if mode & bit)


TEMP_DIRS = ("tmp", "var/tmp", "dev", "proc", "sys", "run/lock", "var/lock")


def check_world_writable(
    meta: ImageMetadata, view: FileView, cfg: ImageCheckConfig
) -> Iterator[CheckFinding]:
    """SV-IMG-012: world-writable files, and directories without the sticky bit."""

    def bad(rec: FileRecord) -> bool:
        if rec.kind not in ("file", "dir") or not rec.mode & 0o002:
            return False
        if any(rec.path == d or rec.path.startswith(d + "/") for d in TEMP_DIRS):
            return False
        return rec.kind == "file" or not rec.mode & 0o1000

    found = sorted((rec for rec in view.records() if bad(rec)), key=lambda rec: rec.path)
    yield from _per_path(
        r.WORLD_WRITABLE,
        found,
        lambda rec: (
            f"/{rec.path} ({'directory' if rec.kind == 'dir' else 'file'}, mode "
            f"{rec.mode & 0o7777:04o}) is world-writable, "
            f"from {_layer_text(meta, rec.layer_index)}."
        ),
    )


def _per_path(
    rule: Rule, records: list[FileRecord], message: Callable[[FileRecord], str]
) -> Iterator[CheckFinding]:
    for rec in records[:MAX_PATH_FINDINGS]:
        yield _finding(rule, message(rec), Region("/" + rec.path, layer_index=rec.layer_index))
    if len(records) > MAX_PATH_FINDINGS:
        rest = len(records) - MAX_PATH_FINDINGS
        yield _finding(rule, f"{rest} more paths like these.", CONFIG)


CACHES: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    (
        "apt package archives",
        "var/cache/apt/archives",
        re.compile(r"var/cache/apt/archives/[^/]+\.deb\Z"),
    ),
    ("apt package lists", "var/lib/apt/lists", re.compile(r"var/lib/apt/lists/(?!lock\Z)[^/]+\Z")),
    ("apk cache", "var/cache/apk", re.compile(r"var/cache/apk/[^/]+\Z")),
    ("pip cache", "root/.cache/pip", re.compile(r"root/\.cache/pip/.+")),
    ("yum/dnf cache", "var/cache", re.compile(r"var/cache/(?:yum|dnf)/.+")),
    ("npm cache", "root/.npm", re.compile(r"root/\.npm/_cacache/.+")),
)


def check_package_caches(
    meta: ImageMetadata, view: FileView, cfg: ImageCheckConfig
) -> Iterator[CheckFinding]:
    """SV-IMG-013: package manager caches left behind (one finding per cache).

    One pass over the view keeping three numbers per cache, never the file records: each cache's
    pattern starts with its directory, so a path under none of them is ruled out at once."""
    wheres = tuple(where + "/" for _, where, _ in CACHES)
    totals = [[0, 0, -1] for _ in CACHES]  # files, bytes, top layer
    for rec in view.records():
        if rec.kind != "file" or not rec.path.startswith(wheres):
            continue
        for (_, _, pattern), total in zip(CACHES, totals, strict=True):
            if pattern.match(rec.path):
                total[0] += 1
                total[1] += rec.size
                total[2] = max(total[2], rec.layer_index)
    for (label, where, _), (count, size, layer) in zip(CACHES, totals, strict=True):
        if not count:
            continue
        message = (
            f"{label}: {count} files, {size} bytes under /{where} ({_layer_text(meta, layer)})."
        )
        yield _finding(r.PACKAGE_CACHE, message, Region("/" + where, layer_index=layer))


def check_accounts(
    meta: ImageMetadata, view: FileView, cfg: ImageCheckConfig
) -> Iterator[CheckFinding]:
    """SV-IMG-014/015: empty password fields; UID 0 accounts other than root."""
    for path, password_field in (("etc/passwd", 1), ("etc/shadow", 1)):
        text = view.read_text(path)
        if text is None:
            continue
        region_layer = view.location(path).layer_index
        for number, line in enumerate(text.splitlines(), 1):
            fields = line.split(":")
            if len(fields) < 3 or line.startswith("#"):
                continue
            region = Region("/" + path, number, number, region_layer)
            if fields[password_field] == "":
                yield _finding(
                    r.EMPTY_PASSWORD,
                    f"Account {fields[0]!r} has an empty password in /{path}.",
                    region,
                )
            if path == "etc/passwd" and fields[2] == "0" and fields[0] != "root":
                yield _finding(r.EXTRA_ROOT, f"Account {fields[0]!r} has UID 0.", region)


Check = Callable[[ImageMetadata, FileView, ImageCheckConfig], Iterable[CheckFinding]]
CHECKS: tuple[Check, ...] = (
    check_user,
    check_ports,
    check_env,
    check_history,
    check_healthcheck,
    check_labels,
    check_setuid,
    check_world_writable,
    check_package_caches,
    check_accounts,
)


def check_image(
    meta: ImageMetadata, view: FileView, config: ImageCheckConfig | None = None
) -> tuple[CheckFinding, ...]:
    """Every image check's findings, ordered by rule id (stable inside a rule)."""
    cfg = config or ImageCheckConfig()
    disabled = set(cfg.disabled_rules)
    found = [f for check in CHECKS for f in check(meta, view, cfg) if f.rule.id not in disabled]
    return tuple(sorted(found, key=lambda f: f.rule.id))

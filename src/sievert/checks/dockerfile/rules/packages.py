"""SV-DF-021..028: package-manager hygiene (apt, apk, pip, yum/dnf) and unpinned versions.

The size-only rules (recommends, caches) apply to the stages whose layers ship: the final
stage and the stages it builds on; a builder stage's cache never reaches the image.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from sievert.checks.dockerfile.config import CheckConfig
from sievert.checks.dockerfile.parser import env_pairs
from sievert.checks.dockerfile.rules._base import (
    cache_mount,
    finding,
    make_rule,
    options_and_operands,
    runs,
    shipped_stages,
)
from sievert.checks.dockerfile.shell import Command
from sievert.checks.dockerfile.syntax import Dockerfile, Instruction, Stage
from sievert.model.checks import CheckFinding

APT_YES = make_rule(
    21,
    "low",
    "apt-get install without -y",
    "Without -y apt-get waits for a confirmation no one gives: the build fails or hangs.",
    "Use `apt-get install -y`.",
)
RECOMMENDS = make_rule(
    22,
    "low",
    "apt-get install without --no-install-recommends",
    "Recommended packages add size and attack surface you did not ask for.",
    "Use `apt-get install -y --no-install-recommends pkg`.",
)
APT_LISTS = make_rule(
    23,
    "low",
    "apt lists not removed in the same RUN",
    "The package lists stay in the layer (tens of MB) unless removed in the RUN that "
    "downloaded them.",
    "End the RUN with `&& rm -rf /var/lib/apt/lists/*`, or use a cache mount.",
)
UPDATE_ALONE = make_rule(
    24,
    "medium",
    "apt-get update alone in a RUN",
    "The layer cache keeps the old `apt-get update` result: a later install uses stale lists "
    "and misses security updates, or fails.",
    "Run `apt-get update && apt-get install ...` in one RUN.",
)
APK_CACHE = make_rule(
    25,
    "low",
    "apk add without --no-cache",
    "The apk index cache stays in the layer.",
    "Use `apk add --no-cache pkg`.",
)
PIP_CACHE = make_rule(
    26,
    "low",
    "pip install without --no-cache-dir",
    "pip's wheel cache stays in the layer.",
    "Use `pip install --no-cache-dir`, set `PIP_NO_CACHE_DIR=1`, or use a cache mount.",
)
YUM_CLEAN = make_rule(
    27,
    "low",
    "yum/dnf/zypper install without clean",
    "The package metadata and caches stay in the layer.",
    "End the RUN with `&& yum clean all` (`dnf clean all`, `zypper clean -a`).",
)
UNPINNED = make_rule(
    28,
    "low",
    "Package installed without a pinned version",
    "Unpinned packages make builds unreproducible: a rebuild can bring a different (broken or "
    "compromised) version.",
    "Pin versions: `apt-get install pkg=1.2-3`, `apk add pkg=1.2-r0`, `pip install pkg==1.2`, "
    "`npm install -g pkg@1.2`, `gem install pkg -v 1.2`, `dnf install pkg-1.2`.",
)
APT = frozenset({"apt-get", "apt"})
APT_VALUE = frozenset({"-o", "-c", "-t", "--target-release", "--option", "--config-file"})
APK_VALUE = frozenset({"-t", "--virtual", "-X", "--repository", "-p", "--root", "--arch"})
PIP_VALUE = frozenset(
    (
        "-r",
        "--requirement",
        "-c",
        "--constraint",
        "-e",
        "--editable",
        "-i",
        "--index-url",
        "--extra-index-url",
        "-t",
        "--target",
        "--prefix",
        "--root",
        "-f",
        "--find-links",
        "--trusted-host",
        "--platform",
        "--python-version",
        "--implementation",
        "--abi",
        "--src",
        "--upgrade-strategy",
        "--progress-bar",
        "--cache-dir",
        "--log",
        "--proxy",
        "--retries",
        "--timeout",
        "--exists-action",
        "--cert",
        "--client-cert",
        "--only-binary",
        "--no-binary",
        "-C",
        "--config-settings",
        "--global-option",
    )
)
NPM_VALUE = frozenset({"--prefix", "--registry", "--cache", "--loglevel"})
GEM_VALUE = frozenset({"-v", "--version", "-i", "--install-dir", "-n", "--bindir", "--source"})
YUM = frozenset({"yum", "dnf", "microdnf", "tdnf", "zypper"})
_PIP = re.compile(r"pip[0-9.]*$")


def subcommand(command: Command, with_value: frozenset[str]) -> tuple[str, list[str], list[str]]:
    """The subcommand (first operand), the options and the other operands."""
    options, operands = options_and_operands(command.argv[1:], with_value)
    if not operands:
        return "", options, []
    return operands[0], options, operands[1:]


def apt_installs(found: tuple[Command, ...]) -> list[tuple[Command, list[str], list[str]]]:
    """apt-get/apt install commands with their options and packages."""
    result = []
    for command in found:
        if command.name in APT:
            sub, options, packages = subcommand(command, APT_VALUE)
            if sub == "install":
                result.append((command, options, packages))
    return result


def _pip_args(command: Command) -> tuple[str, ...]:
    """The arguments after `pip` (also for `python -m pip`), () when not pip."""
    if _PIP.match(command.name):
        return command.argv[1:]
    argv = command.argv
    for index in range(1, len(argv) - 1):
        if argv[index] == "-m" and argv[index + 1] == "pip" and command.is_interpreter():
            return argv[index + 2 :]
    return ()


def _stage_env(stage: Stage, before: Instruction) -> dict[str, str]:
    env: dict[str, str] = {}
    for instruction in stage.instructions:
        if instruction is before:
            break
        if instruction.keyword in ("ENV", "ARG"):
            env.update(env_pairs(instruction))
    return env


def _shipped_runs(
    dockerfile: Dockerfile,
) -> Iterator[tuple[Stage, Instruction, tuple[Command, ...]]]:
    shipped = shipped_stages(dockerfile)
    for stage, instruction, found in runs(dockerfile):
        if stage.index in shipped:
            yield stage, instruction, found


def check_apt_yes(dockerfile: Dockerfile, config: CheckConfig) -> Iterator[CheckFinding]:
    """apt-get install without -y/--yes/--assume-yes/-qq."""
    for _, instruction, found in runs(dockerfile):
        for command, options, _ in apt_installs(found):
            yes = any(o in ("--yes", "--assume-yes", "-qq", "--quiet=2") for o in options)
            yes = yes or any(
                o.startswith("-") and not o.startswith("--") and "y" in o for o in options
            )
            if not yes and "yes" not in command.upstream:
                yield finding(
                    APT_YES, dockerfile, instruction, f"{command.name} install without -y"
                )
                break


def check_recommends(dockerfile: Dockerfile, config: CheckConfig) -> Iterator[CheckFinding]:
    """apt-get install without --no-install-recommends (nor the apt.conf setting)."""
    for stage, instruction, found in _shipped_runs(dockerfile):
        stage_text = "\n".join(i.original for i in stage.instructions)
        if re.search(r"Install-Recommends\W+(?:false|0)", stage_text, re.IGNORECASE):
            continue
        for command, options, _ in apt_installs(found):
            if "--no-install-recommends" not in options and not any(
                re.search(r"Install-Recommends=(?:false|0)", o, re.IGNORECASE) for o in options
            ):
                message = f"{command.name} install without --no-install-recommends"
                yield finding(RECOMMENDS, dockerfile, instruction, message)
                break


def _removes(found: tuple[Command, ...], prefix: str) -> bool:
    return any(c.name == "rm" and any(a.startswith(prefix) for a in c.argv[1:]) for c in found)


def check_apt_lists(dockerfile: Dockerfile, config: CheckConfig) -> Iterator[CheckFinding]:
    """apt-get install (or update) without `rm -rf /var/lib/apt/lists/*` in the same RUN."""
    for _, instruction, found in _shipped_runs(dockerfile):
        if not apt_installs(found) or cache_mount(instruction, "/var/lib/apt"):
            continue
        if not _removes(found, "/var/lib/apt/lists"):
            message = "the apt lists are left in the layer"
            yield finding(APT_LISTS, dockerfile, instruction, message)


def check_update_alone(dockerfile: Dockerfile, config: CheckConfig) -> Iterator[CheckFinding]:
    """A RUN with apt-get update and no install."""
    for _, instruction, found in runs(dockerfile):
        updates = [c for c in found if c.name in APT and subcommand(c, APT_VALUE)[0] == "update"]
        if (
            updates
            and not apt_installs(found)
            and not any(
                c.name in APT
                and subcommand(c, APT_VALUE)[0] in ("upgrade", "dist-upgrade", "full-upgrade")
                for c in found
            )
        ):
            message = f"{updates[0].name} update without an install in the same RUN"
            yield finding(UPDATE_ALONE, dockerfile, instruction, message)


def check_apk_cache(dockerfile: Dockerfile, config: CheckConfig) -> Iterator[CheckFinding]:
    """apk add without --no-cache (nor a cache mount or `rm -rf /var/cache/apk`)."""
    for _, instruction, found in _shipped_runs(dockerfile):
        if cache_mount(instruction, "/var/cache/apk") or _removes(found, "/var/cache/apk"):
            continue
        for command in found:
            adds = command.name == "apk" and subcommand(command, APK_VALUE)[0] == "add"
            if adds and "--no-cache" not in command.argv:
                yield finding(APK_CACHE, dockerfile, instruction, "apk add without --no-cache")
                break


def check_pip_cache(dockerfile: Dockerfile, config: CheckConfig) -> Iterator[CheckFinding]:
    """pip install without --no-cache-dir (nor PIP_NO_CACHE_DIR or a cache mount)."""
    for stage, instruction, found in _shipped_runs(dockerfile):
        if cache_mount(instruction, "/root/.cache"):
            continue
        env = _stage_env(stage, instruction)
        for command in found:
            args = _pip_args(command)
            if not args or options_and_operands(args, PIP_VALUE)[1][:1] != ["install"]:
                continue
            variables = {**env, **dict(command.assignments)}
            disabled = variables.get("PIP_NO_CACHE_DIR", "").lower() not in (
                "",
                "0",
                "false",
                "off",
            )
            if "--no-cache-dir" not in args and not disabled:
                yield finding(
                    PIP_CACHE, dockerfile, instruction, "pip install without --no-cache-dir"
                )
                break


def check_yum_clean(dockerfile: Dockerfile, config: CheckConfig) -> Iterator[CheckFinding]:
    """yum/dnf/microdnf/zypper install without `clean` (or removing its cache) in the RUN."""
    for _, instruction, found in _shipped_runs(dockerfile):
        tools = {
            c.name
            for c in found
            if c.name in YUM and subcommand(c, frozenset())[0] in ("install", "in", "groupinstall")
        }
        if not tools:
            continue
        cleaned = any(c.name in YUM and "clean" in c.argv for c in found)
        if not cleaned and not _removes(found, "/var/cache/"):
            message = f"{', '.join(sorted(tools))} install without clean"
            yield finding(YUM_CLEAN, dockerfile, instruction, message)


def _unpinned_apt(found: tuple[Command, ...]) -> list[str]:
    return [
        p
        for _, _, packages in apt_installs(found)
        for p in packages
        if "=" not in p and not p.endswith(".deb") and "$" not in p and "/" not in p
    ]


def _unpinned_apk(command: Command) -> list[str]:
    sub, _, packages = subcommand(command, APK_VALUE)
    if command.name != "apk" or sub != "add":
        return []
    return [
        p
        for p in packages
        if not re.search(r"[=<>~]", p) and "$" not in p and not p.endswith(".apk")
    ]


def _unpinned_pip(command: Command) -> list[str]:
    args = _pip_args(command)
    _, operands = options_and_operands(args, PIP_VALUE)
    if operands[:1] != ["install"]:
        return []
    return [
        p
        for p in operands[1:]
        if not re.search(r"===?|@|[/\\]|\.whl$|\.tar\.gz$|\$", p) and p != "."
    ]


def _unpinned_npm(command: Command) -> list[str]:
    if command.name not in ("npm", "pnpm", "yarn"):
        return []
    options, operands = options_and_operands(command.argv[1:], NPM_VALUE)
    if (
        not operands
        or operands[0] not in ("install", "i", "add")
        or not ("-g" in options or "--global" in options or operands[0] == "global")
    ):
        return []
    return [p for p in operands[1:] if "@" not in p.lstrip("@") and "$" not in p]


def _unpinned_gem(command: Command) -> list[str]:
    if command.name != "gem":
        return []
    options, operands = options_and_operands(command.argv[1:], GEM_VALUE)
    if operands[:1] != ["install"] or "-v" in options or "--version" in options:
        return []
    return [p for p in operands[1:] if ":" not in p and "$" not in p and not p.endswith(".gem")]


def _unpinned_yum(command: Command) -> list[str]:
    if command.name not in YUM:
        return []
    sub, _, packages = subcommand(command, frozenset({"--setopt", "--repo", "--enablerepo"}))
    if sub not in ("install", "in"):
        return []
    return [p for p in packages if not re.search(r"-\d|\$|/|\.rpm$", p)]


def unpinned(found: tuple[Command, ...]) -> list[str]:
    """The package names installed without a version, over every package manager."""
    names = _unpinned_apt(found)
    extractors = (_unpinned_apk, _unpinned_pip, _unpinned_npm, _unpinned_gem, _unpinned_yum)
    for command in found:
        for extractor in extractors:
            names += extractor(command)
    return list(dict.fromkeys(names))


def check_unpinned(dockerfile: Dockerfile, config: CheckConfig) -> Iterator[CheckFinding]:
    """apt, apk, pip, npm -g and gem installs without a version."""
    for _, instruction, found in runs(dockerfile):
        names = unpinned(found)
        if names:
            shown = ", ".join(names[:5]) + (f" (+{len(names) - 5} more)" if len(names) > 5 else "")
            yield finding(UNPINNED, dockerfile, instruction, f"unpinned: {shown}")

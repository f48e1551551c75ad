"""SV-DF-021..028: package-manager hygiene (apt, apk, pip, yum/dnf) and unpinned versions.

The size-only rules (recommends, caches) apply to the stages whose layers ship: the final
stage and the stages it builds on; a builder stage's cache never reaches the image. A cache
is cleaned only by a command after the last install of the RUN (`yum clean all && yum
install x` still leaves the cache), or kept out of the layer by a `--mount=type=cache` (or
tmpfs) over the manager's cache directory.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from sievert.checks.dockerfile.config import CheckConfig
from sievert.checks.dockerfile.parser import env_pairs
from sievert.checks.dockerfile.rules._base import (
    cache_mount,
    finding,
    make_rule,
    mount_targets,
    options_and_operands,
    runs,
    shipped_stages,
    short_flag,
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
RPM_FAMILIES = (
    (
        frozenset({"yum", "dnf", "microdnf", "tdnf"}),
        ("/var/cache/yum", "/var/cache/dnf", "/var/cache/libdnf5", "/var/cache/tdnf"),
    ),
    (frozenset({"zypper"}), ("/var/cache/zypp",)),
)
"""Tools sharing a cache, and the cache directories a mount or an `rm` must cover."""
RPM_VALUE = frozenset({"--setopt", "--repo", "--enablerepo"})
RPM_INSTALLS = frozenset({"install", "in", "groupinstall", "reinstall", "localinstall"})
APT_LISTS_DIR = "/var/lib/apt/lists"
APK_CACHE_DIR = "/var/cache/apk"
_PIP = re.compile(r"pip[0-9.]*$")
_PIP_CACHE = re.compile(r"(?:^|/)\.cache(?:/pip)?/?\*?$|^~/\.cache")
_ASSUME_YES = re.compile(r"APT::Get::Assume-Yes\W+(?:true|yes|1)\b", re.IGNORECASE)
NO = frozenset({"", "0", "false", "off", "no"})
"""Values that leave a boolean setting such as PIP_NO_CACHE_DIR off."""
_QUIET = re.compile(r"(?:-q|--quiet)=(\d+)$")


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


def assumes_yes(options: list[str]) -> bool:
    """-y, --yes, --assume-yes, `-o APT::Get::Assume-Yes=true`, or quiet level 2 (-qq, -q -q)."""
    if any(o in ("--yes", "--assume-yes") or _ASSUME_YES.search(o) for o in options):
        return True
    if short_flag(options, "y", with_value="oct"):
        return True
    return quiet_level(options) >= 2


def quiet_level(options: list[str]) -> int:
    """apt's quiet level: one per `q` (`-q -q`, `-qq`, `--quiet`), `-q=N` sets it."""
    level = 0
    for option in options:
        match = _QUIET.match(option)
        if match:
            level = int(match.group(1))
        elif option == "--quiet":
            level += 1
        elif option.startswith("-") and not option.startswith("--"):
            for char in option[1:]:
                if char in "oct":
                    break
                level += char == "q"
    return level


def check_apt_yes(dockerfile: Dockerfile, config: CheckConfig) -> Iterator[CheckFinding]:
    """apt-get install that would ask for a confirmation (no -y, quiet level 2 or apt.conf)."""
    # Per stage, worked out once: where each instruction stands, and the first Assume-Yes.
    positions: dict[int, dict[int, int]] = {}
    first_yes: dict[int, int] = {}
    for stage, instruction, found in runs(dockerfile):
        if stage.index not in positions:
            positions[stage.index] = {id(i): n for n, i in enumerate(stage.instructions)}
            first_yes[stage.index] = next(
                (n for n, i in enumerate(stage.instructions) if _ASSUME_YES.search(i.original)),
                len(stage.instructions),
            )
        if first_yes[stage.index] <= positions[stage.index][id(instruction)]:
            continue
        for command, options, _ in apt_installs(found):
            if not assumes_yes(options) and "yes" not in command.upstream:
                yield finding(
                    APT_YES, dockerfile, instruction, f"{command.name} install without -y"
                )
                break


def check_recommends(dockerfile: Dockerfile, config: CheckConfig) -> Iterator[CheckFinding]:
    """apt-get install without --no-install-recommends (nor the apt.conf setting)."""
    configured: dict[int, bool] = {}  # per stage: apt.conf sets Install-Recommends off
    for stage, instruction, found in _shipped_runs(dockerfile):
        if stage.index not in configured:
            stage_text = "\n".join(i.original for i in stage.instructions)
            configured[stage.index] = bool(
                re.search(r"Install-Recommends\W+(?:false|0)", stage_text, re.IGNORECASE)
            )
        if configured[stage.index]:
            continue
        for command, options, _ in apt_installs(found):
            if "--no-install-recommends" not in options and not any(
                re.search(r"Install-Recommends=(?:false|0)", o, re.IGNORECASE) for o in options
            ):
                message = f"{command.name} install without --no-install-recommends"
                yield finding(RECOMMENDS, dockerfile, instruction, message)
                break


def _removes(command: Command, *prefixes: str) -> bool:
    """`rm` of a path under one of `prefixes`."""
    return command.name == "rm" and any(
        a.startswith(prefix) for a in command.argv[1:] for prefix in prefixes
    )


def cleaned_after(
    found: tuple[Command, ...],
    installs: Callable[[Command], bool],
    cleans: Callable[[Command], bool],
) -> bool:
    """A command after the RUN's last install cleans up (a cleanup before it does not count)."""
    last = max((n for n, command in enumerate(found) if installs(command)), default=-1)
    return last >= 0 and any(cleans(command) for command in found[last + 1 :])


def check_apt_lists(dockerfile: Dockerfile, config: CheckConfig) -> Iterator[CheckFinding]:
    """apt-get update or install without `rm -rf /var/lib/apt/lists/*` after it (nor a mount)."""
    for _, instruction, found in _shipped_runs(dockerfile):
        if not any(_apt_fetches(c) for c in found) or cache_mount(instruction, APT_LISTS_DIR):
            continue
        if not cleaned_after(found, _apt_fetches, _removes_apt_lists):
            message = "the apt lists are left in the layer"
            yield finding(APT_LISTS, dockerfile, instruction, message)


def _apt_fetches(command: Command) -> bool:
    """apt update (downloads the lists) or install (reads and may refresh them)."""
    return command.name in APT and subcommand(command, APT_VALUE)[0] in ("install", "update")


def _removes_apt_lists(command: Command) -> bool:
    return _removes(command, APT_LISTS_DIR)


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


def _apk_adds_cached(command: Command) -> bool:
    """`apk add` that keeps the index cache (no --no-cache)."""
    adds = command.name == "apk" and subcommand(command, APK_VALUE)[0] == "add"
    return adds and "--no-cache" not in command.argv


def _apk_cleans(command: Command) -> bool:
    cache = command.name == "apk" and subcommand(command, APK_VALUE)[0] == "cache"
    purged = cache and ("purge" in command.argv or "clean" in command.argv)
    return purged or _removes(command, APK_CACHE_DIR)


def check_apk_cache(dockerfile: Dockerfile, config: CheckConfig) -> Iterator[CheckFinding]:
    """apk add without --no-cache, nor a cache mount or `rm -rf /var/cache/apk/*` after it."""
    for _, instruction, found in _shipped_runs(dockerfile):
        if not any(_apk_adds_cached(c) for c in found) or cache_mount(instruction, APK_CACHE_DIR):
            continue
        if not cleaned_after(found, _apk_adds_cached, _apk_cleans):
            yield finding(APK_CACHE, dockerfile, instruction, "apk add without --no-cache")


def _pip_installs(command: Command) -> bool:
    args = _pip_args(command)
    return bool(args) and options_and_operands(args, PIP_VALUE)[1][:1] == ["install"]


def _pip_cleans(command: Command) -> bool:
    args = _pip_args(command)
    purged = bool(args) and options_and_operands(args, PIP_VALUE)[1][:2] == ["cache", "purge"]
    removed = command.name == "rm" and any(_PIP_CACHE.search(a) for a in command.argv[1:])
    return purged or removed


def _pip_mounted(instruction: Instruction, env: dict[str, str]) -> bool:
    """A cache mount over a home's `.cache`/`.cache/pip` or over PIP_CACHE_DIR."""
    targets = mount_targets(instruction)
    if any(_PIP_CACHE.search(target) for target in targets):
        return True
    cache_dir = env.get("PIP_CACHE_DIR", "")
    return bool(cache_dir) and cache_mount(instruction, cache_dir)


def check_pip_cache(dockerfile: Dockerfile, config: CheckConfig) -> Iterator[CheckFinding]:
    """pip install without --no-cache-dir, PIP_NO_CACHE_DIR, a cache mount or a purge after."""
    for stage, instruction, found in _shipped_runs(dockerfile):
        if not any(_pip_installs(c) for c in found):
            continue  # the stage's environment is only worked out for RUNs that install
        env = _stage_env(stage, instruction)
        if _pip_mounted(instruction, env):
            continue

        def keeps_cache(command: Command, env: dict[str, str] = env) -> bool:
            variables = {**env, **dict(command.assignments)}
            disabled = variables.get("PIP_NO_CACHE_DIR", "").lower() not in NO
            return _pip_installs(command) and "--no-cache-dir" not in command.argv and not disabled

        if any(keeps_cache(c) for c in found) and not cleaned_after(
            found, keeps_cache, _pip_cleans
        ):
            yield finding(PIP_CACHE, dockerfile, instruction, "pip install without --no-cache-dir")


def _rpm_installs(tools: frozenset[str]) -> Callable[[Command], bool]:
    def installs(command: Command) -> bool:
        return command.name in tools and subcommand(command, frozenset())[0] in RPM_INSTALLS

    return installs


def _rpm_cleans(tools: frozenset[str], caches: tuple[str, ...]) -> Callable[[Command], bool]:
    def cleans(command: Command) -> bool:
        sub = subcommand(command, frozenset())[0]
        return (command.name in tools and sub in ("clean", "cc")) or _removes(command, *caches)

    return cleans


def check_yum_clean(dockerfile: Dockerfile, config: CheckConfig) -> Iterator[CheckFinding]:
    """yum/dnf/microdnf/zypper install without clean after it (nor a cache mount) in the RUN."""
    for _, instruction, found in _shipped_runs(dockerfile):
        left: set[str] = set()
        for tools, caches in RPM_FAMILIES:
            installs = _rpm_installs(tools)
            used = {c.name for c in found if installs(c)}
            if not used or cache_mount(instruction, *caches):
                continue
            if not cleaned_after(found, installs, _rpm_cleans(tools, caches)):
                left |= used
        if left:
            message = f"{', '.join(sorted(left))} install without clean"
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
    """rpm tools pin with `pkg-1.2`; zypper also with `pkg=1.2`, `pkg>=1.2`."""
    if command.name not in YUM:
        return []
    sub, _, packages = subcommand(command, RPM_VALUE)
    if sub not in ("install", "in"):
        return []
    pinned = r"-\d|\$|/|\.rpm$" + (r"|[=<>]" if command.name == "zypper" else "")
    return [p for p in packages if not re.search(pinned, p)]


def installed_packages(found: tuple[Command, ...]) -> list[str]:
    """The package operands of apt, apk, yum/dnf/microdnf/zypper installs, as written."""
    names = [p for _, _, packages in apt_installs(found) for p in packages]
    for command in found:
        if command.name == "apk":
            sub, _, packages = subcommand(command, APK_VALUE)
            names += packages if sub == "add" else []
        elif command.name in YUM:
            sub, _, packages = subcommand(command, RPM_VALUE)
            names += packages if sub in RPM_INSTALLS else []
    return names


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

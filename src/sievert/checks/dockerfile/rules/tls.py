"""SV-DF-011, 012: TLS certificate checks and package signature checks disabled."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from sievert.checks.dockerfile.config import CheckConfig
from sievert.checks.dockerfile.parser import env_pairs
from sievert.checks.dockerfile.rules._base import (
    finding,
    instructions,
    make_rule,
    options_and_operands,
    runs,
    short_flag,
)
from sievert.checks.dockerfile.shell import Command
from sievert.checks.dockerfile.syntax import Dockerfile, Instruction
from sievert.model.checks import CheckFinding

TLS = make_rule(
    11,
    "high",
    "TLS certificate verification disabled",
    "Without certificate checks anyone on the network path can serve the build other content "
    "(man in the middle).",
    "Remove the option; install the CA certificate your proxy or registry needs instead.",
)
SIGNATURES = make_rule(
    12,
    "high",
    "Package signature verification disabled",
    "Package managers verify signatures so a mirror cannot serve tampered packages; turning "
    "it off installs whatever the mirror sends.",
    "Remove the option and import the repository's signing key.",
)
CURL_VALUE_LETTERS = "oHdeuXAxwTFbcrmCEKYyzQtPUDe"
TLS_ENV: dict[str, Callable[[str], bool]] = {
    "NODE_TLS_REJECT_UNAUTHORIZED": lambda v: v.strip() == "0",
    "GIT_SSL_NO_VERIFY": lambda v: v.strip().lower() not in ("", "0", "false", "no"),
    "PYTHONHTTPSVERIFY": lambda v: v.strip() == "0",
    "PIP_TRUSTED_HOST": lambda v: bool(v.strip()),
    "NPM_CONFIG_STRICT_SSL": lambda v: v.strip().lower() == "false",
}
PIP = re.compile(r"pip[0-9.]*$")


def tls_problem(command: Command) -> str:
    """What in one command turns certificate verification off ('' when nothing)."""
    argv, name = command.argv, command.name
    for variable, value in command.assignments:
        if variable in TLS_ENV and TLS_ENV[variable](value):
            return f"{variable}={value}"
    if name == "curl":
        options, _ = options_and_operands(argv[1:])
        if "--insecure" in options or short_flag(options, "k", CURL_VALUE_LETTERS):
            return "curl --insecure"
    if name == "wget" and "--no-check-certificate" in argv:
        return "wget --no-check-certificate"
    if _pip(command) and any(a.startswith("--trusted-host") for a in argv):
        return "pip --trusted-host"
    if _pip(command) and "config" in argv and any("trusted-host" in a for a in argv):
        return "pip config trusted-host"
    return _config_problem(name, [a.lower() for a in argv])


def _pip(command: Command) -> bool:
    if PIP.match(command.name):
        return True
    return command.is_interpreter() and "-m" in command.argv and "pip" in command.argv


def _config_problem(name: str, argv: list[str]) -> str:
    if name in ("npm", "yarn", "pnpm") and "strict-ssl" in " ".join(argv):
        joined = " ".join(argv)
        if re.search(r"strict-ssl(?:=|\s+)false", joined):
            return f"{name} strict-ssl false"
    if name == "git":
        joined = " ".join(argv).replace("=", " ")
        if re.search(r"sslverify\s+(?:false|0|no)", joined):
            return "git http.sslVerify false"
    return ""


def _env_problems(instruction: Instruction) -> list[str]:
    return [
        f"{name}={value}"
        for name, value in env_pairs(instruction)
        if name in TLS_ENV and TLS_ENV[name](value)
    ]


def check_tls(dockerfile: Dockerfile, config: CheckConfig) -> Iterator[CheckFinding]:
    """curl -k, wget --no-check-certificate, pip --trusted-host, TLS-off variables."""
    for _, instruction in instructions(dockerfile, "ENV", "ARG"):
        for problem in _env_problems(instruction):
            yield finding(TLS, dockerfile, instruction, f"{problem} disables TLS verification")
    for _, instruction, found in runs(dockerfile):
        problems = dict.fromkeys(p for p in map(tls_problem, found) if p)
        if problems:
            message = f"{', '.join(problems)} disables TLS verification"
            yield finding(TLS, dockerfile, instruction, message)


def signature_problem(command: Command) -> str:
    """What in one command turns package signature checks off ('' when nothing)."""
    name, argv = command.name, command.argv
    joined = " ".join(argv)
    if name in ("apt-get", "apt", "aptitude"):
        for option in ("--allow-unauthenticated", "--force-yes", "--allow-insecure-repositories"):
            if option in argv:
                return f"{name} {option}"
        if re.search(r"AllowUnauthenticated\s*=\s*(?:true|1|yes)", joined, re.IGNORECASE):
            return f"{name} AllowUnauthenticated"
    if name == "rpm":
        flags = [a for a in argv if a in ("--nosignature", "--nodigest", "--nogpgcheck")]
        if flags:
            return f"rpm {' '.join(flags)}"
    if name in ("yum", "dnf", "microdnf", "tdnf") and "--nogpgcheck" in argv:
        return f"{name} --nogpgcheck"
    if name == "zypper" and "--no-gpg-checks" in argv:
        return "zypper --no-gpg-checks"
    if name == "apk" and "--allow-untrusted" in argv:
        return "apk --allow-untrusted"
    if re.search(r"\[[^\]]*trusted=yes[^\]]*\]", joined):
        return "an apt source marked [trusted=yes]"
    if re.search(r"gpgcheck\s*=\s*0", joined):
        return "gpgcheck=0"
    return ""


def check_signatures(dockerfile: Dockerfile, config: CheckConfig) -> Iterator[CheckFinding]:
    """apt --allow-unauthenticated/--force-yes, rpm --nosignature, yum --nogpgcheck, ..."""
    for _, instruction, found in runs(dockerfile):
        problems = dict.fromkeys(p for p in map(signature_problem, found) if p)
        if problems:
            message = f"{', '.join(problems)} disables signature checks"
            yield finding(SIGNATURES, dockerfile, instruction, message)

"""SV-DF-013, 014: sensitive ports exposed, invalid ports or ranges."""

from __future__ import annotations

import re
from collections.abc import Iterator

from sievert.checks.dockerfile.config import CheckConfig
from sievert.checks.dockerfile.rules._base import finding, instructions, make_rule
from sievert.checks.dockerfile.syntax import Dockerfile
from sievert.model.checks import CheckFinding

SENSITIVE = make_rule(
    13,
    "medium",
    "Insecure or sensitive port exposed",
    "Remote shells, remote desktops, clear-text protocols and the Docker daemon do not belong "
    "in an application container; exposing them invites attack.",
    "Remove the EXPOSE (and the service); use `docker exec` or `kubectl exec` for access.",
)
INVALID = make_rule(
    14,
    "low",
    "Invalid port or port range in EXPOSE",
    "A port outside 1-65535, a reversed range or an unknown protocol is a mistake the "
    "builder may accept and the runtime reject.",
    "EXPOSE ports as `80`, `80/tcp`, `53/udp` or a range `8000-8010/tcp`.",
)
SENSITIVE_PORTS = {
    21: "FTP",
    22: "SSH",
    23: "Telnet",
    69: "TFTP",
    111: "rpcbind",
    135: "MS RPC",
    139: "NetBIOS",
    445: "SMB",
    512: "rexec",
    513: "rlogin",
    514: "rsh",
    2375: "Docker daemon (plain)",
    2376: "Docker daemon (TLS)",
    3389: "RDP",
    5800: "VNC (HTTP)",
    5900: "VNC",
    5985: "WinRM",
    5986: "WinRM (TLS)",
    6000: "X11",
}
_PORT = re.compile(r"(\d+)(?:-(\d+))?(?:/(\w+))?")
PROTOCOLS = frozenset({"tcp", "udp", "sctp"})


def port_specs(text: str) -> list[str]:
    """The port words of an EXPOSE."""
    return text.split()


def problem(spec: str) -> str:
    """Why a port spec is invalid ('' when valid)."""
    match = _PORT.fullmatch(spec)
    if match is None:
        return f"{spec!r} is not a port"
    low = int(match.group(1))
    high = int(match.group(2) or low)
    if match.group(3) and match.group(3).lower() not in PROTOCOLS:
        return f"{spec!r}: unknown protocol {match.group(3)!r}"
    if not 1 <= low <= 65535 or not 1 <= high <= 65535:
        return f"{spec!r} is outside 1-65535"
    if low > high:
        return f"{spec!r} is a reversed range"
    return ""


def check_sensitive(dockerfile: Dockerfile, config: CheckConfig) -> Iterator[CheckFinding]:
    """EXPOSE of a port in SENSITIVE_PORTS (ranges included)."""
    for _, instruction in instructions(dockerfile, "EXPOSE"):
        for spec in port_specs(instruction.expanded):
            match = _PORT.fullmatch(spec)
            if match is None or problem(spec):
                continue
            low, high = int(match.group(1)), int(match.group(2) or match.group(1))
            for port, service in SENSITIVE_PORTS.items():
                if low <= port <= high:
                    message = f"port {port} ({service}) is exposed"
                    yield finding(SENSITIVE, dockerfile, instruction, message)


def check_invalid(dockerfile: Dockerfile, config: CheckConfig) -> Iterator[CheckFinding]:
    """EXPOSE of something that is not a valid port or range."""
    for _, instruction in instructions(dockerfile, "EXPOSE"):
        for spec in port_specs(instruction.expanded):
            reason = problem(spec) if "$" not in spec else ""
            if reason:
                yield finding(INVALID, dockerfile, instruction, reason)

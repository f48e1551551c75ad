"""CVSS base metrics of a vector explained in plain words (v2, v3.x, v4.0)."""

from __future__ import annotations

import msgspec

_AV = {
    "N": ("Network", "exploitable remotely over the network"),
    "A": ("Adjacent", "the attacker must share a local network segment or link"),
    "L": ("Local", "the attacker needs local access or a user to open a file"),
    "P": ("Physical", "the attacker must touch the device"),
}
_IMPACT3 = {
    "H": ("High", "total loss"),
    "L": ("Low", "partial loss"),
    "N": ("None", "no impact"),
}


def _impact(what: str) -> dict[str, tuple[str, str]]:
    return {
        "H": ("High", f"total loss of {what}"),
        "L": ("Low", f"partial loss of {what}"),
        "N": ("None", f"no impact on {what}"),
    }


_V3 = {
    "AV": ("Attack vector", _AV),
    "AC": (
        "Attack complexity",
        {
            "L": ("Low", "no special conditions: the attack works reliably"),
            "H": ("High", "needs conditions beyond the attacker's control (timing, configuration)"),
        },
    ),
    "PR": (
        "Privileges required",
        {
            "N": ("None", "no account needed"),
            "L": ("Low", "a basic user account is needed"),
            "H": ("High", "administrative privileges are needed"),
        },
    ),
    "UI": (
        "User interaction",
        {
            "N": ("None", "no user has to do anything"),
            "R": ("Required", "a user must take some action (open, click)"),
        },
    ),
    "S": (
        "Scope",
        {
            "U": ("Unchanged", "impact stays within the vulnerable component"),
            "C": (
                "Changed",
                "impact reaches beyond the vulnerable component (e.g. a sandbox escape)",
            ),
        },
    ),
    "C": (
        "Confidentiality impact",
        _impact("confidentiality"),
    ),
    "I": ("Integrity impact", _impact("integrity")),
    "A": (
        "Availability impact",
        _impact("availability"),
    ),
}
_IMPACT2 = {
    "N": ("None", "no impact"),
    "P": ("Partial", "considerable but limited impact"),
    "C": ("Complete", "total compromise"),
}
_V2 = {
    "AV": (
        "Access vector",
        {
            "N": ("Network", "exploitable remotely over the network"),
            "A": ("Adjacent network", "the attacker must be on the local network"),
            "L": ("Local", "the attacker needs local access"),
        },
    ),
    "AC": (
        "Access complexity",
        {
            "L": ("Low", "no special conditions"),
            "M": ("Medium", "somewhat specialised conditions"),
            "H": ("High", "specialised conditions are required"),
        },
    ),
    "Au": (
        "Authentication",
        {
            "N": ("None", "no authentication needed"),
            "S": ("Single", "one authentication is needed"),
            "M": ("Multiple", "two or more authentications are needed"),
        },
    ),
    "C": ("Confidentiality impact", _IMPACT2),
    "I": ("Integrity impact", _IMPACT2),
    "A": ("Availability impact", _IMPACT2),
}
_V4 = {
    "AV": ("Attack vector", _AV),
    "AC": (
        "Attack complexity",
        {
            "L": ("Low", "no built-in protections to bypass"),
            "H": ("High", "security measures must be evaded (e.g. ASLR, DEP)"),
        },
    ),
    "AT": (
        "Attack requirements",
        {
            "N": ("None", "no deployment or execution conditions needed"),
            "P": ("Present", "depends on specific conditions such as a race or network position"),
        },
    ),
    "PR": _V3["PR"],
    "UI": (
        "User interaction",
        {
            "N": ("None", "no user has to do anything"),
            "P": ("Passive", "a user must do something ordinary (visit a page)"),
            "A": ("Active", "a user must take a deliberate action"),
        },
    ),
    "VC": ("Confidentiality impact on the vulnerable system", _IMPACT3),
    "VI": ("Integrity impact on the vulnerable system", _IMPACT3),
    "VA": ("Availability impact on the vulnerable system", _IMPACT3),
    "SC": ("Confidentiality impact on other systems", _IMPACT3),
    "SI": ("Integrity impact on other systems", _IMPACT3),
    "SA": ("Availability impact on other systems", _IMPACT3),
}


class MetricText(msgspec.Struct, frozen=True):
    """One metric of a vector in words."""

    metric: str
    value: str
    meaning: str


def explain(vector: str) -> list[MetricText]:
    """Each base metric of a CVSS v2, v3.x or v4.0 vector explained; unknown parts are skipped."""
    parts = [p for p in vector.split("/") if ":" in p]
    table = _V2
    if parts and parts[0].startswith("CVSS:"):
        table = _V4 if parts[0] == "CVSS:4.0" else _V3
        parts = parts[1:]
    out: list[MetricText] = []
    for part in parts:
        key, _, value = part.partition(":")
        if key in table and value in table[key][1]:
            name, values = table[key]
            word, meaning = values[value]
            out.append(MetricText(name, word, meaning))
    return out

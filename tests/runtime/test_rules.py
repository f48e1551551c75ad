"""SV-RT rules over inspect data: a case folder per rule id, each with bad and good cases on
Docker's and podman's inspect shapes (a patch over a hardened base that has no finding)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sievert.runtime.inspect import parse_container, parse_top
from sievert.runtime.rules import RULES_BY_ID, RUNTIME_RULES, check_container

HERE = Path(__file__).parent
CASES = sorted((HERE / "cases").glob("SV-RT-*/*.json"))


def base(kind: str) -> dict[str, Any]:
    """The hardened inspect document of an engine ('docker' or 'podman')."""
    return json.loads((HERE / "fixtures" / f"{kind}-hardened.json").read_text())  # type: ignore[no-any-return]


def merged(doc: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """`doc` with `patch` merged in, mapping by mapping (other values replace)."""
    out = dict(doc)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merged(out[key], value)
        else:
            out[key] = value
    return out


def case_ids(path: Path) -> tuple[str, ...]:
    """The rule ids a case raises when checked with every rule."""
    case = json.loads(path.read_text())
    processes = tuple(tuple(row) for row in case.get("processes", ()))
    container = parse_container(merged(base(case["base"]), case["patch"]), processes or None)
    return tuple(f.rule.id for f in check_container(container))


@pytest.mark.parametrize("kind", ["docker", "podman"])
def test_hardened_bases_have_no_finding(kind: str) -> None:
    container = parse_container(base(kind))
    assert check_container(container) == ()
    assert container.name in ("web", "good") and container.image_id.startswith("sha256:")


@pytest.mark.parametrize("path", CASES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_case_raises_exactly_its_rule(path: Path) -> None:
    rule_id = path.parent.name
    found = case_ids(path)
    if path.stem.startswith("bad"):
        assert set(found) == {rule_id}, found
    else:
        assert found == (), found


def test_every_rule_has_bad_and_good_cases_for_both_engines() -> None:
    folders = {p.parent.name for p in CASES}
    assert folders == set(RULES_BY_ID)
    for rule_id in RULES_BY_ID:
        stems = {p.stem for p in (HERE / "cases" / rule_id).glob("*.json")}
        assert {"bad-docker", "bad-podman", "good-docker", "good-podman"} <= stems


def test_rules_are_documented_with_their_cis_control() -> None:
    root = HERE.parents[1]
    for entry in RUNTIME_RULES:
        rule = entry.rule
        assert rule.docs == f"docs/rules/{rule.id}.md" and rule.cis
        page = (root / rule.docs).read_text(encoding="utf-8")
        assert page.startswith(f"# {rule.id}: {rule.title}\n")
        assert f"Severity: **{rule.severity}**" in page
        assert f"CIS Docker Benchmark {rule.cis}" in page
        assert rule.remediation in page


def test_messages_name_what_was_found() -> None:
    doc = merged(
        base("docker"),
        {
            "HostConfig": {"CapAdd": ["sys_admin", "CAP_NET_ADMIN", "CHOWN"]},
            "Mounts": [{"Type": "bind", "Source": "/etc/", "Destination": "/e", "RW": False}],
        },
    )
    messages = {f.rule.id: f.message for f in check_container(parse_container(doc))}
    assert messages == {
        "SV-RT-002": "capabilities added: NET_ADMIN, SYS_ADMIN",
        "SV-RT-007": "host path /etc/ is mounted read-only at /e",
    }


@pytest.mark.parametrize(
    "hostile",
    [
        None,
        [],
        "x",
        {"HostConfig": "x", "Mounts": {"a": 1}, "Config": [1]},
        {
            "HostConfig": {
                "Privileged": "true",
                "Memory": "lots",
                "PidsLimit": True,
                "CapAdd": [1, None, "ALL"],
                "PortBindings": {"80/tcp": "x", "81/tcp": [None, {"HostPort": "x"}]},
                "RestartPolicy": {"Name": 5},
            }
        },
    ],
)
def test_hostile_inspect_data_reads_as_defaults(hostile: Any) -> None:
    container = parse_container(hostile)
    ids = {f.rule.id for f in check_container(container)}
    assert "SV-RT-001" not in ids  # "true" is not true
    assert container.ports == ()


def test_top_answers() -> None:
    docker = {"Titles": ["PID", "COMMAND", "COMMAND"], "Processes": [["7", "sshd", "sshd -D"]]}
    assert parse_top(docker) == (("sshd", "sshd -D"),)
    assert parse_top(None) is None  # podman 4's compat top answers an empty body
    assert parse_top({"Titles": ["PID"], "Processes": []}) is None

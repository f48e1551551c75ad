"""The watch rule language (lists, macros, operators) and /proc/net parsing, as pure functions."""

from __future__ import annotations

import pytest

from sievert.errors import ParseError
from sievert.model.runtime import ContainerConfig
from sievert.runtime.conditions import compile_condition, default_rules, parse_rules
from sievert.runtime.watch import Observation, Process, Socket, evaluate, parse_proc_net

EVENT = {
    "evt.type": "exec",
    "proc.name": "bash",
    "proc.pid": 42,
    "proc.cmdline": "bash -i",
    "proc.is_init": False,
    "fs.path": "/etc/shadow",
}


@pytest.mark.parametrize(
    ("condition", "holds"),
    [
        ("evt.type = exec", True),
        ("evt.type != exec", False),
        ("proc.name in (sh, bash)", True),
        ("proc.name in ('sh', \"zsh\")", False),
        ("proc.pid > 40 and proc.pid <= 42", True),
        ("proc.pid >= 43 or not proc.is_init", True),
        ("proc.is_init", False),
        ("not (proc.is_init or proc.name = sh)", True),
        ("fs.path startswith /etc/ and fs.path endswith shadow", True),
        ("proc.cmdline contains -i", True),
        ("fs.path glob '/etc/*'", True),
        ("fd.lport = 80", False),  # absent field: never holds
        ("not fd.lport = 80", True),
    ],
)
def test_conditions(condition: str, holds: bool) -> None:
    assert compile_condition(condition)(EVENT) is holds


@pytest.mark.parametrize(
    "condition",
    [
        "",
        "evt.type =",
        "evt.type = = exec",
        "(evt.type = exec",
        "proc.name in sh",
        "unknown_macro",
        "a & b",
    ],
)
def test_malformed_conditions(condition: str) -> None:
    with pytest.raises(ParseError):
        compile_condition(condition)


def test_lists_and_macros_nest() -> None:
    rules = parse_rules(
        [
            {"list": "shells", "items": ["sh", "bash"]},
            {"list": "all_shells", "items": ["shells", "zsh"]},
            {"macro": "spawned", "condition": "evt.type = exec"},
            {
                "rule": "r",
                "condition": "spawned and proc.name in (all_shells)",
                "priority": "notice",
            },
            {"rule": "off", "condition": "spawned", "enabled": False},
        ],
        "rules.yaml",
    )
    (rule,) = rules
    assert rule.priority == "NOTICE" and rule.test(EVENT)
    assert rule.test({**EVENT, "proc.name": "zsh"}) and not rule.test(
        {**EVENT, "proc.name": "sleep"}
    )


def test_bad_rule_files_name_the_item() -> None:
    with pytest.raises(ParseError, match=r"rules.yaml: item 2 \(r\): unknown priority 'LOUD'"):
        parse_rules(
            [
                {"list": "x", "items": []},
                {"rule": "r", "condition": "evt.type = a", "priority": "loud"},
            ],
            "rules.yaml",
        )
    with pytest.raises(ParseError, match="expected a list"):
        parse_rules({"rule": "r"}, "rules.yaml")


def test_proc_net_tables() -> None:
    tcp = (
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid\n"
        "   0: 0100007F:270F 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0\n"
        "   1: 0200000A:D2F0 5DB8D822:01BB 01 00000000:00000000 00:00000000 00000000     0\n"
        "   2: 0200000A:D2F1 5DB8D822:01BB 06 00000000:00000000 00:00000000 00000000     0\n"
    )
    assert parse_proc_net(tcp, "tcp") == [
        Socket("listen", "tcp", "127.0.0.1", 9999, "0.0.0.0", 0),
        Socket("connect", "tcp", "10.0.0.2", 54000, "34.216.184.93", 443),
    ]
    tcp6 = (
        "  sl  local_address                         remote_address                        st\n"
        "   0: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A\n"
    )
    assert parse_proc_net(tcp6, "tcp6") == [Socket("listen", "tcp", "::1", 8080, "::", 0)]


def test_default_rules_on_observations() -> None:
    container = ContainerConfig(
        "c" * 64, "web", "nginx:1", "sha256:" + "a" * 64, user="101", exposed_ports=("8080/tcp",)
    )
    seen = Observation(
        container,
        processes=(
            Process(1, 0, "nginx", "/usr/sbin/nginx", "nginx -g daemon off;", 101, True, False),
            Process(7, 0, "apt-get", "/usr/bin/apt-get", "apt-get install nmap", 0, False, True),
            Process(9, 1, "x", "/tmp/x (deleted)", "/tmp/x", 101, False, False),
        ),
        sockets=(
            Socket("listen", "tcp", "0.0.0.0", 8080, "0.0.0.0", 0),
            Socket("listen", "tcp", "0.0.0.0", 4444, "0.0.0.0", 0),
            Socket("connect", "tcp", "10.0.0.2", 40000, "203.0.113.9", 443),
        ),
        changes=(
            ("/usr", "changed"),
            ("/usr/bin", "changed"),
            ("/usr/bin/nmap", "added"),
            ("/etc/hosts", "changed"),
        ),
    )
    found = sorted((e.rule, e.priority) for e in evaluate([seen], default_rules()))
    assert found == [
        ("Drop and execute new binary in container", "CRITICAL"),  # deleted after start
        ("Outbound connection from container", "NOTICE"),
        ("Package management process in container", "ERROR"),
        ("Root process in a non-root container", "WARNING"),  # apt-get as uid 0, user 101
        ("Unexpected listening socket", "WARNING"),  # 4444, not the exposed 8080
        ("Write below binary dir", "ERROR"),  # /usr/bin/nmap only: /usr and /usr/bin are its dirs
    ]

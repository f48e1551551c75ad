"""Loading policy files: line-numbered errors, the documented examples and the JSON Schema."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from sievert.errors import ParseError
from sievert.policy import load_policy, parse_policy
from sievert.policy.schema import schema

DOCS = Path(__file__).resolve().parents[2] / "docs" / "policy.md"


def _examples() -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", DOCS.read_text(), re.DOTALL)


def _as_json(text: str) -> Any:
    """The YAML as an editor's schema validation sees it (dates are strings)."""
    data = yaml.safe_load(text)
    return json.loads(json.dumps(data, default=lambda o: o.isoformat()))


def test_schema_is_valid_draft_2020_12() -> None:
    jsonschema.Draft202012Validator.check_schema(schema())


def test_docs_have_examples() -> None:
    assert len(_examples()) >= 5


@pytest.mark.parametrize("index", range(len(_examples())))
def test_every_documented_example_validates_and_loads(index: int) -> None:
    text = _examples()[index]
    jsonschema.validate(_as_json(text), schema(), cls=jsonschema.Draft202012Validator)
    document = parse_policy(text)
    assert document.policies and all(p.rules for p in document.policies)


RULE = """\
version: 1
policies:
  - id: p
    rules:
      - id: ok
        action: warn
        when: {kev: true}
      - id: r
        action: stop
        when:
          {body}
"""


def _error(body: str) -> str:
    with pytest.raises(ParseError) as info:
        parse_policy(RULE.replace("{body}", body), "policy.yaml")
    return str(info.value)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "severity: hgh",
            "policy.yaml:11: policies[0].rules[1].when.severity: unknown severity 'hgh' "
            "(expected one of unknown, negligible, low, medium, high, critical)",
        ),
        ("sevrity: high", "policy.yaml:11: policies[0].rules[1].when.sevrity: unknown predicate"),
        ("cvss_v3: 11", "policy.yaml:11: policies[0].rules[1].when.cvss_v3: 11 is out of range"),
        (
            "kev: yes please",
            "policy.yaml:11: policies[0].rules[1].when.kev: expected true or false",
        ),
        ("fix_state: [fixed, broken]", "when.fix_state[1]: unknown fix state 'broken'"),
        ("all: []", "policy.yaml:11: policies[0].rules[1].when.all: `all` needs at least one"),
        ("{kev: true, config_rule: X}", "when: predicates config_rule, kev apply to different"),
        (
            "package: {name: log4j-core, type: maven, version: '<< 2'}",
            "policy.yaml:11: policies[0].rules[1].when.package.version: bad comparison",
        ),
        (
            "package: {name: requests, type: pypi, version: '< not!a!version'}",
            "'not!a!version' is not a valid pypi version",
        ),
        ("exposed_ports: [ssh]", "when.exposed_ports[0]: bad port 'ssh'"),
        ("size_over: lots", "when.size_over: bad size 'lots'"),
        ("base_image_in: ['debian@sha256:xyz']", "bad digest 'sha256:xyz'"),
        ("secret: false", "only `secret: true` is meaningful"),
    ],
)
def test_errors_name_file_line_and_key(body: str, message: str) -> None:
    assert message in _error(body)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("policies: []", "policy.yaml:1: policies: at least one policy is needed"),
        ("policies:\n  - id: a\n    rules: []\nextra: 1", "policy.yaml:4: extra: unknown key"),
        ("version: 2\npolicies: []", "policy.yaml:1: version: unsupported version 2"),
        ("policies:\n  - rules: []", "policy.yaml:2: policies[0]: missing required key 'id'"),
        (
            "policies:\n  - id: a\n    rules: []\n  - id: a\n    rules: []",
            "policy.yaml:4: policies[1].id: duplicate policy id 'a'",
        ),
        ("policies:\n  - id: a\n    id: b", "policy.yaml:3: policies[0].id: duplicate key"),
        (
            "policies:\n  - {id: a, rules: []}\ndefault: b",
            "policy.yaml:3: default: unknown policy 'b' (defined: a)",
        ),
        (
            "policies:\n  - {id: a, rules: []}\nmappings:\n  - {image: 'x/*', policy: c}",
            "policy.yaml:4: mappings[0].policy: unknown policy 'c'",
        ),
        (
            "policies:\n  - {id: a, rules: []}\nexceptions:\n  - {reason: r, owner: o}",
            "policy.yaml:4: exceptions[0]: an exception needs one of vulnerability",
        ),
        (
            "policies:\n  - {id: a, rules: []}\nexceptions:\n"
            "  - {vulnerability: CVE-1, reason: r, owner: o, expires: 2024-13-01}",
            "policy.yaml:4: exceptions[0].expires: expected a date YYYY-MM-DD",
        ),
        ("policies: [\n", "policy.yaml:2: invalid YAML"),
        ("", "policy.yaml:1: the document is empty"),
    ],
)
def test_document_errors(text: str, message: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_policy(text, "policy.yaml")
    assert message in str(info.value)


def test_for_overrides_and_is_checked() -> None:
    text = RULE.replace("{body}", "layer_origin: own").replace(
        "action: stop", "action: stop\n        for: vulnerabilities"
    )
    rule = parse_policy(text).policies[0].rules[1]
    assert rule.scope == "vulnerability"
    bad = RULE.replace("{body}", "license: MIT").replace(
        "action: stop", "action: stop\n        for: vulnerabilities"
    )
    with pytest.raises(ParseError, match="predicates license do not apply to vulnerability"):
        parse_policy(bad)


def test_inferred_scopes() -> None:
    def scope(body: str) -> str:
        return parse_policy(RULE.replace("{body}", body)).policies[0].rules[1].scope

    assert scope("severity: high") == "vulnerability"
    assert scope("package: openssl") == "package"
    assert scope("{package: openssl, kev: true}") == "vulnerability"
    assert scope("{secret: true, user_root: true}") == "secret"
    assert scope("not: {user_root: false}") == "image"


def test_load_policy_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "gate.yaml"
    path.write_text(RULE.replace("{body}", "severity: hgh"))
    with pytest.raises(ParseError, match=r"^gate\.yaml:11: "):
        load_policy(path)
    with pytest.raises(ParseError, match="cannot read policy"):
        load_policy(tmp_path / "missing.yaml")


def test_exception_fields() -> None:
    text = (
        "policies:\n  - {id: a, rules: []}\nexceptions:\n"
        "  - {id: net, vulnerability: CVE-1, package: pkg:golang/x, reason: r, owner: o,"
        " ticket: T-1, expires: 2024-06-30, image: 'registry.example/*'}\n"
    )
    (exc,) = parse_policy(text).exceptions
    assert (exc.label, exc.vulnerability, exc.package, exc.ticket) == (
        "net",
        "CVE-1",
        "pkg:golang/x",
        "T-1",
    )
    assert exc.expires == dt.date(2024, 6, 30)
    assert exc.image is not None and exc.image.matches("registry.example/team:1")

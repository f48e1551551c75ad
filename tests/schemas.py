"""Validators for the standard output formats, all offline: the schemas ship in tests/fixtures."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jsonschema
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from jsonschema import Draft202012Validator
from lxml import etree
from referencing import Registry, Resource
from rfc3986_validator import validate_rfc3986  # type: ignore[import-untyped]
from spdx_tools.spdx.parser.jsonlikedict.json_like_dict_parser import JsonLikeDictParser
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

REPORT_FIXTURES = Path(__file__).resolve().parent / "fixtures" / "report"
SARIF_SCHEMA = REPORT_FIXTURES / "sarif-schema-2.1.0.json"
JUNIT_XSD = REPORT_FIXTURES / "junit.xsd"
GITLAB_SCHEMAS = REPORT_FIXTURES / "gitlab"


@cache
def _cyclonedx_validator() -> jsonschema.Draft7Validator:
    """cyclonedx-python-lib's strict 1.6 validator, with a linear-time IRI reference check.

    jsonschema checks `iri-reference` with an Earley parser that takes ~0.2 s a URL (minutes
    for a scan of a real image); an IRI is checked here as its percent-encoded URI reference.
    """
    checker = jsonschema.FormatChecker()
    checker.checkers = dict(jsonschema.Draft7Validator.FORMAT_CHECKER.checkers)

    @checker.checks("iri-reference")
    def _iri_reference(value: object) -> bool:
        return not isinstance(value, str) or bool(validate_rfc3986(quote(value, safe=_IRI_SAFE)))

    strict = JsonStrictValidator(SchemaVersion.V1_6)._validator  # its schema set and registry
    return strict.evolve(format_checker=checker)  # type: ignore[no-any-return]


_IRI_SAFE = "".join(chr(c) for c in range(0x21, 0x7F))


def cyclonedx_errors(text: str) -> list[str]:
    """CycloneDX 1.6 JSON schema errors (strict: no unknown properties); [] when valid."""
    return [error.message for error in _cyclonedx_validator().iter_errors(json.loads(text))]


def spdx_errors(document: dict[str, Any]) -> list[str]:
    """SPDX 2.3 errors found by spdx-tools' full validation; [] when valid."""
    parsed = JsonLikeDictParser().parse(document)
    return [message.validation_message for message in validate_full_spdx_document(parsed)]


@cache
def _sarif_validator() -> Draft202012Validator:
    return Draft202012Validator(json.loads(SARIF_SCHEMA.read_text(encoding="utf-8")))


def sarif_errors(log: dict[str, Any]) -> list[str]:
    """SARIF 2.1.0 schema errors; [] when valid."""
    return [error.message for error in _sarif_validator().iter_errors(log)]


@cache
def _junit_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(JUNIT_XSD)))


def junit_errors(text: str) -> list[str]:
    """JUnit XML (the common Jenkins/Ant XSD) errors; [] when valid."""
    schema = _junit_schema()
    if schema.validate(etree.fromstring(text.encode("utf-8"))):
        return []
    return [str(error) for error in schema.error_log]


@cache
def gitlab_validator() -> jsonschema.Draft7Validator:
    """The GitLab container scanning report schema (15.x) with its common part resolved."""
    common = json.loads((GITLAB_SCHEMAS / "security-report-format.json").read_text())
    container = json.loads((GITLAB_SCHEMAS / "container-scanning-report-format.json").read_text())
    registry: Registry[Any] = Registry().with_resources(
        [(doc["$id"], Resource.from_contents(doc)) for doc in (common, container)]
    )
    checker = jsonschema.Draft7Validator.FORMAT_CHECKER
    return jsonschema.Draft7Validator(container, registry=registry, format_checker=checker)


def gitlab_errors(report: dict[str, Any]) -> list[str]:
    """GitLab container scanning report schema errors; [] when valid."""
    return [error.message for error in gitlab_validator().iter_errors(report)]

"""User Jinja2 templates (`scan --format template --template FILE`, or `$SIEVERT_TEMPLATE`).

Templates run in Jinja2's sandboxed environment (no access to Python internals, no file or
network access beyond `{% include %}` of files beside the template). Autoescaping is on for
templates whose name has an `.html`, `.htm` or `.xml` suffix (e.g. `table.html.j2`) and off
for everything else (CSV, text, Markdown). The template sees:

- `findings`: a flat dict per vulnerability finding: `id`, `severity`, `package`, `version`,
  `type`, `purl`, `fixed` (versions joined by ', '), `fix_state`, `fix` (versions or the fix
  state in words), `url` (advisory page), `summary`, `layer`, `risk`, `epss`, `kev`,
  `suppressed` (why, '' when active);
- `summary`: findings per severity; `status`: FAIL/WARN/PASS/FINDINGS/CLEAN;
- `report`: the whole `--format json` document (see sievert.report.scan.native);
- `result`: the ScanResult itself; `verdict`: its policy verdict or None;
- `db_warnings`: one line per database source the last `db update` left failed or partial.

Filters: `csv` (quote one CSV field), `vuln_url` (advisory URL of an id).
Examples: contrib/templates/.

Bounds (`sievert.limits`): the template file's size, the rendered output's size and any string
or list built with `*`; `**` takes small exponents only; runaway recursion (a macro calling
itself) is an error naming the template, as is a template that is not UTF-8 text.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

import jinja2
import msgspec
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from sievert.errors import LimitError, UsageError
from sievert.limits import TEMPLATE_OUTPUT, TEMPLATE_SIZE
from sievert.model.finding import Finding, ScanResult
from sievert.report.base import tool_version
from sievert.report.scan.common import (
    db_warnings,
    fix_label,
    layer_text,
    severity_counts,
    vulnerability_url,
)
from sievert.report.scan.native import scan_document
from sievert.report.verdict_view import (
    Suppressions,
    active_findings,
    describe_suppression,
    status_word,
)

TEMPLATE_ENV = "SIEVERT_TEMPLATE"
ESCAPED_SUFFIXES = {".html", ".htm", ".xml"}


def csv_field(value: object) -> str:
    """One CSV field: quoted (doubling quotes) when it holds a comma, quote or line break."""
    text = "" if value is None else str(value)
    if any(ch in text for ch in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def wants_escaping(name: str | None) -> bool:
    """Autoescape for HTML/XML templates: any suffix of the name is .html, .htm or .xml."""
    return bool(name) and bool(ESCAPED_SUFFIXES & {s.lower() for s in Path(name or "").suffixes})


def finding_row(finding: Finding, result: ScanResult, suppressions: Suppressions) -> dict[str, Any]:
    """The flat view of one finding templates iterate over."""
    vuln, pkg = finding.vulnerability, finding.package
    suppression = suppressions.vulnerability(finding)
    return {
        "id": finding.id,
        "severity": finding.severity,
        "package": pkg.name,
        "version": pkg.version,
        "type": pkg.type,
        "purl": pkg.purl,
        "fixed": ", ".join(finding.fixed_versions),
        "fix_state": finding.fix_state,
        "fix": fix_label(finding),
        "url": vulnerability_url(finding.id),
        "summary": vuln.summary,
        "layer": layer_text(result.inventory.image, pkg.introduced_by),
        "risk": finding.risk,
        "epss": vuln.epss_score,
        "kev": bool(vuln.kev_date_added),
        "suppressed": describe_suppression(suppression) if suppression else "",
    }


def template_context(result: ScanResult, version: str) -> dict[str, Any]:
    """Everything a template can use."""
    suppressions = Suppressions.of(result)
    active = active_findings(result)
    return {
        "findings": [finding_row(f, result, suppressions) for f in result.findings],
        "summary": severity_counts(active),
        "status": status_word(result, len(active)),
        "report": scan_document(result, version),
        "result": result,
        "verdict": result.verdict,
        "db_warnings": db_warnings(result),
    }


MAX_EXPONENT = 1024
"""Largest exponent `**` accepts in a template (bigger ones can take minutes to compute)."""


class BoundedSandbox(SandboxedEnvironment):
    """Jinja2's sandbox, refusing `*` results past TEMPLATE_OUTPUT and huge `**` exponents."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(
        self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any
    ) -> Any:
        """Check the size of a repeat and the exponent of a power, then compute them."""
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, str | list | tuple) and isinstance(times, int):
                    TEMPLATE_OUTPUT.check(len(seq) * times, "template")
        elif isinstance(right, int | float) and abs(right) > MAX_EXPONENT:
            raise SecurityError(f"exponent {right} is over {MAX_EXPONENT}")
        return super().call_binop(context, operator, left, right)


class BoundedLoader(jinja2.FileSystemLoader):
    """Loads templates from a folder, refusing files over TEMPLATE_SIZE."""

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        """The template's text, read within the size bound."""
        source, filename, uptodate = super().get_source(environment, template)
        TEMPLATE_SIZE.check(len(source), f"template {filename}")
        return source, filename, uptodate


def environment(directory: Path) -> SandboxedEnvironment:
    """The sandboxed environment loading templates from `directory`."""
    env = BoundedSandbox(
        loader=BoundedLoader(str(directory)),
        autoescape=wants_escaping,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["csv"] = csv_field
    env.filters["vuln_url"] = vulnerability_url
    return env


def render(path: Path, result: ScanResult, version: str) -> str:
    """Render the template file at `path`; UsageError naming the file on any template error."""
    if not path.is_file():
        raise UsageError(f"template {path}: no such file")
    TEMPLATE_SIZE.check(path.stat().st_size, f"template {path}")
    try:
        template = environment(path.parent).get_template(path.name)
        return _bounded_render(template, template_context(result, version))
    except jinja2.TemplateError as exc:
        line = getattr(exc, "lineno", None)
        where = f"{path}:{line}" if line else str(path)
        raise UsageError(f"template {where}: {exc}") from exc
    except LimitError as exc:
        raise exc.at(f"template {path}") from None
    except UnicodeDecodeError as exc:
        raise UsageError(f"template {path}: not UTF-8 text ({exc.reason})") from None
    except RecursionError:
        raise UsageError(f"template {path}: recursion too deep (a macro calling itself?)") from None
    except MemoryError:
        raise UsageError(f"template {path}: rendering needs more memory than available") from None


def _bounded_render(template: jinja2.Template, context: dict[str, Any]) -> str:
    """Render chunk by chunk, refusing more than TEMPLATE_OUTPUT characters."""
    bound = TEMPLATE_OUTPUT.value()
    parts: list[str] = []
    size = 0
    for chunk in template.generate(context):
        size += len(chunk)
        if size > bound:
            raise TEMPLATE_OUTPUT.error("template", bound)
        parts.append(chunk)
    return "".join(parts)


class TemplateWriter(msgspec.Struct, frozen=True):
    """Renders a user template; `template` overrides `$SIEVERT_TEMPLATE`."""

    template: str = ""
    version: Callable[[], str] = msgspec.field(default=tool_version)
    name: str = "template"
    media_type: str = "text/plain"

    def write(self, result: ScanResult, out: TextIO) -> None:
        """Render the template to `out`."""
        chosen = self.template or os.environ.get(TEMPLATE_ENV, "")
        if not chosen:
            raise UsageError(f"the template format needs --template FILE (or ${TEMPLATE_ENV})")
        out.write(render(Path(chosen), result, self.version()))

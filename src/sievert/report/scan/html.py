"""Self-contained HTML report (`scan --format html`): one file, inline CSS, JS and SVG charts.

Sections: the verdict (status word, triggered rules, suppressions), charts of the active
findings by severity, by fix state and by layer, the layers with the packages and findings each
introduced, the findings table (severity filter buttons, text search, fixed-only toggle,
sortable columns, links to the advisories), then config and secret findings. Nothing is
loaded from the network; rows are rendered server-side so the page reads without JavaScript.
The template is `templates/report.html.j2`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from html import escape
from importlib import resources
from typing import Any, TextIO

import jinja2
import msgspec
from markupsafe import Markup

from sievert.model.finding import Finding, ScanResult
from sievert.model.image import LayerInfo
from sievert.model.severity import MOST_SEVERE_FIRST
from sievert.report.base import Stamp
from sievert.report.scan.common import (
    db_warnings,
    describe,
    fix_label,
    severity_notes,
    vulnerability_url,
)
from sievert.report.verdict_view import (
    Suppressions,
    active_findings,
    describe_suppression,
    status_word,
)

COLORS = {
    "critical": "#7b1fa2",
    "high": "#c62828",
    "medium": "#ef6c00",
    "low": "#f9a825",
    "negligible": "#78909c",
    "unknown": "#9e9e9e",
}
FIX_COLORS = {"fixed": "#2e7d32", "affected": "#c62828"}
_BAR_HEIGHT = 22
_LABEL_WIDTH = 190
_BAR_WIDTH = 260


def bar_chart(title: str, items: list[tuple[str, int, str]]) -> Markup:
    """A horizontal bar chart as inline SVG: one (label, count, colour) per bar."""
    height = max(1, len(items)) * _BAR_HEIGHT + 8
    width = _LABEL_WIDTH + _BAR_WIDTH + 60
    top = max((count for _, count, _ in items), default=0) or 1
    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for row, (label, count, color) in enumerate(items):
        y = 4 + row * _BAR_HEIGHT
        length = round(_BAR_WIDTH * count / top)
        short = label if len(label) <= 28 else label[:27] + "…"
        parts.append(
            f'<g class="bar" data-label="{escape(label)}" data-count="{count}">'
            f'<text x="0" y="{y + 15}">{escape(short)}</text>'
            f'<rect x="{_LABEL_WIDTH}" y="{y + 3}" width="{length}" height="{_BAR_HEIGHT - 6}" '
            f'fill="{color}"><title>{escape(label)}: {count}</title></rect>'
            f'<text x="{_LABEL_WIDTH + length + 6}" y="{y + 15}">{count}</text></g>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 every text above went through html.escape


def severity_chart(findings: list[Finding]) -> Markup:
    """Active findings per severity, critical first."""
    counts = Counter(f.severity for f in findings)
    items = [(str(s), counts.get(s, 0), COLORS[s]) for s in MOST_SEVERE_FIRST]
    return bar_chart("Findings by severity", items)


def fix_chart(findings: list[Finding]) -> Markup:
    """Active findings per fix state, most common first."""
    counts = Counter(f.fix_state for f in findings)
    items = [(s, n, FIX_COLORS.get(s, "#607d8b")) for s, n in counts.most_common()]
    return bar_chart("Findings by fix state", items)


def layer_label(layer: LayerInfo) -> str:
    """`#index created_by` on one line."""
    return f"#{layer.index} {' '.join(layer.created_by.split()) or layer.digest}".strip()


def layer_chart(result: ScanResult, findings: list[Finding]) -> Markup:
    """Active findings per introducing layer, in layer order."""
    counts = Counter(f.package.introduced_by for f in findings)
    layers = result.inventory.image.layers
    items = [(layer_label(x), counts.get(x.index, 0), "#1565c0") for x in layers]
    if counts.get(-1):
        items.append(("unknown layer", counts[-1], "#9e9e9e"))
    return bar_chart("Findings by layer", items)


def finding_view(finding: Finding, suppressions: Suppressions) -> dict[str, Any]:
    """One row of the findings table."""
    vuln, pkg = finding.vulnerability, finding.package
    suppression = suppressions.vulnerability(finding)
    ids = list(dict.fromkeys((vuln.id, *vuln.aliases)))
    text = " ".join((*ids, pkg.name, pkg.version, pkg.type, vuln.summary, *finding.fixed_versions))
    return {
        "id": finding.id,
        "links": [(i, vulnerability_url(i)) for i in ids],
        "severity": finding.severity if finding.severity in COLORS else "unknown",
        "rank": finding.severity.rank,
        "package": pkg.name,
        "version": pkg.version,
        "type": pkg.type,
        "fixed": bool(finding.fixed_versions),
        "fix": fix_label(finding),
        "layer": pkg.introduced_by,
        "risk": finding.risk,
        "epss": vuln.epss_score,
        "kev": bool(vuln.kev_date_added),
        "summary": vuln.summary or describe(vuln),
        "suppressed": describe_suppression(suppression) if suppression else "",
        "search": text.lower(),
    }


def layers_view(result: ScanResult, active: list[Finding]) -> list[dict[str, Any]]:
    """Each layer with the packages and the active findings it introduced."""
    views = []
    for layer in result.inventory.image.layers:
        packages = [p for p in result.inventory.packages if p.introduced_by == layer.index]
        found = [f for f in active if f.package.introduced_by == layer.index]
        counts = Counter(f.severity for f in found)
        views.append(
            {
                "index": layer.index,
                "digest": layer.digest,
                "created_by": " ".join(layer.created_by.split()),
                "size": layer.size,
                "packages": sorted(f"{p.name} {p.version}".strip() for p in packages),
                "findings": len(found),
                "by_severity": [(s, counts[s]) for s in MOST_SEVERE_FIRST if counts.get(s)],
            }
        )
    return views


def report_context(result: ScanResult, stamp: Stamp) -> dict[str, Any]:
    """Everything the template renders."""
    suppressions = Suppressions.of(result)
    active = active_findings(result)
    counts = Counter(f.severity for f in active)
    return {
        "image": result.inventory.image,
        "distro": result.inventory.distro,
        "stamp": stamp,
        "status": status_word(result, len(active)),
        "verdict": result.verdict,
        "severities": [(s, counts.get(s, 0), COLORS[s]) for s in MOST_SEVERE_FIRST],
        "charts": [
            ("By severity", severity_chart(active)),
            ("By fix state", fix_chart(active)),
            ("By layer", layer_chart(result, active)),
        ],
        "layers": layers_view(result, active),
        "findings": [finding_view(f, suppressions) for f in result.findings],
        "active_count": len(active),
        "config": [(f, suppressions.check(f)) for f in result.config_findings],
        "secrets": [(f, suppressions.secret(f)) for f in result.secret_findings],
        "scanners": result.scanners,
        "db_built": result.db_built,
        "db_warnings": db_warnings(result),
        "notes": severity_notes(active, result),
    }


def _template() -> jinja2.Template:
    text = resources.files("sievert.report").joinpath("templates/report.html.j2").read_text()
    env = jinja2.Environment(autoescape=True, keep_trailing_newline=True)
    env.filters["vuln_url"] = vulnerability_url
    return env.from_string(text)


def render_html(result: ScanResult, stamp: Stamp) -> str:
    """The whole HTML document."""
    return _template().render(report_context(result, stamp))


class HtmlWriter(msgspec.Struct, frozen=True):
    """Writes the self-contained HTML report."""

    stamp: Callable[[], Stamp] = msgspec.field(default=Stamp.fresh)
    name: str = "html"
    media_type: str = "text/html"

    def write(self, result: ScanResult, out: TextIO) -> None:
        """Write the HTML document."""
        out.write(render_html(result, self.stamp()))

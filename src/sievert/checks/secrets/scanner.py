"""The secret scan inside the layer walk: an Extractor per file, findings from every layer.

During the walk, `reduce` runs the engine on each file of each layer and keeps only compact
redacted matches (the secret itself never reaches the layer cache). Afterwards `findings` reads
those summaries from *every* layer's index, not only the squashed view, because a file deleted or
overwritten by a later layer still ships inside the image; such findings are `deleted_later`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from sievert.checks.secrets.engine import SecretConfig, SecretEngine, SecretMatch
from sievert.checks.secrets.rules import RULES_BY_ID
from sievert.model import LayerInfo
from sievert.model.checks import Region, SecretFinding
from sievert.source.capture import Extractor
from sievert.source.view import FileView

EXTRACTOR_NAME = "secrets"


def encode(matches: list[SecretMatch]) -> bytes:
    """Compact JSON of redacted matches: [[rule id, start line, end line, redacted line]]."""
    rows = [[m.rule_id, m.start_line, m.end_line, m.redacted] for m in matches]
    return json.dumps(rows, separators=(",", ":"), ensure_ascii=False).encode()


def decode(data: bytes) -> list[SecretMatch]:
    """Inverse of `encode`; rows of unknown shape are dropped."""
    rows = json.loads(data)
    return [SecretMatch(str(r[0]), int(r[1]), int(r[2]), str(r[3])) for r in rows if len(r) == 4]


class SecretScanner:
    """Secret scanning for the pipeline: the extractor to add to the walk, then the findings."""

    def __init__(self, config: SecretConfig | None = None) -> None:
        self.config = config if config is not None else SecretConfig()
        self.engine = SecretEngine(config=self.config)

    @property
    def version(self) -> str:
        """Names the rules and configuration: part of the capture spec's version."""
        return f"{EXTRACTOR_NAME}:{self.config.digest()}"

    def extractor(self) -> Extractor:
        """The walk extractor: every regular file up to the size bound."""
        return Extractor(EXTRACTOR_NAME, ("**",), self.reduce, max_size=self.config.max_size)

    def reduce(self, path: str, data: bytes) -> bytes | None:
        """Redacted matches of one file as compact JSON, or None when it holds no secret."""
        matches = self.engine.scan(path, data)
        return encode(matches) if matches else None

    def findings(
        self, layers: Iterable[tuple[LayerInfo, dict[str, dict[str, bytes]]]], view: FileView
    ) -> tuple[SecretFinding, ...]:
        """Findings from each layer's extractor summaries, marked when a later layer hid them."""
        out: list[SecretFinding] = []
        for layer, extracts in layers:
            for path in sorted(extracts):
                summary = extracts[path].get(EXTRACTOR_NAME)
                if summary is None:
                    continue
                hidden = _hidden_later(view, path, layer.index)
                out.extend(_finding(m, path, layer, hidden) for m in decode(summary))
        return tuple(out)


def _hidden_later(view: FileView, path: str, layer: int) -> bool:
    record = view.record(path)
    return record is None or record.layer_index != layer


def _finding(match: SecretMatch, path: str, layer: LayerInfo, hidden: bool) -> SecretFinding:
    rule = RULES_BY_ID[match.rule_id].rule
    region = Region("/" + path, match.start_line, match.end_line, layer.index)
    return SecretFinding(
        rule=rule,
        region=region,
        layer_digest=layer.digest,
        redacted=match.redacted,
        deleted_later=hidden,
        severity=rule.severity,
    )

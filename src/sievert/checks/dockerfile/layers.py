"""Map image layers to the final stage's instructions that created them (`scan --dockerfile`).

History `created_by` texts come in several dialects: the classic builder
(`/bin/sh -c #(nop) COPY file:abc in /app`, `|2 A=1 B=2 /bin/sh -c apt-get ...`) and BuildKit
(`RUN /bin/sh -c apt-get ... # buildkit`, `COPY . /app # buildkit`, `RUN |1 V=2 /bin/sh -c ...`).
The match runs backwards from the last layer, since the final stage's instructions make the
top of the image and the base image's layers the bottom; a layer matching nothing (a base
layer) is left out.
"""

from __future__ import annotations

import json
import re

from sievert.checks.dockerfile.syntax import Dockerfile, Instruction

LAYER_KEYWORDS = ("RUN", "COPY", "ADD", "WORKDIR")
_SHELL_PREFIX = re.compile(r"^(?:/bin/(?:ba)?sh|sh|cmd /S /C|powershell(?: -Command)?) (?:-c )?")
_ARG_PREFIX = re.compile(r"^\|(\d+) ")
_NOP = re.compile(r"^#\(nop\)\s*")
_BUILDKIT_SUFFIX = re.compile(r"\s*# buildkit\s*$")
_KEYWORD = re.compile(r"^(RUN|COPY|ADD|WORKDIR)\b\s*(.*)$", re.DOTALL)
_CLASSIC_COPY = re.compile(r"^(?:file|dir|multi):[0-9a-f]+ in (.+)$|^.* in (\S+)\s*$")


def _strip_args(text: str) -> str:
    """Drop a `|N A=1 B=2 ` build-arg prefix."""
    match = _ARG_PREFIX.match(text)
    if match is None:
        return text
    rest = text[match.end() :]
    for _ in range(int(match.group(1))):
        rest = rest.split(" ", 1)[1] if " " in rest else ""
    return rest


def parse_history(created_by: str) -> tuple[str, str]:
    """(keyword, body) of a history entry: ('RUN', 'apt-get update'), ('COPY', '. /app')."""
    text = _BUILDKIT_SUFFIX.sub("", created_by.strip())
    match = _KEYWORD.match(text)
    if match is not None:
        keyword, body = match.group(1), match.group(2)
        if keyword == "RUN":
            body = _SHELL_PREFIX.sub("", _strip_args(body), count=1)
        return keyword, body.strip()
    text = _SHELL_PREFIX.sub("", _strip_args(text), count=1)
    nop = _NOP.match(text)
    if nop is not None:
        inner = _KEYWORD.match(text[nop.end() :])
        return (inner.group(1), inner.group(2).strip()) if inner else ("", text)
    return "RUN", text.strip()


def _flat(text: str) -> str:
    return " ".join(text.split())


def _run_texts(instruction: Instruction) -> set[str]:
    texts = {_flat(instruction.arguments), _flat(instruction.expanded)}
    if instruction.json_form:
        argv = json.loads(instruction.expanded)
        texts.add(_flat(" ".join(argv)))
        if len(argv) >= 3 and argv[1] == "-c":
            texts.add(_flat(argv[2]))
    return texts


def _destination(instruction: Instruction) -> str:
    if instruction.json_form:
        items: list[str] = json.loads(instruction.expanded)
        return items[-1] if items else ""
    parts = instruction.expanded.split()
    return parts[-1] if parts else ""


def matches(keyword: str, body: str, instruction: Instruction) -> bool:
    """The history entry (keyword, body) is the trace of `instruction`."""
    if keyword != instruction.keyword:
        return False
    if keyword == "RUN":
        flat = _flat(body)
        return any(
            flat == text or (text and flat.startswith(text)) for text in _run_texts(instruction)
        )
    if keyword == "WORKDIR":
        return _flat(body) == _flat(instruction.expanded)
    classic = _CLASSIC_COPY.match(body)
    target = (classic.group(1) or classic.group(2)) if classic else body.split()[-1] if body else ""
    wanted = _destination(instruction)
    return not target or not wanted or target.rstrip("/") == wanted.rstrip("/")


def map_layers(
    dockerfile: Dockerfile, history: tuple[tuple[str, bool], ...]
) -> dict[int, Instruction]:
    """Layer index (over non-empty history entries) -> the final stage instruction that made it."""
    candidates = [i for i in dockerfile.final_stage.instructions if i.keyword in LAYER_KEYWORDS]
    layers = [created_by for created_by, empty in history if not empty]
    mapping: dict[int, Instruction] = {}
    pointer = len(candidates)
    for layer_index in range(len(layers) - 1, -1, -1):
        keyword, body = parse_history(layers[layer_index])
        for position in range(pointer - 1, -1, -1):
            if matches(keyword, body, candidates[position]):
                mapping[layer_index] = candidates[position]
                pointer = position
                break
        if pointer == 0:
            break
    return mapping

"""Mapping image layers (history) back to the final stage's instructions."""

from __future__ import annotations

import pytest

from sievert.checks.dockerfile.layers import map_layers, parse_history
from sievert.checks.dockerfile.parser import parse_dockerfile

DOCKERFILE = """\
ARG V=1
FROM golang:1.22 AS build
RUN go build -o /out ./...
FROM debian:12
ARG V
WORKDIR /app
RUN apt-get update && \\
    apt-get install -y curl
COPY --from=build /out /usr/bin/
COPY . /app
RUN ["/app/setup", "--fast"]
CMD ["/usr/bin/out"]
"""


def lines(history: tuple[tuple[str, bool], ...]) -> dict[int, int]:
    mapping = map_layers(parse_dockerfile(DOCKERFILE, "Dockerfile"), history)
    return {index: instruction.start_line for index, instruction in mapping.items()}


def test_buildkit_history() -> None:
    history = (
        ("/bin/sh -c #(nop) ADD file:4a5 in / ", False),
        ('/bin/sh -c #(nop)  CMD ["bash"]', True),
        ("ARG V=1", True),
        ("WORKDIR /app", False),
        ("RUN |1 V=1 /bin/sh -c apt-get update &&     apt-get install -y curl # buildkit", False),
        ("COPY /out /usr/bin/ # buildkit", False),
        ("COPY . /app # buildkit", False),
        ("RUN /app/setup --fast # buildkit", False),
        ('CMD ["/usr/bin/out"]', True),
    )
    assert lines(history) == {1: 6, 2: 7, 3: 9, 4: 10, 5: 11}


def test_classic_builder_history() -> None:
    history = (
        ("/bin/sh -c #(nop) ADD file:4a5 in / ", False),
        ("/bin/sh -c apt-get update &&     apt-get install -y curl", False),
        ("/bin/sh -c #(nop) COPY file:9f8 in /usr/bin/ ", False),
        ("/bin/sh -c #(nop) COPY dir:7e6 in /app ", False),
        ("/app/setup --fast", False),
    )
    assert lines(history) == {1: 7, 2: 9, 3: 10, 4: 11}


def test_base_layers_and_unknown_entries_are_unmapped() -> None:
    history = (
        ("/bin/sh -c apt-get install -y vim", False),
        ("COPY . /elsewhere # buildkit", False),
    )
    assert lines(history) == {}


@pytest.mark.parametrize(
    ("created_by", "expected"),
    [
        ("RUN /bin/sh -c echo hi # buildkit", ("RUN", "echo hi")),
        ("|2 A=1 B=2 /bin/sh -c make", ("RUN", "make")),
        ("/bin/sh -c #(nop) WORKDIR /app", ("WORKDIR", "/app")),
        ("COPY a b # buildkit", ("COPY", "a b")),
        ("/bin/sh -c #(nop)  EXPOSE 80", ("", "#(nop)  EXPOSE 80")),
    ],
)
def test_parse_history(created_by: str, expected: tuple[str, str]) -> None:
    assert parse_history(created_by) == expected

"""The parsed Dockerfile: frozen records (`msgspec.Struct`), built by `parser.parse_dockerfile`."""

from __future__ import annotations

import json

import msgspec


class Heredoc(msgspec.Struct, frozen=True):
    """One here-document of a RUN, COPY or ADD (`<<EOF`, `<<-EOF`, `<<"EOF"`)."""

    delimiter: str
    body: str
    """The lines between the marker line and the delimiter, tabs stripped for `<<-`."""
    strip_tabs: bool
    quoted: bool
    """The delimiter was quoted: no variable expansion in the body."""
    start_line: int
    end_line: int


class Problem(msgspec.Struct, frozen=True):
    """An instruction the builder would reject or could not resolve; parsing went on past it."""

    start_line: int
    end_line: int
    message: str
    text: str = ""
    """The first source line of the instruction ('' when the problem is file-wide)."""


class Instruction(msgspec.Struct, frozen=True):
    """One Dockerfile instruction, with its exact line span."""

    keyword: str
    """Upper case: 'RUN', 'FROM', ..."""
    arguments: str
    """Text after the keyword and its flags, continuation lines joined (heredoc bodies apart)."""
    flags: tuple[tuple[str, str], ...]
    """Leading `--name=value` flags in order (value '' for a bare `--link`)."""
    json_form: bool
    """The arguments are a JSON array (exec form)."""
    heredocs: tuple[Heredoc, ...]
    start_line: int
    end_line: int
    original: str
    """The source lines of the instruction as written."""
    expanded: str
    """`arguments` with the ARG and ENV values known at this point substituted."""
    comments: tuple[tuple[int, str], ...] = ()
    """Comment lines (number, text) just before the instruction or inside its continuation."""

    def flag(self, name: str) -> str | None:
        """The value of the last `--name` flag, None when absent."""
        found = None
        for key, value in self.flags:
            if key == name:
                found = value
        return found

    def exec_args(self) -> tuple[str, ...]:
        """The JSON array of an exec-form instruction, () in shell form."""
        if not self.json_form:
            return ()
        return tuple(json.loads(self.expanded))


class Stage(msgspec.Struct, frozen=True):
    """One build stage: its FROM and the instructions up to the next FROM."""

    name: str
    """The `AS` name in lower case, '' when unnamed."""
    index: int
    base: str
    """The image or earlier stage named in FROM, variables expanded."""
    instructions: tuple[Instruction, ...]
    """Every instruction of the stage, its FROM first."""
    base_stage: int = -1
    """Index of the earlier stage this one builds on, -1 when `base` is an image."""

    @property
    def from_instruction(self) -> Instruction:
        """The stage's FROM."""
        return self.instructions[0]


class Dockerfile(msgspec.Struct, frozen=True):
    """A parsed Dockerfile."""

    path: str
    stages: tuple[Stage, ...]
    directives: tuple[tuple[str, str], ...]
    """Parser directives at the top (`syntax`, `escape`, `check`), lower-case names."""
    args: tuple[Instruction, ...]
    """The global ARG instructions, before the first FROM."""
    problems: tuple[Problem, ...] = ()
    """Invalid or unresolvable instructions, in line order (SV-DF-033 reports them)."""

    @property
    def final_stage(self) -> Stage:
        """The last stage: what `docker build` produces without `--target`."""
        return self.stages[-1]

    def directive(self, name: str) -> str | None:
        """The value of a parser directive, None when absent."""
        return dict(self.directives).get(name)

    def instructions(self) -> tuple[Instruction, ...]:
        """Every instruction in file order, global ARGs first."""
        return self.args + tuple(i for stage in self.stages for i in stage.instructions)

    def stage_named(self, name: str, before: int) -> Stage | None:
        """The stage called `name` (or numbered `name`) defined before stage index `before`."""
        for stage in self.stages[:before]:
            if stage.name == name.lower() or str(stage.index) == name:
                return stage
        return None

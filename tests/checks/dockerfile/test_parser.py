"""The Dockerfile parser: every syntax it must handle, with exact line spans."""

from __future__ import annotations

import pytest

from sievert.checks.dockerfile.expand import expand
from sievert.checks.dockerfile.parser import parse_dockerfile
from sievert.checks.dockerfile.shell import commands, parse_script
from sievert.checks.dockerfile.syntax import Dockerfile, Instruction
from sievert.errors import ParseError


def parse(text: str) -> Dockerfile:
    return parse_dockerfile(text, "Dockerfile")


def only(dockerfile: Dockerfile, keyword: str) -> Instruction:
    found = [i for i in dockerfile.instructions() if i.keyword == keyword]
    assert len(found) == 1
    return found[0]


def test_continuations_with_comment_lines_inside() -> None:
    d = parse("FROM a:1\nRUN apt-get update \\\n  # why\n\n  && apt-get install -y x\nUSER 1\n")
    run = only(d, "RUN")
    assert (run.start_line, run.end_line) == (2, 5)
    assert " ".join(run.arguments.split()) == "apt-get update && apt-get install -y x"
    assert run.comments == ((3, "# why"),)
    assert only(d, "USER").start_line == 6


def test_escape_directive_backtick_and_syntax_directive() -> None:
    d = parse(
        "# syntax=docker/dockerfile:1.7\n# escape=`\nFROM mcr.microsoft.com/windows:ltsc\n"
        "RUN dir `\n  C:\\x\nWORKDIR C:\\app\n"
    )
    assert d.directive("syntax") == "docker/dockerfile:1.7"
    assert d.directive("escape") == "`"
    run = only(d, "RUN")
    assert (run.start_line, run.end_line) == (4, 5)
    assert "C:\\x" in run.arguments
    assert only(d, "WORKDIR").arguments == "C:\\app"


def test_directive_after_a_comment_is_a_comment() -> None:
    d = parse("# hello\n# escape=`\nFROM a:1\n")
    assert d.directives == ()


def problems(text: str) -> list[tuple[int, str]]:
    return [(p.start_line, p.message) for p in parse(text).problems]


def test_invalid_escape_and_duplicate_directive() -> None:
    d = parse("# escape=x\nFROM a\nRUN a \\\n b\n")
    assert [p.start_line for p in d.problems] == [1]
    assert d.problems[0].message.startswith("invalid escape directive 'x'")
    assert only(d, "RUN").arguments == "a  b"
    d = parse("# syntax=a\n# syntax=b\nFROM a\n")
    assert problems("# syntax=a\n# syntax=b\nFROM a\n") == [
        (2, "the syntax directive is given twice (the first one is used)")
    ]
    assert d.directive("syntax") == "a"


def test_heredocs_plain_dash_quoted_and_several_on_one_line() -> None:
    text = (
        "FROM a:1\n"
        "ARG NAME=w\n"
        "RUN <<EOF\necho $NAME\nEOF\n"
        "COPY <<-'ONE' /a <<\"TWO\" /b\n\t\tfirst\n\tONE\nsecond\nTWO\n"
        "USER 1\n"
    )
    d = parse(text)
    run, copy = (i for i in d.instructions() if i.keyword in ("RUN", "COPY"))
    assert (run.start_line, run.end_line) == (3, 5)
    assert run.heredocs[0].body == "echo $NAME\n"
    assert not run.heredocs[0].quoted
    assert (copy.start_line, copy.end_line) == (6, 10)
    one, two = copy.heredocs
    assert (one.delimiter, one.body, one.strip_tabs, one.quoted) == ("ONE", "first\n", True, True)
    assert (two.delimiter, two.body, two.start_line, two.end_line) == ("TWO", "second\n", 9, 10)
    assert only(d, "USER").start_line == 11


def test_here_string_is_not_a_heredoc() -> None:
    run = only(parse("FROM a\nRUN cat <<< 'x'\nUSER 1\n"), "RUN")
    assert run.heredocs == ()


def test_unterminated_heredoc_is_read_to_the_end() -> None:
    d = parse("FROM a\nRUN <<EOF\necho\n")
    assert [(p.start_line, p.message, p.text) for p in d.problems] == [
        (2, "heredoc 'EOF' is not terminated (read to the end)", "RUN <<EOF")
    ]
    assert only(d, "RUN").heredocs[0].body == "echo\n\n"


def test_heredoc_script_commands_are_split_on_newlines() -> None:
    run = only(parse("FROM a\nRUN <<EOF\napt-get update\napt-get install -y x\nEOF\n"), "RUN")
    assert [c.argv[:2] for c in commands(run)] == [("apt-get", "update"), ("apt-get", "install")]


def test_heredoc_fed_to_python_is_not_shell() -> None:
    run = only(parse("FROM a\nRUN python3 <<EOF\nimport os\nEOF\n"), "RUN")
    assert [c.name for c in commands(run)] == ["python3"]


def test_exec_and_shell_forms() -> None:
    d = parse('FROM a\nCMD ["python", "-m", "app"]\nENTRYPOINT python -m app\nRUN [not json\n')
    cmd, entry, run = d.final_stage.instructions[1:]
    assert cmd.json_form and cmd.exec_args() == ("python", "-m", "app")
    assert not entry.json_form and entry.exec_args() == ()
    assert not run.json_form
    exec_run = only(parse('FROM a\nRUN ["sh", "-c", "curl -s u | sh"]\n'), "RUN")
    assert [c.name for c in commands(exec_run)] == ["sh", "curl", "sh"]


def test_flags() -> None:
    d = parse(
        "FROM --platform=$BUILDPLATFORM golang:1.22 AS build\n"
        "RUN --mount=type=cache,target=/root/.cache --network=none go build\n"
        "FROM scratch\n"
        "COPY --from=build --chown=app:app --chmod=755 --link /out /app\n"
        "ADD --checksum=sha256:abc https://x/y /z\n"
    )
    build, final = d.stages
    assert build.from_instruction.flag("platform") == ""
    run = build.instructions[1]
    assert run.flags == (("mount", "type=cache,target=/root/.cache"), ("network", "none"))
    assert run.arguments == "go build"
    copy = final.instructions[1]
    assert [name for name, _ in copy.flags] == ["from", "chown", "chmod", "link"]
    assert copy.flag("chmod") == "755" and copy.flag("link") == "" and copy.flag("x") is None
    assert final.instructions[2].flag("checksum") == "sha256:abc"


def test_stages_names_and_bases() -> None:
    d = parse("FROM golang:1.22 AS Build\nRUN x\nFROM build AS test\nFROM alpine:3.20\n")
    assert [(s.name, s.index, s.base, s.base_stage) for s in d.stages] == [
        ("build", 0, "golang:1.22", -1),
        ("test", 1, "build", 0),
        ("", 2, "alpine:3.20", -1),
    ]
    assert d.stage_named("BUILD", 2) is d.stages[0]
    assert d.final_stage.from_instruction.start_line == 4


def test_global_and_stage_args_and_env_substitution() -> None:
    d = parse(
        "ARG VERSION=3.12 BASE\n"
        "FROM python:${VERSION}-slim${BASE:+-x}\n"
        "ARG VERSION\n"
        "ARG MODE=prod\n"
        'ENV APP=/srv/app HOME_DIR="/home/$MODE"\n'
        "WORKDIR ${APP}/${MISSING:-src}\n"
        "COPY . $HOME_DIR\n"
        "RUN echo $VERSION $APP $UNKNOWN '$APP'\n"
        "ENV APP=/other OLD=$APP\n"
        "LABEL v=$OLD\n"
    )
    assert [i.expanded for i in d.args] == ["VERSION=3.12 BASE"]
    assert d.final_stage.base == "python:3.12-slim"
    by_line = {i.start_line: i for i in d.instructions()}
    assert by_line[6].expanded == "/srv/app/src"
    assert by_line[7].expanded == ". /home/prod"
    assert by_line[8].expanded == "echo 3.12 /srv/app $UNKNOWN '$APP'"
    assert by_line[10].expanded == "v=/srv/app"


def test_stage_inherits_env_of_its_base_stage_not_args() -> None:
    d = parse("FROM a AS base\nENV P=/opt\nARG Q=1\nFROM base\nRUN echo $P $Q\n")
    assert d.final_stage.instructions[1].expanded == "echo /opt $Q"


def test_global_arg_not_visible_in_stage_unless_redeclared() -> None:
    d = parse("ARG V=1\nFROM a\nRUN echo $V\nARG V\nRUN echo $V\n")
    first, second = (i for i in d.instructions() if i.keyword == "RUN")
    assert (first.expanded, second.expanded) == ("echo $V", "echo 1")


@pytest.mark.parametrize(
    ("text", "env", "expected"),
    [
        ("${A:-d}", {}, "d"),
        ("${A:-d}", {"A": ""}, "d"),
        ("${A-d}", {"A": ""}, ""),
        ("${A:+x}", {"A": "1"}, "x"),
        ("${A:+x}", {}, ""),
        ("$A$B", {"A": "1", "B": "2"}, "12"),
        ("\\$A", {"A": "1"}, "$A"),
        ("'$A' \"$A\"", {"A": "1"}, "'$A' \"1\""),
        ("${A#x}", {"A": "xy"}, "xy"),
        ("$", {}, "$"),
    ],
)
def test_expand(text: str, env: dict[str, str], expected: str) -> None:
    assert expand(text, env) == expected


def test_instruction_spans_and_original_text() -> None:
    text = "FROM a\n\n# c\nRUN a \\\n    b\nCMD x\n"
    run = only(parse(text), "RUN")
    assert run.original == "RUN a \\\n    b"
    assert run.comments == ((3, "# c"),)


def test_lowercase_keywords_and_crlf_and_bom() -> None:
    d = parse("\ufefffrom a:1\r\nrun echo hi\r\n")
    assert [i.keyword for i in d.instructions()] == ["FROM", "RUN"]
    assert d.instructions()[1].arguments == "echo hi"


@pytest.mark.parametrize("text", ["ARG A=1\n", "", "# only a comment\nRUN x\n"])
def test_no_from_is_an_error(text: str) -> None:
    with pytest.raises(ParseError, match=r"Dockerfile:\d+: no FROM instruction"):
        parse(text)


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("FROM a\nFOO bar\nUSER 1\n", 2, "unknown instruction 'FOO'"),
        ("RUN x\nFROM a\nUSER 1\n", 1, "RUN before the first FROM (only ARG may be)"),
        ("FROM a b c d\nUSER 1\n", 1, "FROM takes an image and an optional 'AS name'"),
        ("FROM a\nENV\nUSER 1\n", 2, "ENV needs arguments"),
        ("FROM a\nENV A=1 B\nUSER 1\n", 2, "ENV 'B' has no '=value'"),
        ("FROM a\nENV A\nUSER 1\n", 2, "ENV A has no value"),
        ('FROM a\n"RUN x\nUSER 1\n', 2, "cannot parse '\"RUN x': not an instruction"),
        ("FROM a\nCOPY app\nUSER 1\n", 2, "COPY needs a source and a destination"),
        (
            "FROM a\nSHELL /bin/bash -c\nUSER 1\n",
            2,
            'SHELL takes a JSON array: SHELL ["/bin/bash", "-c"]',
        ),
        ("FROM a\nONBUILD FROM b\nUSER 1\n", 2, "ONBUILD FROM is not allowed"),
        ("FROM a\nWORKDIR\nUSER 1\n", 2, "WORKDIR needs arguments"),
    ],
)
def test_malformed_instruction_is_a_problem_and_parsing_goes_on(
    text: str, line: int, message: str
) -> None:
    d = parse(text)
    assert [(p.start_line, p.message) for p in d.problems] == [(line, message)]
    assert only(d, "USER").expanded == "1"


def test_from_variables_the_stage_cannot_see() -> None:
    text = (
        "ARG TAG\n"
        "ARG REG=docker.io\n"
        "FROM $REG/python:$TAG AS build\n"
        "ARG IMAGE=debian:12\n"
        "FROM ${IMAGE}\n"
        "FROM --platform=$BUILDPLATFORM golang:1.23\n"
    )
    d = parse(text)
    assert [s.base for s in d.stages] == ["docker.io/python:$TAG", "${IMAGE}", "golang:1.23"]
    assert [(p.start_line, p.text) for p in d.problems] == [(5, "FROM ${IMAGE}")]
    assert "FROM uses $IMAGE, which no ARG before the first FROM declares" in d.problems[0].message


def test_shell_splitting() -> None:
    found = parse_script(
        "set -e; A=1 sudo -u app apt-get install -y 'a b' > /dev/null 2>&1 && "
        "curl -fsSL https://x | tee f | bash || echo failed & wait\n"
        "if [ -f x ]; then rm -rf /tmp/*; fi # comment && ignored"
    )
    names = [c.name for c in found]
    assert names == ["set", "apt-get", "curl", "tee", "bash", "echo", "wait", "[", "rm", "fi"]
    apt = found[1]
    assert apt.argv == ("apt-get", "install", "-y", "a b")
    assert apt.assignments == (("A", "1"),) and apt.wrappers == ("sudo",)
    assert (">", "/dev/null") in apt.redirects
    assert found[4].upstream == ("curl", "tee")
    assert found[5].upstream == ()


def test_shell_substitutions_and_sh_c_are_followed() -> None:
    names = [c.name for c in parse_script('bash -c "$(curl -fsSL u)"; echo `wget -O- v`')]
    assert names.count("curl") >= 1 and "wget" in names

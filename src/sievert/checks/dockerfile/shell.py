"""Split the shell of a RUN into simple commands: `&&`, `||`, `;`, `|`, `&`, newlines, heredocs.

A small POSIX-shell lexer (quotes, escapes, `$(...)`, comments, redirections), enough to see
each command's argv; not an interpreter. Scripts run by a shell are followed: `sh -c '...'`,
exec form `["bash", "-c", "..."]`, and heredoc bodies fed to a shell (`RUN <<EOF`, `bash <<EOF`).
"""

from __future__ import annotations

import functools
import posixpath
import re
from collections.abc import Iterable

import msgspec
from msgspec.structs import replace

from sievert.checks.dockerfile.syntax import Instruction

SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ash", "ksh", "busybox"})
INTERPRETERS = SHELLS | frozenset(
    {"python", "python2", "python3", "perl", "ruby", "node", "php", "pwsh", "powershell"}
)
WRAPPERS = frozenset({"sudo", "env", "nice", "nohup", "time", "exec", "command", "doas", "gosu"})
KEYWORDS = frozenset({"if", "then", "else", "elif", "do", "while", "until", "!", "{", "}"})
"""Reserved words that may precede a command; they are dropped from its argv."""
_SEPARATORS = ("&&", "||", ";;", "|&", "|", ";", "&", "\n", "(", ")")
_PLAIN = re.compile(r"[A-Za-z0-9_./=,:@%+~^*-]+")
"""Characters with no meaning to the lexer (digits only inside a word), taken in one step."""
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")
_REDIRECT = re.compile(r"\d*(?:<<<|<<-|<<|>>|>&|<&|&>>|&>|>\||<>|<|>)")
_PYTHON = re.compile(r"python[0-9.]*$")
_SUBSTITUTION = re.compile(r"\$\(([^()]*(?:\([^()]*\)[^()]*)*)\)|`([^`]*)`")


class Command(msgspec.Struct, frozen=True):
    """One simple command of a RUN."""

    argv: tuple[str, ...]
    """Words with quotes removed, after assignments and wrappers such as sudo or env."""
    assignments: tuple[tuple[str, str], ...] = ()
    wrappers: tuple[str, ...] = ()
    redirects: tuple[tuple[str, str], ...] = ()
    """(operator, target) pairs: ('>', '/dev/null'), ('<<', 'EOF')..."""
    upstream: tuple[str, ...] = ()
    """Names of the commands before this one in its pipeline (`curl -s u | sh`: ('curl',))."""
    raw: tuple[str, ...] = ()
    """The words as written, quotes kept."""
    subshell: bool = False
    """Runs in a subshell, `( ... )` or `$( ... )`: a `cd` there does not outlast it."""

    @property
    def name(self) -> str:
        """The program's base name ('' for a bare assignment), `python3.12` -> `python3.12`."""
        return posixpath.basename(self.argv[0]) if self.argv else ""

    def is_interpreter(self) -> bool:
        """Runs a shell or a script interpreter."""
        return self.name in INTERPRETERS or bool(_PYTHON.match(self.name))


class _Token(msgspec.Struct, frozen=True):
    text: str
    raw: str
    operator: bool = False


def commands(instruction: Instruction) -> tuple[Command, ...]:
    """Every simple command a RUN (or CMD, ENTRYPOINT, HEALTHCHECK) executes, in order."""
    if instruction.json_form:
        return _exec(instruction.exec_args())
    found = list(parse_script(instruction.expanded))
    feeders = _feeders(found, {})
    for doc in instruction.heredocs:
        if _runs_heredoc(feeders.get(doc.delimiter, []), doc.body):
            body = parse_script(doc.body)
            found.extend(body)
            _feeders(body, feeders)
    return tuple(c for c in found if c.argv or c.assignments)


def _feeders(found: Iterable[Command], into: dict[str, list[Command]]) -> dict[str, list[Command]]:
    """Add to `into` each command under the targets of its redirects (a heredoc's delimiter)."""
    for command in found:
        for target in dict.fromkeys(target for _, target in command.redirects):
            into.setdefault(target, []).append(command)
    return into


def _exec(argv: tuple[str, ...]) -> tuple[Command, ...]:
    if not argv:
        return ()
    command = _command(list(argv), list(argv), [], ())
    return (command, *_nested(command))


def _runs_heredoc(feeding: list[Command], body: str) -> bool:
    """The heredoc is a script for a shell: fed to `sh`/`bash` (feeding: the commands that
    redirect from it), or the RUN has no command."""
    first = body.lstrip().splitlines()[0] if body.strip() else ""
    if first.startswith("#!"):
        return posixpath.basename(first[2:].split()[-1] if first[2:].split() else "") in SHELLS
    return not feeding or any(not c.argv or c.name in SHELLS for c in feeding)


@functools.lru_cache(maxsize=64)
def parse_script(text: str) -> tuple[Command, ...]:
    """The simple commands of a shell script, following `sh -c` scripts."""
    result: list[Command] = []
    current: list[_Token] = []
    upstream: tuple[str, ...] = ()
    depth = 0
    for token in [*_tokens(text), _Token(";", ";", operator=True)]:
        if not token.operator:
            current.append(token)
            continue
        command = _finish(current, upstream)
        if command is not None and depth:
            command = replace(command, subshell=True)
        depth = max(0, depth + {"(": 1, ")": -1}.get(token.text, 0))
        current = []
        piped = token.text in ("|", "|&")
        if command is not None:
            result += [command, *_nested(command)]
            upstream = (*upstream, command.name) if piped else ()
        elif not piped:
            upstream = ()
    return tuple(result)


def _nested(command: Command) -> tuple[Command, ...]:
    """The commands of `$(...)` substitutions and of the script given to `sh -c SCRIPT`."""
    found: list[Command] = []
    for word in (*command.argv, *(value for _, value in command.assignments)):
        for match in _SUBSTITUTION.finditer(word):
            script = match.group(1) or match.group(2) or ""
            found += [replace(c, subshell=True) for c in parse_script(script)]
    if command.name in SHELLS and "-c" in command.argv[1:]:
        position = command.argv.index("-c", 1)
        if position + 1 < len(command.argv):
            found += parse_script(command.argv[position + 1])
    return tuple(found)


def _finish(tokens: list[_Token], upstream: tuple[str, ...]) -> Command | None:
    words: list[str] = []
    raw: list[str] = []
    redirects: list[tuple[str, str]] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if _REDIRECT.fullmatch(token.raw) and index + 1 < len(tokens):
            redirects.append((token.raw.lstrip("0123456789"), tokens[index + 1].text))
            index += 2
            continue
        match = _REDIRECT.match(token.raw)
        if match and match.end() < len(token.raw) and token.raw[0] in "0123456789<>&":
            redirects.append((match.group().lstrip("0123456789"), token.raw[match.end() :]))
        else:
            words.append(token.text)
            raw.append(token.raw)
        index += 1
    while words and words[0] in KEYWORDS:
        words.pop(0)
        raw.pop(0)
    if not words and not redirects:
        return None
    return _command(words, raw, redirects, upstream)


def _command(
    words: list[str], raw: list[str], redirects: list[tuple[str, str]], upstream: tuple[str, ...]
) -> Command:
    assignments: list[tuple[str, str]] = []
    wrappers: list[str] = []
    while words:
        if _ASSIGNMENT.match(words[0]):
            name, _, value = words.pop(0).partition("=")
            assignments.append((name, value))
        elif posixpath.basename(words[0]) in WRAPPERS:
            wrappers.append(posixpath.basename(words.pop(0)))
            while words and words[0].startswith("-"):
                option = words.pop(0)
                if option in ("-u", "-g", "-U") and words:
                    words.pop(0)
        else:
            break
    return Command(
        tuple(words), tuple(assignments), tuple(wrappers), tuple(redirects), upstream, tuple(raw)
    )


def _tokens(text: str) -> list[_Token]:
    return _Lexer(text).run()


class _Lexer:
    """Cuts shell text into words (quotes resolved, raw kept) and separator operators."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.tokens: list[_Token] = []
        self.word: list[str] = []
        self.raw: list[str] = []
        self.started = False

    def run(self) -> list[_Token]:
        """All tokens of the text."""
        while self.pos < len(self.text):
            self._step()
        self._flush()
        return self.tokens

    def _flush(self) -> None:
        if self.started:
            self.tokens.append(_Token("".join(self.word), "".join(self.raw)))
        self.word, self.raw, self.started = [], [], False

    def _take(self, text: str, raw: str | None = None) -> None:
        self.word.append(text)
        self.raw.append(text if raw is None else raw)
        self.started = True

    def _step(self) -> None:
        text, pos = self.text, self.pos
        char = text[pos]
        if char == "\\" and pos + 1 < len(text):
            self.pos += 2
            if text[pos + 1] != "\n":
                self._take(text[pos + 1], text[pos : pos + 2])
            return
        if char in " \t\r":
            self._flush()
            self.pos += 1
        elif char == "#" and not self.started:
            end = text.find("\n", pos)
            self.pos = len(text) if end < 0 else end
        elif char == "'":
            end = text.find("'", pos + 1)
            end = len(text) if end < 0 else end
            self._take(text[pos + 1 : end], text[pos : end + 1])
            self.pos = end + 1
        elif char == '"':
            self._double_quoted()
        elif (char == "$" and text.startswith("$(", pos)) or char == "`":
            self._substitution()
        elif (self.started or not char.isdecimal()) and (plain := _PLAIN.match(text, pos)):
            self._take(plain.group())
            self.pos = plain.end()
        else:
            self._operator_or_char()

    def _operator_or_char(self) -> None:
        text, pos = self.text, self.pos
        operator = next((op for op in _SEPARATORS if text.startswith(op, pos)), "")
        if operator:
            self._flush()
            self.tokens.append(_Token(operator, operator, operator=True))
            self.pos += len(operator)
            return
        redirect = _REDIRECT.match(text, pos) if text[pos] in "<>&0123456789" else None
        if redirect and (text[pos] in "<>&" or not self.started):
            self._flush()
            self.tokens.append(_Token(redirect.group(), redirect.group()))
            self.pos = redirect.end()
            return
        self._take(text[pos])
        self.pos += 1

    def _double_quoted(self) -> None:
        text = self.text
        pos = self.pos + 1
        out: list[str] = []
        while pos < len(text) and text[pos] != '"':
            if text[pos] == "\\" and pos + 1 < len(text) and text[pos + 1] in '"\\$`\n':
                out.append("" if text[pos + 1] == "\n" else text[pos + 1])
                pos += 2
                continue
            out.append(text[pos])
            pos += 1
        self._take("".join(out), text[self.pos : pos + 1])
        self.pos = pos + 1

    def _substitution(self) -> None:
        text, pos = self.text, self.pos
        if text[pos] == "`":
            end = text.find("`", pos + 1)
            end = len(text) - 1 if end < 0 else end
        else:
            depth, end = 0, pos + 1
            while end < len(text):
                depth += {"(": 1, ")": -1}.get(text[end], 0)
                if depth == 0:
                    break
                end += 1
        self._take(text[pos : end + 1])
        self.pos = end + 1

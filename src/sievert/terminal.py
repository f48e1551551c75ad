"""Text that is safe to print on a terminal: control characters from input made visible.

Image content (package names, versions, `created_by` lines, file paths), feeds and documents can
hold ESC sequences that retitle a terminal, clear the screen or worse; bidirectional overrides
can make text read differently from what it is. Every human-readable output passes its text
through `escape` (or `one_line` for single-line messages) so they print as `\\x1b`, `\\u202e`.
"""

from __future__ import annotations

_CONTROLS = [*range(0x20), 0x7F, *range(0x80, 0xA0)]
_BIDI = [0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]


def _visible(code: int) -> str:
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


_TABLE = {code: _visible(code) for code in (*_CONTROLS, *_BIDI)}
_TABLE_KEEP_LINES = {code: text for code, text in _TABLE.items() if code not in (0x09, 0x0A)}


def escape(text: str, *, keep_lines: bool = False) -> str:
    """text with control and bidi-override characters shown as escapes (`\\x1b`).

    With keep_lines, newlines and tabs are kept (for multi-line text built by Sievert itself).
    """
    return text.translate(_TABLE_KEEP_LINES if keep_lines else _TABLE)


def one_line(text: str) -> str:
    """text on one line (runs of whitespace, newlines included, become one space), escaped."""
    return escape(" ".join(text.split()))

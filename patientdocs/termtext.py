"""Text in a terminal table: columns measured in terminal cells, not characters.

A Chinese or Korean letter takes two cells, a combining mark none; a Hebrew or Arabic name is
isolated (U+2068 ... U+2069), so a terminal that orders right-to-left text itself cannot move the
columns around it. The terminal does the shaping: the text stays as typed.
"""

from __future__ import annotations

import unicodedata

_ISOLATE, _POP = "\u2068", "\u2069"  # FIRST STRONG ISOLATE, POP DIRECTIONAL ISOLATE


def _cells(char: str) -> int:
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def width(text: str) -> int:
    """Terminal cells the text takes."""
    return sum(_cells(c) for c in text)


def clipped(text: str, limit: int = 40) -> str:
    """Shortened to ``limit`` cells with "…", never between a letter and its marks."""
    if width(text) <= limit:
        return text
    out, used = "", 0
    for i, char in enumerate(text):
        cells = _cells(char)
        if cells and used + cells > limit - 1:
            # Drop the marks of a letter that did not fit too.
            return out + "…"
        out += char
        used += cells
        if i + 1 == len(text):
            break
    return out + "…"


def isolated(text: str) -> str:
    """Right-to-left text kept inside its column."""
    if any(unicodedata.bidirectional(c) in ("R", "AL") for c in text):
        return _ISOLATE + text + _POP
    return text


def pad(text: str, cells: int) -> str:
    return text + " " * max(0, cells - width(text))


def count_of(n: int, word: str) -> str:
    """``1 appointment``, ``2 appointments``: English counts on the terminal and in reports."""
    return f"{n} {word}{'' if n == 1 else 's'}"

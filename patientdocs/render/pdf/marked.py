"""Marked content in page content streams: every BDC/EMC pair the project writes comes from here.

Kept in one place so that sequences nest properly when more kinds are added (tagged PDF wraps
whole paragraphs; the text layer wraps shaped words inside them).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


def _text_string(text: str) -> str:
    """A PDF text string in UTF-16BE hex, which carries any character and needs no escaping."""
    return "<FEFF" + text.encode("utf-16-be").hex().upper() + ">"


def actual_text_begin(text: str) -> str:
    """Start a span whose extracted text is ``text``, whatever glyphs are drawn inside it: the
    letters as typed, in the order typed, where shaping joined, reordered or reversed them."""
    return f"/Span <</ActualText {_text_string(text)}>> BDC"


END = "EMC"


@contextmanager
def actual_text(code: list[str], text: str | None) -> Iterator[None]:
    """Append the operators drawn inside the block to ``code`` inside one ActualText span
    (no span when ``text`` is None)."""
    if text is not None:
        code.append(actual_text_begin(text))
    try:
        yield
    finally:
        if text is not None:
            code.append(END)

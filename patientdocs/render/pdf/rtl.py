"""Right-to-left documents: the same layout, mirrored.

Only documents whose content is in a right-to-left language come here (see
patientdocs/language.py); a left-to-right document never calls this module, so its bytes do not
change. Each paragraph style is mirrored (aligned right, indents swapped, base direction right to
left, which also puts list bullets on the right), and tables list their columns from the right.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from reportlab.lib.enums import TA_LEFT, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Table

from patientdocs.render.pdf import bidi

T = TypeVar("T")

# id of a style sheet -> (that sheet, kept alive so its id is never reused; its mirrored twin)
_MIRRORED: dict[int, tuple[dict[str, object], dict[str, object]]] = {}


def mirror_styles(styles: dict[str, object]) -> dict[str, object]:
    """The right-to-left twin of each paragraph style, under the same name (tagging reads it)."""
    key = id(styles)
    if key not in _MIRRORED:
        out: dict[str, object] = {}
        for name, style in styles.items():
            if isinstance(style, ParagraphStyle):
                # wordWrap='RTL' is reportlab's switch for bullets on the right; the layout
                # itself is shaping.ScriptParagraph's, with a right-to-left base direction.
                out[name] = ParagraphStyle(style.name, parent=style, wordWrap="RTL",
                                           alignment=TA_RIGHT if style.alignment == TA_LEFT else style.alignment,
                                           leftIndent=style.rightIndent, rightIndent=style.leftIndent)
            else:
                out[name] = style
        _MIRRORED[key] = (styles, out)
    return _MIRRORED[key][1]


class MirroredTable(Table):
    """A table whose columns were put in from the right (``mirror_columns``): reportlab draws
    each row from the left, so tagging puts its cells back in reading order (tagging.py).
    A table split over two pages keeps the class (reportlab makes the parts with ``__class__``)."""


def mirror_columns(rows: Sequence[Sequence[T]], widths: Sequence[float],
                   pad: T) -> tuple[list[list[T]], list[float]]:
    """Rows and column widths with the first column on the right; short rows are padded first,
    so each cell stays under its heading."""
    columns = len(widths)
    mirrored = [list(row)[:columns] + [pad] * (columns - len(row)) for row in rows]
    return [row[::-1] for row in mirrored], list(widths)[::-1]


def bullet(text: str) -> str:
    """A list marker as seen on a right-to-left line: "1." reads ".1" from the left (UAX #9)."""
    levels = bidi.levels(text, bidi.RTL)
    return "".join(bidi.visual_order(list(text), levels))

"""Paragraph styles: large, left-aligned sans serif with generous line spacing (RNIB Clear Print)."""

from __future__ import annotations

from dataclasses import dataclass

from patientdocs.render.pdf.fonts import MAIN


@dataclass(frozen=True)
class Theme:
    font_size: float
    brand: str  # "#rrggbb"
    # Large print (clear-print guidance): 1.5 line spacing, and tables too wide for the page at
    # this size are reflowed into stacked rows (see flowables._stacked).
    large_print: bool = False


def theme_for(font_size: float, brand: str, *, large_print: bool = False, large_size: float = 16.0) -> Theme:
    """The theme of one document: large print is at least ``large_size`` points."""
    return Theme(max(font_size, large_size) if large_print else font_size, brand, large_print)


def make_styles(theme: Theme, *, prose: bool = False) -> dict[str, object]:
    """The paragraph styles of a document; ``prose``: reading text, at about 1.45 line spacing
    (a form, kept short, at 1.3; large print at 1.5 always)."""
    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle

    size = theme.font_size
    brand = colors.HexColor(theme.brand)
    spacing = 1.5 if theme.large_print else 1.45 if prose else 1.3
    cell_spacing = 1.35 if theme.large_print else 1.15
    # Smaller text stays at 16 pt or more in large print.
    small, note = (max(size - 2, 16), max(size - 3, 16)) if theme.large_print else (size - 2, size - 3)
    # Bullets at the size of their text (reportlab's default is 10 pt: at 16 pt a small bullet sits
    # below the line, and text readers put it inside the line before); source numbers in large print.
    bullets = {"bulletFontSize": size}
    body = ParagraphStyle("body", fontName=MAIN, fontSize=size, leading=size * spacing, spaceAfter=size * 0.35)
    bold = MAIN + "-Bold"
    return {
        "body": body,
        "lead": ParagraphStyle("lead", parent=body, fontSize=size + 1, leading=(size + 1) * max(spacing, 1.4)),
        "personal": ParagraphStyle("personal", parent=body, backColor=colors.HexColor("#eef3f8"),
                                   borderPadding=(5, 6, 5, 6), spaceBefore=4, spaceAfter=size * 0.75),
        "small": ParagraphStyle("small", parent=body, fontSize=small, leading=small * spacing,
                                spaceAfter=2),
        "source": ParagraphStyle("source", parent=body, fontSize=note,
                                 leading=note * (1.4 if theme.large_print else 1.2),
                                 spaceAfter=1, leftIndent=note * 1.6 if theme.large_print else 18, bulletIndent=0,
                                 bulletFontName=MAIN, **({"bulletFontSize": note} if theme.large_print else {})),
        "closing": ParagraphStyle("closing", parent=body, fontName=bold, spaceBefore=size * 0.5),
        "warning": ParagraphStyle("warning", parent=body, fontName=bold, textColor=colors.HexColor("#8b0000")),
        "h1": ParagraphStyle("h1", parent=body, fontName=bold, fontSize=size + 9, leading=(size + 9) * 1.2,
                             textColor=brand, spaceAfter=size * 0.6, keepWithNext=1),
        "h2": ParagraphStyle("h2", parent=body, fontName=bold, fontSize=size + 3, leading=(size + 3) * 1.2,
                             textColor=brand, spaceBefore=size * 0.6, spaceAfter=size * 0.2, keepWithNext=1),
        "item": ParagraphStyle("item", parent=body, spaceAfter=size * 0.15, leftIndent=size * 1.4,
                               bulletIndent=size * 0.3, bulletFontName=MAIN, **bullets),
        "table_title": ParagraphStyle("table_title", parent=body, fontName=bold, fontSize=size + 1,
                                      leading=(size + 1) * 1.3, spaceBefore=size * 0.3, spaceAfter=2),
        "table_intro": ParagraphStyle("table_intro", parent=body, spaceAfter=size * 0.25),
        "h3": ParagraphStyle("h3", parent=body, fontName=bold, fontSize=size + 1, leading=(size + 1) * 1.3,
                             spaceBefore=size * 0.5, spaceAfter=size * 0.25, keepWithNext=1),
        "cell": ParagraphStyle("cell", parent=body, leading=size * cell_spacing, spaceAfter=0),
        "cell_head": ParagraphStyle("cell_head", parent=body, fontName=bold, leading=size * max(cell_spacing, 1.2),
                                    spaceAfter=0),
        # Column headings of a table of lines to write on (the consent's later sessions).
        "cell_small": ParagraphStyle("cell_small", parent=body, fontSize=small, leading=small * max(cell_spacing, 1.2),
                                     spaceAfter=0),
        # A row of a table reflowed in large print: a block of "Heading: value" lines.
        "stack_first": ParagraphStyle("stack_first", parent=body, spaceBefore=size * 0.5, spaceAfter=0,
                                      keepWithNext=1),
        "stack": ParagraphStyle("stack", parent=body, spaceAfter=0, keepWithNext=1),
        "stack_last": ParagraphStyle("stack_last", parent=body, spaceAfter=size * 0.25),
        "brand": brand,
    }

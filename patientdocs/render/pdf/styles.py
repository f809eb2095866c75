"""Paragraph styles: large, left-aligned sans serif with generous line spacing (RNIB Clear Print)."""

from __future__ import annotations

from dataclasses import dataclass

from patientdocs.render.pdf.fonts import MAIN


@dataclass(frozen=True)
class Theme:
    font_size: float
    brand: str  # "#rrggbb"


def make_styles(theme: Theme) -> dict[str, object]:
    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle

    size = theme.font_size
    brand = colors.HexColor(theme.brand)
    body = ParagraphStyle("body", fontName=MAIN, fontSize=size, leading=size * 1.3, spaceAfter=size * 0.35)
    bold = MAIN + "-Bold"
    return {
        "body": body,
        "lead": ParagraphStyle("lead", parent=body, fontSize=size + 1, leading=(size + 1) * 1.4),
        "personal": ParagraphStyle("personal", parent=body, backColor=colors.HexColor("#eef3f8"),
                                   borderPadding=(6, 6, 6, 6), spaceBefore=4, spaceAfter=size),
        "small": ParagraphStyle("small", parent=body, fontSize=size - 2, leading=(size - 2) * 1.3,
                                spaceAfter=2),
        "source": ParagraphStyle("source", parent=body, fontSize=size - 3, leading=(size - 3) * 1.2,
                                 spaceAfter=1, leftIndent=18, bulletIndent=0, bulletFontName=MAIN),
        "closing": ParagraphStyle("closing", parent=body, fontName=bold, spaceBefore=size * 0.5),
        "warning": ParagraphStyle("warning", parent=body, fontName=bold, textColor=colors.HexColor("#8b0000")),
        "h1": ParagraphStyle("h1", parent=body, fontName=bold, fontSize=size + 9, leading=(size + 9) * 1.2,
                             textColor=brand, spaceAfter=size * 0.6, keepWithNext=1),
        "h2": ParagraphStyle("h2", parent=body, fontName=bold, fontSize=size + 3, leading=(size + 3) * 1.2,
                             textColor=brand, spaceBefore=size * 0.6, spaceAfter=size * 0.2, keepWithNext=1),
        "item": ParagraphStyle("item", parent=body, spaceAfter=size * 0.15, leftIndent=size * 1.4,
                               bulletIndent=size * 0.3, bulletFontName=MAIN),
        "table_title": ParagraphStyle("table_title", parent=body, fontName=bold, fontSize=size + 1,
                                      leading=(size + 1) * 1.3, spaceBefore=size * 0.3, spaceAfter=2),
        "table_intro": ParagraphStyle("table_intro", parent=body, spaceAfter=size * 0.25),
        "h3": ParagraphStyle("h3", parent=body, fontName=bold, fontSize=size + 1, leading=(size + 1) * 1.3,
                             spaceBefore=size * 0.5, spaceAfter=size * 0.25, keepWithNext=1),
        "cell": ParagraphStyle("cell", parent=body, leading=size * 1.15, spaceAfter=0),
        "cell_head": ParagraphStyle("cell_head", parent=body, fontName=bold, leading=size * 1.2, spaceAfter=0),
        "brand": brand,
    }

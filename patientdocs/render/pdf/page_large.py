"""The letterhead and the footer in large print: every line at the body size (16 to 18 pt).

In normal print they are small lines in a fixed band (page.py). At 16 pt the clinic's phone,
email and website, the version line or a warning no longer fit on one line, so here they are
wrapped (at their " · " separators first, then between words) and the bands grow to hold them:
the frames of the page templates are computed from the same layout (``header_height``,
``footer_height``), so text and band can never disagree. Right-to-left pages are mirrored.
"""

from __future__ import annotations

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from patientdocs.frozen import frozen
from patientdocs.render.pdf import fonts, tagging
from patientdocs.render.pdf.page import MARGIN, PageMeta

TOP = 8 * mm  # the letterhead starts this far from the top edge, as in normal print
BOTTOM = 8 * mm  # the footer's last line sits this far above the bottom edge
LOGO_H = 15 * mm
GAP = 3 * mm  # between a band's rule or last line and the text of the page


@frozen
class Line:
    text: str
    y: float  # baseline, measured down from the top edge (header) or up from the bottom (footer)
    font: str
    size: float
    colour: str
    indent: float = 0.0  # from the margin on the reading side (past the logo)
    own_direction: bool = False  # the clinic's details keep the direction of their first letter
    role: str = ""  # "P": read on the document's first page; "": an artifact
    lang: str | None = None  # written in another language than the document (the offer of Spanish)


def _width(text: str, font: str, size: float, rtl: bool) -> float:
    from patientdocs.render.pdf import bidi, shaping

    return shaping.line_pieces_width(text, font, size, bidi.RTL if rtl else bidi.LTR)


def wrap(text: str, font: str, size: float, width: float, rtl: bool = False, first: float | None = None) -> list[str]:
    """``text`` in lines no wider than ``width`` (the first no wider than ``first``, when given):
    whole " · " items where they fit, else words."""
    lines: list[str] = []

    def room(index: int) -> float:
        return first if first is not None and index == 0 else width

    for item in text.split(" · "):
        if lines and _width(f"{lines[-1]} · {item}", font, size, rtl) <= room(len(lines) - 1):
            lines[-1] = f"{lines[-1]} · {item}"
            continue
        line = ""
        for word in item.split():
            joined = f"{line} {word}" if line else word
            if line and _width(joined, font, size, rtl) > room(len(lines)):
                lines.append(line)
                line = word
            else:
                line = joined
        if line:
            lines.append(line)
    return lines


def _label_width(meta: PageMeta) -> float:
    return _width(meta.copy_label, fonts.MAIN + "-Bold", meta.label_size, meta.rtl) + 6 * mm if meta.copy_label else 0


def header_lines(meta: PageMeta, page_width: float, slim: bool) -> tuple[list[Line], float]:
    """The letterhead's lines and the depth of its rule below the top edge."""
    size = meta.label_size
    lead = size * 1.2  # single lines of details, not reading text
    width = page_width - 2 * MARGIN
    logo_w = LOGO_H * 2 + 4 * mm if meta.logo is not None and not slim else 0.0
    bold = fonts.MAIN + "-Bold"
    name_size = size + 2
    lines: list[Line] = []
    y = TOP + name_size * 0.95
    name_room = width - logo_w - _label_width(meta) - 4 * mm
    for text in wrap(meta.clinic_name, bold, name_size, name_room, meta.rtl):
        lines.append(Line(text, y, bold, name_size, meta.brand, logo_w, own_direction=True))
        y += name_size * 1.25
    # The lines below may run under the copy label: they start below its box.
    y = max(y - name_size * 1.25 + lead, TOP + size * 1.6 + size)
    if not slim:
        for detail in meta.clinic_lines[:2]:
            for text in wrap(detail, fonts.MAIN, size, width - logo_w, meta.rtl):
                lines.append(Line(text, y, fonts.MAIN, size, "#333333", logo_w, own_direction=True))
                y += lead
        # One offer a line, each read in its own language (page._draw_languages in normal print).
        for language, sentence in meta.languages:
            for text in wrap(sentence, fonts.MAIN, size, width - logo_w, meta.rtl):
                lines.append(Line(text, y, fonts.MAIN, size, "#333333", logo_w, own_direction=True, role="P",
                                  lang=language))
                y += lead
    if logo_w:
        y = max(y, TOP + LOGO_H + size)  # nothing below runs into the logo
    for text in wrap(meta.banner, bold, size, width, meta.rtl):
        lines.append(Line(text, y, bold, size, "#8b0000", role="P"))
        y += lead
    return lines, y - lead + size * 0.45 + 2 * mm


def header_height(meta: PageMeta, page_width: float, slim: bool) -> float:
    """From the top edge to the top of the page's text."""
    return header_lines(meta, page_width, slim)[1] + GAP


def footer_lines(meta: PageMeta, page_width: float) -> list[Line]:
    """The footer's lines, top line first; ``y`` is the baseline's height above the bottom edge."""
    size = meta.label_size
    lead = size * 1.3
    width = page_width - 2 * MARGIN
    # Room for the widest page number this footer can show ("Page 88 of 88").
    number_w = _width(f"{meta.page_word} 88 {meta.of_word} 88", fonts.MAIN + "-Bold", size, meta.rtl) + 6 * mm
    # Only the first line shares its row with the page number.
    texts = wrap(meta.footer_left, fonts.MAIN, size, width, meta.rtl, first=width - number_w)
    texts += wrap(meta.footer_note, fonts.MAIN, size, width, meta.rtl)
    return [Line(text, BOTTOM + (len(texts) - 1 - i) * lead, fonts.MAIN, size, "#333333")
            for i, text in enumerate(texts)]


def footer_height(meta: PageMeta, page_width: float) -> float:
    """From the bottom edge to the bottom of the page's text."""
    lines = footer_lines(meta, page_width)
    top = max((line.y for line in lines), default=BOTTOM)
    return top + meta.label_size + GAP


def _draw(canv: Canvas, meta: PageMeta, line: Line, baseline: float) -> None:
    from patientdocs.render.pdf import bidi, shaping
    from patientdocs.render.pdf.page import _text_rtl

    width = canv._pagesize[0]
    if meta.rtl:
        _text_rtl(canv, line.text, width - MARGIN - line.indent, baseline, line.font, line.size, line.colour,
                  line.own_direction)
    else:
        canv.setFillColor(colors.HexColor(line.colour))
        shaping.draw_line(canv, line.text, MARGIN + line.indent, baseline, line.font, line.size,
                          base=bidi.AUTO if line.own_direction else bidi.LTR)


def draw_header(canv: Canvas, meta: PageMeta, document=None, slim: bool = False) -> None:
    """The large-print letterhead; ``document`` is the structure element of a document's first page."""
    from patientdocs.render.pdf.page import _once

    width, height = canv._pagesize
    lines, rule = header_lines(meta, width, slim)
    canv.saveState()
    if meta.logo is not None and not slim:
        x = width - MARGIN - LOGO_H * 2 if meta.rtl else MARGIN
        with _once(canv, document, "Figure", alt=f"{meta.clinic_name} logo"):
            canv.drawImage(str(meta.logo), x, height - TOP - LOGO_H, width=LOGO_H * 2, height=LOGO_H,
                           preserveAspectRatio=True, anchor="e" if meta.rtl else "w", mask="auto")
    with tagging.artifact(canv, "Pagination", "Header"):
        for line in lines:
            if not line.role:
                _draw(canv, meta, line, height - line.y)
        canv.setStrokeColor(colors.HexColor(meta.brand))
        canv.setLineWidth(1.2)
        canv.line(MARGIN, height - rule, width - MARGIN, height - rule)
    if meta.copy_label:
        label_w = _label_width(meta)
        box_h = meta.label_size * 1.6
        x = MARGIN if meta.rtl else width - MARGIN - label_w
        with tagging.artifact(canv, "Pagination", "Header"):
            canv.setStrokeColor(colors.HexColor(meta.brand))
            canv.setFillColor(colors.white)
            canv.roundRect(x, height - TOP - box_h, label_w, box_h, 2 * mm, stroke=1, fill=1)
        with _once(canv, document, "P"):
            from patientdocs.render.pdf import bidi, shaping

            canv.setFillColor(colors.HexColor(meta.brand))
            shaping.draw_line(canv, meta.copy_label, x + 3 * mm, height - TOP - box_h / 2 - meta.label_size * 0.35,
                              fonts.MAIN + "-Bold", meta.label_size, base=bidi.RTL if meta.rtl else bidi.LTR)
    for line in lines:
        if line.role:
            with _once(canv, document, line.role, lang=line.lang):
                _draw(canv, meta, line, height - line.y)
    canv.restoreState()


def draw_footer(canv: Canvas, meta: PageMeta, number: int, total: int) -> None:
    from patientdocs.render.pdf import bidi, shaping

    width = canv._pagesize[0]
    lines = footer_lines(meta, width)
    canv.saveState()
    for line in lines:
        _draw(canv, meta, line, line.y)
    text = f"{meta.page_word} {number} {meta.of_word} {total}"
    baseline = lines[0].y if lines else BOTTOM
    if meta.rtl:
        shaping.draw_line(canv, text, MARGIN, baseline, fonts.MAIN + "-Bold", meta.label_size, base=bidi.RTL)
    else:
        shaping.draw_line(canv, text, width - MARGIN, baseline, fonts.MAIN + "-Bold", meta.label_size, anchor="end")
    canv.restoreState()

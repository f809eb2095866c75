"""Pages: the clinic header, the "Page X of Y" footer and document boundaries in one file.

Several documents can share one PDF (a packet, a day's print run). Each starts with a
``DocumentStart`` marker; page numbers restart there, and every page's header and footer
show the document it belongs to. Totals are stamped when the file is saved, in one pass.
"""

from __future__ import annotations

from dataclasses import field
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfdoc import PDFInfo, PDFString
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable

from patientdocs.frozen import frozen
from patientdocs.render.pdf import fonts

MARGIN = 15 * mm
HEADER_H = 20 * mm
FOOTER_H = 12 * mm


@frozen
class PageMeta:
    """What every page of one document shows around its content."""

    clinic_name: str
    clinic_lines: tuple[str, ...]
    brand: str
    footer_left: str  # version, review date, fingerprint: already in the document's language
    page_word: str = "Page"
    of_word: str = "of"
    copy_label: str = ""
    banner: str = ""  # a warning printed on every page, e.g. content past its review date
    logo: Path | None = None
    blank_text: str = "This page is intentionally blank."
    # A document made in several parts (a long cover sheet) numbers on from an earlier part.
    page_offset: int = 0
    page_total: int | None = None
    key: object = field(default_factory=object, compare=False)


class DocumentStart(Flowable):
    """Zero-size marker: from here on, pages belong to a new document."""

    def __init__(self, meta: PageMeta):
        super().__init__()
        self.meta = meta

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return 0, 0

    def draw(self) -> None:
        self.canv._doc_meta = self.meta  # read back by StampingCanvas when the page ends


class BlankIfBack(Flowable):
    """For double-sided printing: fill an even (back) page, so the next document starts on a front."""

    def __init__(self, text: str):
        super().__init__()
        self.text = text
        self._fill = False

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        canv = getattr(self, "canv", None)
        self._fill = canv is not None and canv.getPageNumber() % 2 == 0
        self.width = avail_width
        return (avail_width, avail_height) if self._fill else (0, 0)

    def draw(self) -> None:
        if self._fill:
            self.canv._blank_page = True
            self.canv.setFont(fonts.MAIN, 12)
            self.canv.setFillColor(colors.HexColor("#555555"))
            self.canv.drawCentredString(self.width / 2, self.height / 2, self.text)


class StampingCanvas(Canvas):
    """Keeps each page until save, then stamps header, footer and per-document page totals."""

    def __init__(self, *args, custom_info: tuple[tuple[str, str], ...] = (), seed: str = "",
                 seed_fill: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if custom_info:
            self._doc.info = _InfoWithCustomKeys(self._doc.info, custom_info)
        fonts.seed_subsets(seed, self._doc, fill=seed_fill)
        self._pages: list[dict] = []
        self._doc_meta: PageMeta | None = None
        self._blank_page = False

    def showPage(self) -> None:  # noqa: N802 (reportlab's name)
        self._pages.append(dict(self.__dict__))
        self._startPage()
        self._blank_page = False

    def save(self) -> None:
        totals: dict[int, int] = {}
        for state in self._pages:
            if not state["_blank_page"] and state["_doc_meta"] is not None:
                key = id(state["_doc_meta"].key)
                totals[key] = totals.get(key, 0) + 1
        numbers: dict[int, int] = {}
        for state in self._pages:
            self.__dict__.update(state)
            meta = state["_doc_meta"]
            if meta is not None and not state["_blank_page"]:
                key = id(meta.key)
                numbers[key] = numbers.get(key, 0) + 1
                _draw_header(self, meta)
                _draw_footer(self, meta, numbers[key] + meta.page_offset, meta.page_total or totals[key])
            super().showPage()
        super().save()


class _InfoWithCustomKeys(PDFInfo):
    """The document-information dictionary plus the clinic's document-control keys."""

    def __init__(self, base: PDFInfo, custom: tuple[tuple[str, str], ...]):
        super().__init__()
        self.__dict__.update(base.__dict__)
        self.custom = custom

    def format(self, document) -> bytes:
        formatted = super().format(document)
        entries = b"".join(b"/" + key.encode("ascii") + b" " + PDFString(value).format(document) + b"\n"
                           for key, value in self.custom)
        # The base class writes one complete dictionary "<< ... >>"; add our keys before its end.
        end = formatted.rindex(b">>")
        return formatted[:end] + entries + formatted[end:]


def _draw_header(canv: Canvas, meta: PageMeta) -> None:
    width, height = canv._pagesize
    top = height - MARGIN + 4 * mm
    canv.saveState()
    text_left = MARGIN
    if meta.logo is not None:
        logo_h = 16 * mm
        canv.drawImage(str(meta.logo), MARGIN, top - logo_h, width=logo_h * 2, height=logo_h,
                       preserveAspectRatio=True, anchor="w", mask="auto")
        text_left = MARGIN + logo_h * 2 + 4 * mm
    _text(canv, meta.clinic_name, text_left, top - 5 * mm, fonts.MAIN + "-Bold", 14, meta.brand)
    for i, line in enumerate(meta.clinic_lines[:2]):
        _text(canv, line, text_left, top - (10 + 4.5 * i) * mm, fonts.MAIN, 9.5, "#333333")
    if meta.copy_label:
        canv.setFont(fonts.MAIN + "-Bold", 12)
        label_w = canv.stringWidth(meta.copy_label, fonts.MAIN + "-Bold", 12) + 6 * mm
        canv.setStrokeColor(colors.HexColor(meta.brand))
        canv.setFillColor(colors.white)
        canv.roundRect(width - MARGIN - label_w, top - 7 * mm, label_w, 8 * mm, 2 * mm, stroke=1, fill=1)
        canv.setFillColor(colors.HexColor(meta.brand))
        canv.drawCentredString(width - MARGIN - label_w / 2, top - 4.6 * mm, meta.copy_label)
    canv.setStrokeColor(colors.HexColor(meta.brand))
    canv.setLineWidth(1.2)
    canv.line(MARGIN, height - MARGIN - HEADER_H + 8 * mm, width - MARGIN, height - MARGIN - HEADER_H + 8 * mm)
    if meta.banner:
        _text(canv, meta.banner, MARGIN, height - MARGIN - HEADER_H + 3.5 * mm, fonts.MAIN + "-Bold", 10, "#8b0000")
    canv.restoreState()


def _draw_footer(canv: Canvas, meta: PageMeta, number: int, total: int) -> None:
    width, _ = canv._pagesize
    canv.saveState()
    _text(canv, meta.footer_left, MARGIN, MARGIN - 6 * mm, fonts.MAIN, 9, "#333333")
    canv.setFont(fonts.MAIN + "-Bold", 10)
    canv.drawRightString(width - MARGIN, MARGIN - 6 * mm, f"{meta.page_word} {number} {meta.of_word} {total}")
    canv.restoreState()


def _text(canv: Canvas, text: str, x: float, baseline: float, font: str, size: float, colour: str) -> None:
    """One line of header text, in any script (see shaping.draw_line)."""
    from patientdocs.render.pdf import shaping

    canv.setFillColor(colors.HexColor(colour))
    shaping.draw_line(canv, text, x, baseline, font, size)

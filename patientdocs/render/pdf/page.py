"""Pages: the clinic header, the "Page X of Y" footer and document boundaries in one file.

Several documents can share one PDF (a packet, a day's print run). Each starts with a
``DocumentStart`` marker; page numbers restart there, and every page's header and footer
show the document it belongs to. Totals are stamped when the file is saved, in one pass.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import field
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfdoc import PDFInfo, PDFString
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable

from patientdocs.frozen import frozen
from patientdocs.render.pdf import fonts, tagging

MARGIN = 15 * mm
# The letterhead starts 8 mm from the top edge (inside any printer's margin) and the footer's
# line 9 mm from the bottom one: the frame between them is as tall as those allow.
HEADER_H = 17 * mm
FOOTER_H = 9 * mm
# The pages after a document's first carry a running header: the clinic's name and the copy
# label, without the address lines and logo, so the text starts this much higher.
SLIM_GAIN = 8 * mm


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
    label_size: float = 12  # of the copy label: the body size in large print
    banner: str = ""  # a warning printed on every page, e.g. content past its review date
    logo: Path | None = None
    blank_text: str = "This page is intentionally blank."
    # A document made in several parts (a long cover sheet) numbers on from an earlier part.
    page_offset: int = 0
    page_total: int | None = None
    rtl: bool = False  # a right-to-left document: header and footer mirrored
    # A second footer line: whether a translated document's translation was reviewed.
    footer_note: str = ""
    # Under the copy label on a document's first page: the other languages it is available in,
    # each as (language code, a sentence in that language: "Este documento también está
    # disponible en español.").
    languages: tuple[tuple[str, str], ...] = ()
    large_print: bool = False  # header and footer at the body size (page_large.py)
    key: object = field(default_factory=object, compare=False)


@frozen
class TagSettings:
    """What the structure tree of a PDF needs besides its pages."""

    lang: str
    title: str
    author: str
    parts: int = 1
    rtl: bool = False  # table rows are read from the right


class DocumentStart(Flowable):
    """Zero-size marker: from here on, pages belong to a new document."""

    def __init__(self, meta: PageMeta):
        super().__init__()
        self.meta = meta

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return 0, 0

    def draw(self) -> None:
        self.canv._doc_meta = self.meta  # read back by StampingCanvas when the page ends
        tagger = tagging.tagger_of(self.canv)
        if tagger is not None:
            self.canv._doc_element = tagger.start_document()


class BlankIfBack(Flowable):
    """For double-sided printing: fill an even (back) page, so the next document starts on a front."""

    def __init__(self, text: str, size: float = 12):
        super().__init__()
        self.text = text
        self.size = size  # the body size in large print, so the note reads like the rest
        self._fill = False

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        canv = getattr(self, "canv", None)
        self._fill = canv is not None and canv.getPageNumber() % 2 == 0
        self.width = avail_width
        return (avail_width, avail_height) if self._fill else (0, 0)

    def draw(self) -> None:
        if self._fill:
            self.canv._blank_page = True
            with tagging.artifact(self.canv, "Pagination"):
                self.canv.setFont(fonts.MAIN, self.size)
                self.canv.setFillColor(colors.HexColor("#555555"))
                _centred(self.canv, self.text, self.width / 2, self.height / 2, fonts.MAIN, self.size)


class StampingCanvas(Canvas):
    """Keeps each page until save, then stamps header, footer and per-document page totals."""

    def __init__(self, *args, custom_info: tuple[tuple[str, str], ...] = (), seed: str = "",
                 seed_fill: bool = False, tags: TagSettings | None = None, slim_later: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if custom_info:
            self._doc.info = _InfoWithCustomKeys(self._doc.info, custom_info)
        fonts.seed_subsets(seed, self._doc, fill=seed_fill)
        from patientdocs.render.pdf import tails

        self._seeded_codes = tails.font_codes(self._doc)  # what a reused tail may use (tails.py)
        self._pages: list[dict] = []
        self._doc_meta: PageMeta | None = None
        self._doc_element = None
        self._blank_page = False
        self._tags = tags
        self._slim_later = slim_later
        if tags is not None:
            tagging.install(self, tagging.Tagger(tags.lang, tags.parts, rtl=tags.rtl))

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
                # The first page of each document reads its logo, copy and warning once; the
                # running header and the footer are artifacts.
                first = state["_doc_element"] if numbers[key] == 1 and meta.page_offset == 0 else None
                # The same test as the page templates (render.py): a document's first page in this
                # file is laid out under the full letterhead, the others under the running header.
                _draw_header(self, meta, first, slim=numbers[key] > 1 and self._slim_later)
                with tagging.artifact(self, "Pagination", "Footer"):
                    _draw_footer(self, meta, numbers[key] + meta.page_offset, meta.page_total or totals[key])
            super().showPage()
        tagger = tagging.tagger_of(self)
        if tagger is not None and self._tags is not None:
            from patientdocs.render.pdf import structure

            structure.write(self, tagger, title=self._tags.title, author=self._tags.author,
                            page_annotations=[state["_annotationrefs"] for state in self._pages])
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


@contextmanager
def _once(canv: Canvas, document, role: str, alt: str | None = None, lang: str | None = None) -> Iterator[None]:
    """Header content that is read on a document's first page (before its body) and is an
    artifact on the pages after it. ``lang``: it is written in another language than the document."""
    tagger = tagging.tagger_of(canv)
    if tagger is None:
        yield
    elif document is None:
        with tagger.artifact(canv, "Pagination", "Header"):
            yield
    else:
        element = tagging.Element(role, document, alt=alt)
        element.lang = lang
        with tagger.element(canv, element, first=True):
            yield


_LANGUAGES_GAP = " · "


def _draw_languages(canv: Canvas, meta: PageMeta, document, edge: float, baseline: float) -> None:
    """The other languages a document is offered in, on one line against ``edge``: the right
    margin, or the left one of a right-to-left page (there the first language is on the right).

    Not page furniture: on the first page each sentence is a P with the /Lang it is written in, so
    a screen reader reads the offer, in that language's voice; the dots between are artifacts."""
    from patientdocs.render.pdf import bidi, shaping

    font, size = fonts.MAIN, meta.label_size * 0.75  # 9 pt; 12 pt or more in large print
    canv.setFillColor(colors.HexColor("#333333"))
    pieces: list[tuple[str | None, str]] = []
    for offered in meta.languages:
        pieces += [(None, _LANGUAGES_GAP), offered] if pieces else [offered]
    # Each sentence in the direction of its own first letter (a Hebrew offer on an English page).
    widths = [shaping.line_pieces_width(text, font, size, bidi.AUTO) for _, text in pieces]
    x = edge + sum(widths) if meta.rtl else edge - sum(widths)  # where the first piece starts
    for (language, text), w in zip(pieces, widths, strict=True):
        left = x - w if meta.rtl else x
        with _once(canv, document, "P", lang=language) if language else \
                tagging.artifact(canv, "Pagination", "Header"):
            shaping.draw_line(canv, text, left, baseline, font, size, base=bidi.AUTO)
        x = left if meta.rtl else x + w


def _draw_header(canv: Canvas, meta: PageMeta, document=None, slim: bool = False) -> None:
    """The clinic's letterhead; ``document`` is the structure element of a document's first page.
    ``slim``: the running header of a later page (name and copy label only)."""
    if meta.large_print:
        from patientdocs.render.pdf import page_large

        page_large.draw_header(canv, meta, document, slim)
        return
    if meta.rtl:
        _draw_header_rtl(canv, meta, document, slim)
        return
    width, height = canv._pagesize
    top = height - MARGIN + 7 * mm
    rule = height - MARGIN - HEADER_H + 8 * mm + (SLIM_GAIN if slim else 0)
    canv.saveState()
    text_left = MARGIN
    if meta.logo is not None and not slim:
        logo_h = 15 * mm
        with _once(canv, document, "Figure", alt=f"{meta.clinic_name} logo"):
            canv.drawImage(str(meta.logo), MARGIN, top - logo_h, width=logo_h * 2, height=logo_h,
                           preserveAspectRatio=True, anchor="w", mask="auto")
        text_left = MARGIN + logo_h * 2 + 4 * mm
    with tagging.artifact(canv, "Pagination", "Header"):
        _text(canv, meta.clinic_name, text_left, top - 5 * mm, fonts.MAIN + "-Bold", 14, meta.brand)
        for i, line in enumerate(meta.clinic_lines[:0 if slim else 2]):
            _text(canv, line, text_left, top - (10 + 4.5 * i) * mm, fonts.MAIN, 9.5, "#333333")
        canv.setStrokeColor(colors.HexColor(meta.brand))
        canv.setLineWidth(1.2)
        canv.line(MARGIN, rule, width - MARGIN, rule)
    if meta.copy_label:
        canv.setFont(fonts.MAIN + "-Bold", meta.label_size)
        label_w = canv.stringWidth(meta.copy_label, fonts.MAIN + "-Bold", meta.label_size) + 6 * mm
        with tagging.artifact(canv, "Pagination", "Header"):
            canv.setStrokeColor(colors.HexColor(meta.brand))
            canv.setFillColor(colors.white)
            canv.roundRect(width - MARGIN - label_w, top - 7 * mm, label_w, 8 * mm, 2 * mm, stroke=1, fill=1)
        with _once(canv, document, "P"):
            canv.setFillColor(colors.HexColor(meta.brand))
            canv.drawCentredString(width - MARGIN - label_w / 2, top - 4.6 * mm, meta.copy_label)
    if meta.languages and not slim:
        _draw_languages(canv, meta, document, width - MARGIN, top - 11 * mm)
    if meta.banner:
        with _once(canv, document, "P"):
            _text(canv, meta.banner, MARGIN, height - MARGIN - HEADER_H + 3.5 * mm, fonts.MAIN + "-Bold", 10,
                  "#8b0000")
    canv.restoreState()


def _draw_footer(canv: Canvas, meta: PageMeta, number: int, total: int) -> None:
    if meta.large_print:
        from patientdocs.render.pdf import page_large

        page_large.draw_footer(canv, meta, number, total)
        return
    if meta.rtl:
        _draw_footer_rtl(canv, meta, number, total)
        return
    width, _ = canv._pagesize
    canv.saveState()
    _text(canv, meta.footer_left, MARGIN, MARGIN - 6 * mm, fonts.MAIN, 9, "#333333")
    if meta.footer_note:
        _text(canv, meta.footer_note, MARGIN, MARGIN - 10 * mm, fonts.MAIN, 8, "#333333")
    canv.setFont(fonts.MAIN + "-Bold", 10)
    canv.drawRightString(width - MARGIN, MARGIN - 6 * mm, f"{meta.page_word} {number} {meta.of_word} {total}")
    canv.restoreState()


def _text(canv: Canvas, text: str, x: float, baseline: float, font: str, size: float, colour: str) -> None:
    """One line of header text, in any script (see shaping.draw_line)."""
    from patientdocs.render.pdf import shaping

    canv.setFillColor(colors.HexColor(colour))
    shaping.draw_line(canv, text, x, baseline, font, size)


def _centred(canv: Canvas, text: str, x: float, y: float, font: str, size: float) -> None:
    """A line centred on x in the current font; in another script (the blank page's note in
    Hebrew or Arabic) it is laid out like any line, in the direction of its first letter."""
    if fonts.is_simple(text):
        canv.drawCentredString(x, y, text)
        return
    from patientdocs.render.pdf import bidi, shaping

    width = shaping.line_pieces_width(text, font, size, bidi.AUTO)
    shaping.draw_line(canv, text, x - width / 2, y, font, size, base=bidi.AUTO)


# ---- right to left: the same header and footer, mirrored ------------------------------------------------------
# Twins of _draw_header and _draw_footer, kept apart so left-to-right pages stay byte for byte as
# they were: a change of size or place there belongs here too, mirrored.


def _text_rtl(canv: Canvas, text: str, x: float, baseline: float, font: str, size: float, colour: str,
              own_direction: bool = False) -> float:
    """One line against x on its right. A sentence of the document reads from the right; the
    clinic's details (``own_direction``) keep the direction of their first letter, so an address
    or a phone number in Latin letters and digits reads as typed."""
    from patientdocs.render.pdf import bidi, shaping

    canv.setFillColor(colors.HexColor(colour))
    return shaping.draw_line(canv, text, x, baseline, font, size, anchor="end",
                             base=bidi.AUTO if own_direction else bidi.RTL)


def _draw_header_rtl(canv: Canvas, meta: PageMeta, document=None, slim: bool = False) -> None:
    """The logo and the clinic's details on the right, the copy label on the left."""
    width, height = canv._pagesize
    top = height - MARGIN + 7 * mm
    rule = height - MARGIN - HEADER_H + 8 * mm + (SLIM_GAIN if slim else 0)
    canv.saveState()
    text_right = width - MARGIN
    if meta.logo is not None and not slim:
        logo_h = 15 * mm
        with _once(canv, document, "Figure", alt=f"{meta.clinic_name} logo"):
            canv.drawImage(str(meta.logo), width - MARGIN - logo_h * 2, top - logo_h, width=logo_h * 2,
                           height=logo_h, preserveAspectRatio=True, anchor="e", mask="auto")
        text_right -= logo_h * 2 + 4 * mm
    with tagging.artifact(canv, "Pagination", "Header"):
        _text_rtl(canv, meta.clinic_name, text_right, top - 5 * mm, fonts.MAIN + "-Bold", 14, meta.brand, True)
        for i, line in enumerate(meta.clinic_lines[:0 if slim else 2]):
            _text_rtl(canv, line, text_right, top - (10 + 4.5 * i) * mm, fonts.MAIN, 9.5, "#333333", True)
        canv.setStrokeColor(colors.HexColor(meta.brand))
        canv.setLineWidth(1.2)
        canv.line(MARGIN, rule, width - MARGIN, rule)
    if meta.copy_label:
        from patientdocs.render.pdf import bidi, shaping

        bold = fonts.MAIN + "-Bold"
        label_w = shaping.line_pieces_width(meta.copy_label, bold, meta.label_size, bidi.RTL) + 6 * mm
        with tagging.artifact(canv, "Pagination", "Header"):
            canv.setStrokeColor(colors.HexColor(meta.brand))
            canv.setFillColor(colors.white)
            canv.roundRect(MARGIN, top - 7 * mm, label_w, 8 * mm, 2 * mm, stroke=1, fill=1)
        with _once(canv, document, "P"):
            _text_rtl(canv, meta.copy_label, MARGIN + label_w - 3 * mm, top - 4.6 * mm, bold, meta.label_size,
                      meta.brand)
    if meta.languages and not slim:  # an English document laid out right to left (direction: rtl)
        _draw_languages(canv, meta, document, MARGIN, top - 11 * mm)
    if meta.banner:
        with _once(canv, document, "P"):
            _text_rtl(canv, meta.banner, width - MARGIN, height - MARGIN - HEADER_H + 3.5 * mm, fonts.MAIN + "-Bold",
                      10, "#8b0000")
    canv.restoreState()


def _draw_footer_rtl(canv: Canvas, meta: PageMeta, number: int, total: int) -> None:
    """Version and fingerprint from the right margin, "Page X of Y" at the left one."""
    from patientdocs.render.pdf import bidi, shaping

    width, _ = canv._pagesize
    canv.saveState()
    _text_rtl(canv, meta.footer_left, width - MARGIN, MARGIN - 6 * mm, fonts.MAIN, 9, "#333333")
    if meta.footer_note:
        _text_rtl(canv, meta.footer_note, width - MARGIN, MARGIN - 10 * mm, fonts.MAIN, 8, "#333333")
    shaping.draw_line(canv, f"{meta.page_word} {number} {meta.of_word} {total}", MARGIN, MARGIN - 6 * mm,
                      fonts.MAIN + "-Bold", 10, base=bidi.RTL)
    canv.restoreState()


def blank_page_pdf(text: str, pagesize: tuple[float, float], seed: str = "") -> bytes:
    """A one-page PDF that says the page is blank on purpose: a print run's filler between patients.

    Its note is an artifact, in the body font seeded like the documents' (so a print run stores
    that font once)."""
    import io

    fonts.register()
    buffer = io.BytesIO()
    canv = Canvas(buffer, pagesize=pagesize, initialFontName=fonts.MAIN)
    fonts.seed_subsets(seed, canv._doc, fill=True)
    canv.addLiteral("/Artifact <</Type /Pagination>> BDC")
    canv.setFont(fonts.MAIN, 12)
    canv.setFillColor(colors.HexColor("#555555"))
    _centred(canv, text, pagesize[0] / 2, pagesize[1] / 2, fonts.MAIN, 12)
    canv.addLiteral("EMC")
    canv.showPage()
    canv.save()
    return buffer.getvalue()

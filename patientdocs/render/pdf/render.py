"""Blocks to PDF bytes. One or more documents go into a single reportlab build."""

from __future__ import annotations

import functools
import io
from collections.abc import Mapping, Sequence

from reportlab import rl_config
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Frame, NextPageTemplate, PageBreak, PageTemplate
from reportlab.platypus.tables import CellStyle

from patientdocs.frozen import frozen
from patientdocs.render.markup import Node
from patientdocs.render.pdf import fonts, reuse, tagging
from patientdocs.render.pdf.flowables import BuildContext, build_story
from patientdocs.render.pdf.page import (
    FOOTER_H,
    HEADER_H,
    MARGIN,
    SLIM_GAIN,
    BlankIfBack,
    DocumentStart,
    PageMeta,
    StampingCanvas,
    TagSettings,
)
from patientdocs.render.pdf.styles import Theme, make_styles
from patientdocs.render.pdf.tails import TailDocTemplate

# Measured: about 8% faster and slightly smaller files without ASCII85.
rl_config.useA85 = 0
reuse.install()
# A table cell selects its style's font even when it holds paragraphs; reportlab's default is
# Helvetica, which would then be listed in every PDF without being embedded.
CellStyle.fontname = fonts.MAIN

PAPER = {"A4": A4, "Letter": LETTER}


@frozen
class Part:
    """One document inside a PDF: its parsed blocks and what its pages show."""

    tree: Node
    meta: PageMeta
    template: str
    prose: bool = False  # reading text (kinds.Kind.prose): a shorter measure, wider line spacing


@frozen
class PdfInfo:
    title: str
    author: str
    subject: str
    keywords: str
    custom: tuple[tuple[str, str], ...] = ()  # extra document-information keys, e.g. ("ContentVersion", "2026.11")
    lang: str = "en"  # the content's language (BCP 47), for screen readers
    direction: str = "ltr"  # "rtl": every page is laid out right to left (see rtl.py)


_STYLE_CACHE: dict[tuple[Theme, bool], dict[str, object]] = {}


def _styles(theme: Theme, prose: bool = False) -> dict[str, object]:
    if (theme, prose) not in _STYLE_CACHE:
        _STYLE_CACHE[theme, prose] = make_styles(theme, prose=prose)
    return _STYLE_CACHE[theme, prose]


# Characters a reading line holds (clear-print guidance: 60 to 75).
LINE_CHARACTERS = 71
_SAMPLE = "the evidence for dry needling comes from small studies, and soreness is common. "


@functools.cache
def reading_measure(theme: Theme) -> float:
    """The width of a line of about LINE_CHARACTERS characters of ordinary text in the body font."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    return stringWidth(_SAMPLE, fonts.MAIN, theme.font_size) / len(_SAMPLE) * LINE_CHARACTERS


# Letter is 18 mm shorter than A4. Its text comes 5 mm closer to the footer and, unless a
# warning banner needs the space under the header, 4 mm closer to the header, so a document
# keeps the same number of pages on either paper.
BOTTOM_GAIN = {"A4": 6 * mm, "Letter": 9 * mm}
TOP_GAIN = {"A4": 0, "Letter": 4 * mm}


def render_pdf(parts: Sequence[Part], *, paper: str, theme: Theme, info: PdfInfo,
               duplex: bool = False, fillable: bool = False, seed: str = "",
               shared_fonts: bool = False, filled: Mapping[str, str | bytes] | None = None) -> tuple[bytes, int]:
    """Lay out every part, each starting on a new page (on a front side when ``duplex``).

    Returns the PDF and its page count."""
    with reuse.rendering():
        return _render_pdf(parts, paper=paper, theme=theme, info=info, duplex=duplex, fillable=fillable, seed=seed,
                           shared_fonts=shared_fonts, filled=filled)


def _render_pdf(parts: Sequence[Part], *, paper: str, theme: Theme, info: PdfInfo, duplex: bool, fillable: bool,
                seed: str, shared_fonts: bool, filled: Mapping[str, str | bytes] | None) -> tuple[bytes, int]:
    fonts.register()
    pagesize = PAPER[paper]
    buffer = io.BytesIO()
    # A warning banner sits under the full letterhead on every page; without one, the pages after
    # a document's first have the running header and a taller frame (page.SLIM_GAIN).
    slim = not any(p.meta.banner for p in parts)
    top, bottom = MARGIN + HEADER_H - (TOP_GAIN[paper] if slim else 0), MARGIN + FOOTER_H - BOTTOM_GAIN[paper]
    later_gain = SLIM_GAIN if slim else 0
    if any(p.meta.large_print for p in parts):  # bands as tall as their lines at the body size
        from patientdocs.render.pdf import page_large

        top = max(page_large.header_height(p.meta, pagesize[0], slim=False) for p in parts)
        if slim:
            later_gain = top - max(page_large.header_height(p.meta, pagesize[0], slim=True) for p in parts)
        bottom = max(page_large.footer_height(p.meta, pagesize[0]) for p in parts)
    doc = TailDocTemplate(
        buffer, pagesize=pagesize, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=top, bottomMargin=bottom,
        title=info.title, author=info.author, subject=info.subject, keywords=info.keywords,
        creator="patientdocs", producer="patientdocs",
        # Every page would otherwise start with reportlab's Helvetica, a font not embedded.
        initialFontName=fonts.MAIN, initialFontSize=theme.font_size,
    )
    frame = Frame(doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="body",
                  leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
    later = Frame(doc.leftMargin, doc.bottomMargin, doc.width, doc.height + later_gain,
                  id="body", leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
    doc.addPageTemplates([PageTemplate(id="first", frames=[frame]), PageTemplate(id="later", frames=[later])])
    rtl_pages = info.direction == "rtl"

    def styles_for(prose: bool) -> dict[str, object]:
        chosen = _styles(theme, prose)
        if rtl_pages:
            from patientdocs.render.pdf import rtl

            chosen = rtl.mirror_styles(chosen)
        return chosen

    story = []
    # Each document's end, with what its flowables are made with besides their blocks' XML (tails.py).
    ends: list[tuple[object | None, tuple]] = []
    for i, part in enumerate(parts):
        settings = (part.tree.key, part.template, part.prose, theme, paper, duplex, rtl_pages, info.lang, doc.width,
                    slim, later_gain, top, bottom, seed, shared_fonts, fillable, len(parts) > 1, reuse.LINES)
        if i:
            end = NextPageTemplate("first")
            ends.append((end, ends.pop()[1]))
            story += [end, PageBreak()]
            if duplex:
                story += [BlankIfBack(part.meta.blank_text, theme.font_size if theme.large_print else 12),
                          CondPageBreak(1)]
        ends.append((None, settings))
        story += [DocumentStart(part.meta), NextPageTemplate("later")]
        story.extend(build_story(part.tree, BuildContext(styles_for(part.prose), doc.width, part.template, fillable,
                                                         reflow=theme.large_print, tag=tagging.tag_block,
                                                         filled=filled or {}, rtl=rtl_pages,
                                                         reading_styles=None if part.prose else styles_for(True),
                                                         # Not yet right to left: reportlab's bullets there
                                                         # place an item's text from its full width.
                                                         measure=reading_measure(theme)
                                                         if part.prose and not rtl_pages else None,
                                                         reading=None if rtl_pages else reading_measure(theme))))
    if not fillable and not filled:
        doc.use_tails(ends)
    tags = TagSettings(lang=info.lang, title=info.title, author=info.author, parts=len(parts), rtl=rtl_pages)
    doc.build(story, canvasmaker=functools.partial(StampingCanvas, custom_info=info.custom, seed=seed,
                                                        seed_fill=shared_fonts, tags=tags,
                                                        slim_later=slim))
    return buffer.getvalue(), doc.page

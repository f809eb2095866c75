"""Drawing shaped glyphs with reportlab, and a text layer that reads back as the letters typed.

reportlab draws text one character per glyph. Shaped text (joined Arabic, reordered Devanagari,
stacked Thai, a mark placed on its letter, a bracket mirrored in right-to-left text) is a list of
glyphs with their own advances and offsets, some of which no character stands for. Each glyph
is given a code in its font (its own character where that is what it shows, else a private one),
so reportlab's font subsetting embeds it, and ``GlyphTextObject`` writes the positions. The
subset's ToUnicode map gives each private code the letters it stands for, and the whole run sits
in an ActualText span, so search, copy and screen readers get the text as typed.
"""

from __future__ import annotations

from typing import Any

from reportlab.lib.rl_accel import fp_str
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import SUBSETN, TTFont
from reportlab.pdfgen.textobject import PDFTextObject

from patientdocs.render.pdf import marked

# Private codes in plane 15, clear of anything a font's own cmap maps.
_FIRST_PRIVATE = 0xF0000
# Bold for fonts that have no bold file: the outline stroked with this part of the font size.
BOLD_STROKE = 0.035


class GlyphFont(TTFont):
    """A TrueType font that can also show glyphs no character maps to."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._private: dict[tuple[int, str], int] = {}
        self._private_text: dict[int, str] = {}
        self._next_private = _FIRST_PRIVATE

    def glyph_code(self, gid: int, text: str, advance: float) -> int:
        """The code that draws glyph ``gid`` and reads back as ``text``.

        One glyph may stand for different letters (a shared form) or for none of its own (the
        second glyph of a split vowel): each (glyph, text) pair gets its own code, so the map
        from codes to text is exact and does not depend on what was drawn before."""
        chars = self.face.glyphToChar.get(gid)
        if chars and text == chr(chars[0]):
            return chars[0]
        key = (gid, text)
        code = self._private.get(key)
        if code is None:
            code = self._next_private
            self._next_private += 1
            self.face.charToGlyph[code] = gid
            self.face.charWidths[code] = advance
            self._private[key] = code
            self._private_text[code] = text
        return code

    def addObjects(self, doc) -> None:  # noqa: N802 (reportlab's name)
        state = self.state.get(doc)
        subsets = [list(s) for s in state.subsets] if state is not None else []
        super().addObjects(doc)
        if not self._private_text:
            return
        for n, subset in enumerate(subsets):
            if not any(code in self._private_text for code in subset):
                continue
            base = (SUBSETN(n) + b"+" + self.face.name + self.face.subfontNameX).decode("pdfdoc")
            doc.idToObject["toUnicodeCMap:" + base].content = self._to_unicode(base, subset)

    def _to_unicode(self, base: str, subset: list[int]) -> str:
        """reportlab's ToUnicode map, with a private code mapped to the letters it stands for
        (several for a ligature or conjunct; an empty string for a glyph whose letters another
        one of its cluster carries)."""
        entries = []
        for i, code in enumerate(subset):
            text = self._private_text.get(code, chr(code))
            entries.append(f"<{i:02X}> <{text.encode('utf-16-be').hex().upper()}>")
        return "\n".join([
            "/CIDInit /ProcSet findresource begin", "12 dict begin", "begincmap",
            f"/CIDSystemInfo << /Registry ({base}) /Ordering ({base}) /Supplement 0 >> def",
            f"/CMapName /{base} def", "/CMapType 2 def",
            "1 begincodespacerange", f"<00> <{len(subset) - 1:02X}>", "endcodespacerange",
            f"{len(entries)} beginbfchar", *entries, "endbfchar",
            "endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"])


class GlyphRun(str):
    """Glyphs in drawing order, as a string of their codes, with what is needed to place them.

    ``metrics`` holds, per glyph, (advance, x offset, y offset, the width the PDF font gives the
    code), all in thousandths of the font size. ``actual`` is the text as typed (None when the
    codes already read back right), ``stroke`` the stroking colour for synthetic bold."""

    metrics: tuple[tuple[float, float, float, float], ...]
    actual: str | None
    stroke: str | None
    width: float  # in thousandths of the font size

    source: str  # the text as typed, whatever ``actual`` is: its script gives the span's language

    def __new__(cls, codes: str, metrics, actual: str | None, stroke: str | None = None, source: str = ""):
        run = super().__new__(cls, codes)
        run.source = source
        run.metrics = tuple(metrics)
        run.actual = actual
        run.stroke = stroke
        run.width = sum(m[0] for m in run.metrics)
        return run


class GlyphTextObject(PDFTextObject):
    """reportlab's text object, which also draws GlyphRuns."""

    _open_lang: str | None = None
    _curSubset: int  # noqa: N815 (reportlab's name, set by its setFont; declared for type checkers)

    def _formatText(self, text: str) -> str:  # noqa: N802 (reportlab's name)
        # A name in another script is read in its own language: one span per run of it (spaces and
        # punctuation inside the run keep it open), closed before the text object ends.
        source = text.source if isinstance(text, GlyphRun) else text
        if not any(c.isalpha() for c in source):
            return self._format_glyphs(text)
        lang = _span_language(self._canvas, source)
        prefix = ""
        if lang != self._open_lang:
            if self._open_lang is not None:
                prefix = f"{marked.END} "
            if lang is not None:
                prefix += f"/Span <</Lang ({lang})>> BDC "
            self._open_lang = lang
        return prefix + self._format_glyphs(text)

    def getCode(self) -> str:  # noqa: N802 (reportlab's name)
        if self._open_lang is not None:
            self._code.append(marked.END)
            self._open_lang = None
        return super().getCode()

    def _format_glyphs(self, text: str) -> str:
        if not isinstance(text, GlyphRun):
            return super()._formatText(text)
        canv = self._canvas
        font = pdfmetrics.getFont(self._fontname)
        size = self._fontsize
        code: list[str] = []
        with marked.actual_text(code, text.actual):
            if text.stroke:
                code.append(f"{text.stroke} {fp_str(size * BOLD_STROKE)} w 2 Tr")
            glyph = 0
            rise = 0.0
            for subset, chunk in font.splitString(text, canv._doc):
                if subset != self._curSubset:
                    code.append(f"{font.getSubsetInternalName(subset, canv._doc)} {fp_str(size)} Tf "
                                f"{fp_str(self._leading or size)} TL")
                    self._curSubset = subset
                items: list[bytes | float] = []
                for byte in chunk:
                    advance, x_offset, y_offset, width = text.metrics[glyph]
                    glyph += 1
                    if y_offset != rise:
                        _show(code, items, canv)
                        rise = y_offset
                        code.append(f"{fp_str(self._rise + size * rise / 1000)} Ts")
                    # TJ numbers move the pen back: place the glyph by its offset, then step on
                    # by the shaped advance rather than the font's own width.
                    if x_offset:
                        items.append(-x_offset)
                    items.append(bytes((byte,)))
                    if width - advance + x_offset:
                        items.append(width - advance + x_offset)
                _show(code, items, canv)
            if rise:
                code.append(f"{fp_str(self._rise)} Ts")
            if text.stroke:
                code.append("0 Tr")
        return " ".join(code)


def _span_language(canv, text: str) -> str | None:
    """The language to mark ``text`` with in a tagged document, or None: not tagged, Latin, mixed,
    or the document's own script."""
    from patientdocs.render.pdf.scripts import LANGUAGE_SCRIPT, language_runs
    from patientdocs.render.pdf.tagging import tagger_of

    tagger = tagger_of(canv)
    if tagger is None:
        return None
    langs = {lang for lang, _ in language_runs(text) if lang is not None}
    if len(langs) != 1:
        return None
    (lang,) = langs
    return None if LANGUAGE_SCRIPT.get(lang, "LATIN") == tagger.script else lang


def _show(code: list[str], items: list[bytes | float], canv) -> None:
    """One TJ for the glyphs collected so far (adjacent glyphs share one string)."""
    if not items:
        return
    parts: list[str] = []
    pending = b""
    for item in items:
        if isinstance(item, bytes):
            pending += item
            continue
        if pending:
            parts.append(f"({canv._escape(pending)})")
            pending = b""
        if abs(item) > 1e-6:
            parts.append(fp_str(item))
    if pending:
        parts.append(f"({canv._escape(pending)})")
    code.append(f"[{' '.join(parts)}] TJ")
    items.clear()

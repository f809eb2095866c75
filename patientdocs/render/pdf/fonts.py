"""Bundled fonts: registered once per process, with a font per script for what the main font lacks.

The main family (Atkinson Hyperlegible) covers Latin; DejaVu Sans adds Greek, Cyrillic, Vietnamese
and most combining marks. A script font (Noto Sans Arabic, Hebrew, Devanagari, ..., Droid Sans
Fallback for Chinese and Japanese, Nanum Gothic for Korean) is chosen by the Unicode block of a
letter, so finding the font never means reading every file: each file is parsed only when some
text needs it, which keeps a cold run of an English document fast.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from patientdocs.errors import UnsupportedCharactersError

FONT_DIR = Path(__file__).resolve().parents[3] / "fonts"

MAIN = "Body"
FALLBACK = "Fallback"
_FILES = {
    MAIN: ("AtkinsonHyperlegible-Regular", "AtkinsonHyperlegible-Bold",
           "AtkinsonHyperlegible-Italic", "AtkinsonHyperlegible-BoldItalic"),
    FALLBACK: ("DejaVuSans", "DejaVuSans-Bold", "DejaVuSans-Oblique", "DejaVuSans-BoldOblique"),
}
_STYLES = ("", "-Bold", "-Italic", "-BoldItalic")

# family: (regular file, bold file or None (drawn with a stroked outline instead), Unicode blocks).
# These scripts have no italic: italic text keeps the upright letters.
SCRIPTS: dict[str, tuple[str, str | None, tuple[tuple[int, int], ...]]] = {
    "Hebrew": ("NotoSansHebrew-Regular", "NotoSansHebrew-Bold", ((0x0590, 0x05FF), (0xFB1D, 0xFB4F))),
    "Arabic": ("NotoSansArabic-Regular", "NotoSansArabic-Bold",
               ((0x0600, 0x06FF), (0x0750, 0x077F), (0x0870, 0x08FF), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF))),
    "Devanagari": ("NotoSansDevanagari-Regular", "NotoSansDevanagari-Bold", ((0x0900, 0x097F), (0xA8E0, 0xA8FF))),
    "Bengali": ("NotoSansBengali-Regular", "NotoSansBengali-Bold", ((0x0980, 0x09FF),)),
    "Gurmukhi": ("NotoSansGurmukhi-Regular", "NotoSansGurmukhi-Bold", ((0x0A00, 0x0A7F),)),
    "Gujarati": ("NotoSansGujarati-Regular", "NotoSansGujarati-Bold", ((0x0A80, 0x0AFF),)),
    "Tamil": ("NotoSansTamil-Regular", "NotoSansTamil-Bold", ((0x0B80, 0x0BFF),)),
    "Thai": ("NotoSansThai-Regular", "NotoSansThai-Bold", ((0x0E00, 0x0E7F),)),
    "Hangul": ("NanumGothic", None,
               ((0x1100, 0x11FF), (0x3130, 0x318F), (0xA960, 0xA97F), (0xAC00, 0xD7AF), (0xD7B0, 0xD7FF))),
    "CJK": ("DroidSansFallbackFull", None,
            ((0x2E80, 0x2FDF), (0x3000, 0x303F), (0x3040, 0x30FF), (0x31C0, 0x31FF), (0x3200, 0x33FF),
             (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0xFE30, 0xFE4F), (0xFF00, 0xFFEF))),
}
# Scripts written right to left, and those whose letters must be shaped (joined, reordered,
# stacked) by HarfBuzz; CJK and Hangul print one character per glyph.
RTL_SCRIPTS = frozenset({"Hebrew", "Arabic"})
COMPLEX_SCRIPTS = frozenset({"Hebrew", "Arabic", "Devanagari", "Bengali", "Gurmukhi", "Gujarati", "Tamil", "Thai"})
# Zero-width joiners steer how Persian and Indic letters join; elsewhere they are refused as junk.
JOINERS = frozenset("\u200c\u200d")


def script_of(code: int) -> str | None:
    """The script family whose font draws this code point (None: the main font or DejaVu)."""
    if code < 0x0590:
        return None
    for family, (_, _, blocks) in SCRIPTS.items():
        for start, end in blocks:
            if start <= code <= end:
                return family
    return None


def _glyph_font_class():
    from patientdocs.render.pdf.glyphs import GlyphFont

    return GlyphFont


@cache
def _family(name: str) -> frozenset[int]:
    """Register one family with reportlab; return the code points every style of it covers."""
    from reportlab.pdfbase import pdfmetrics

    font_class = _glyph_font_class()
    faces = []
    if name in _FILES:
        for style, filename in zip(_STYLES, _FILES[name], strict=False):
            face = font_class(name + style, str(FONT_DIR / f"{filename}.ttf"))
            pdfmetrics.registerFont(face)
            faces.append(face)
        pdfmetrics.registerFontFamily(name, normal=name, bold=name + "-Bold", italic=name + "-Italic",
                                      boldItalic=name + "-BoldItalic")
    else:
        regular, bold, _ = SCRIPTS[name]
        for style, script_file in (("", regular), ("-Bold", bold)):
            if script_file:  # a script may have no bold face
                face = font_class(name + style, str(FONT_DIR / f"{script_file}.ttf"))
                pdfmetrics.registerFont(face)
                faces.append(face)
    # Only characters every style can draw count, so bold text never shows a missing glyph.
    covered = set(faces[0].face.charToGlyph)
    for face in faces[1:]:
        covered &= set(face.face.charToGlyph)
    return frozenset(covered)


def covered(family: str) -> frozenset[int]:
    """Code points a family draws (registering it the first time)."""
    return _family(family)


def register() -> None:
    """Make the main family available to reportlab (idempotent)."""
    _family(MAIN)


def has_bold(family: str) -> bool:
    return family in _FILES or SCRIPTS[family][1] is not None


def face_name(family: str, font: str) -> tuple[str, bool]:
    """The registered face of ``family`` in the style of ``font`` ("Body-Bold" -> "Arabic-Bold"),
    and whether bold must be drawn by stroking the outline (a script font without a bold file)."""
    style = font[len(MAIN):] if font.startswith(MAIN) else ""
    if family in _FILES:
        return family + style, False
    bold = "Bold" in style
    if bold and not has_bold(family):
        return family, True
    return family + ("-Bold" if bold else ""), False


# Letters of Western, Central and Northern European names, for filling a font's first subset.
_FILL = "".join(chr(c) for c in range(0xC0, 0x180) if chr(c).isalpha())


def seed_subsets(text: str, doc: object, *, fill: bool = False) -> None:
    """Give the characters of ``text`` their font-subset codes first, in a fixed order.

    Codes are otherwise handed out in order of first use, so a patient's name on page 1 would
    shift the codes of every later page. Seeded with the content's own characters, the pages
    that hold no patient data come out byte-identical for every patient, and a day's print run
    stores them once (see printrun). With ``fill``, the first subset is also filled up with
    common name letters, so it is identical in every document (a rarer letter in a name goes
    into a small second subset): a print run then stores each font once."""
    from reportlab.pdfbase import pdfmetrics

    _family(MAIN)
    for style in _STYLES[:3]:  # bold italic is rare: embedding it unused would cost every document
        face = pdfmetrics.getFont(MAIN + style)
        cmap = face.face.charToGlyph
        face.splitString(" " + "".join(c for c in text if ord(c) in cmap), doc)
        if fill:
            state = face.state[doc]
            for char in _FILL:
                if state.nextCode >= 255:
                    break
                if ord(char) in cmap:
                    face.splitString(char, doc)
        # Fixed resource names too, so a fallback font used early cannot shift them.
        face.getSubsetInternalName(0, doc)


def _printable(char: str) -> bool:
    return not char.isspace() and unicodedata.category(char) not in ("Cc", "Cf")


def is_mark(char: str) -> bool:
    return unicodedata.category(char) in ("Mn", "Mc", "Me")


@cache
def _simple() -> frozenset[int]:
    """Code points the main font draws as they are: no combining mark (those need positioning)."""
    return frozenset(c for c in _family(MAIN) if not is_mark(chr(c)))


def is_simple(text: str) -> bool:
    """True when reportlab can print ``text`` as it is: all in the main font, nothing to shape or
    reorder. Nearly every paragraph is; the check runs in C first."""
    simple = _simple()
    return simple.issuperset(map(ord, text)) or all(ord(c) in simple or c.isspace() for c in text)


def clusters(text: str) -> Iterator[str]:
    """A letter with the marks and joiners that follow it: they must come from one font."""
    start = 0
    for i in range(1, len(text) + 1):
        if i == len(text) or not (is_mark(text[i]) or text[i] in JOINERS):
            yield text[start:i]
            start = i


def family_of(cluster: str) -> str | None:
    """The family that draws a whole cluster, or None when no single bundled font can."""
    codes = [ord(c) for c in cluster if c not in JOINERS]
    if not codes:
        return MAIN
    script = script_of(codes[0])
    candidates = (script, MAIN, FALLBACK) if script else (MAIN, FALLBACK)
    for family in candidates:
        have = _family(family)
        if all(code in have for code in codes):
            return family
    return None


def _char_family(char: str) -> str | None:
    code = ord(char)
    if code > 0xFFFF:
        # Beyond U+FFFF (emoji, rare scripts) reportlab writes a text layer that PDF readers
        # cannot search or copy, even where a font has the glyph.
        return None
    if code in _family(MAIN):
        return MAIN
    script = script_of(code)
    if script and code in _family(script):
        return script
    return FALLBACK if code in _family(FALLBACK) else None


def missing(text: str) -> list[str]:
    """Characters in ``text`` that no bundled font can draw, in order of first use."""
    main = _family(MAIN)
    needs_other = [c for c in dict.fromkeys(text) if ord(c) not in main and _printable(c)]
    return [c for c in needs_other if _char_family(c) is None]


def _show(chars: list[str]) -> str:
    shown = " ".join(f"'{c}' (U+{ord(c):04X})" for c in chars[:10])
    return shown + (f" and {len(chars) - 10} more" if len(chars) > 10 else "")


def check(text: str, what: str, *, allow_rtl: bool = True) -> None:
    """Refuse text that would print as empty boxes, naming the characters.

    ``allow_rtl=False`` is for the content of a left-to-right document: right-to-left letters in
    it need the whole page laid out right to left (a right-to-left language, or ``direction: rtl``)."""
    if not allow_rtl:
        rtl = list(dict.fromkeys(c for c in text if unicodedata.bidirectional(c) in ("R", "AL")))
        if rtl:
            raise UnsupportedCharactersError(f"{what} is in a right-to-left script but laid out left to right "
                                             f"(its language, or direction: ltr); set direction: rtl: {_show(rtl)}")
    bad = missing(text)
    if bad:
        raise UnsupportedCharactersError(f"{what} has characters no bundled font can print: {_show(bad)}")


def printable(text: str, replacement: str = "?") -> str:
    """``text`` with every character no bundled font can draw replaced (for staff-facing lists)."""
    bad = set(missing(text))
    return "".join(replacement if c in bad else c for c in text) if bad else text


def runs(text: str) -> list[tuple[str, str]]:
    """Split text into (family, text) runs: the main family where it has the glyphs, else the
    script font or the fallback; a letter and its marks always share a font."""
    if is_simple(text):
        return [(MAIN, text)]
    out: list[tuple[str, str]] = []
    for cluster in clusters(text):
        family = family_of(cluster) or _char_family(cluster[0]) or MAIN
        if cluster.isspace() or not _printable(cluster[0]):
            family = out[-1][0] if out else MAIN
        if out and out[-1][0] == family:
            out[-1] = (family, out[-1][1] + cluster)
        else:
            out.append((family, cluster))
    return out


def escape(text: str) -> str:
    """Escape for reportlab paragraph markup (exactly once, here)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def inline(text: str) -> str:
    """Escape text for a reportlab paragraph. Fonts for other scripts are chosen after parsing,
    where the bold or italic of the surrounding text is known, and text in another script takes
    the shaping path, which also marks its language in tagged documents (see glyphs)."""
    return escape(text)


def styled(family: str, font: str) -> str:
    """The registered font name of ``family`` in the style of ``font`` (e.g. "Body-Bold")."""
    return face_name(family, font)[0]

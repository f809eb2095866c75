"""Bundled fonts: registered once per process, with a fallback for scripts the main font lacks.

The main family (Atkinson Hyperlegible) covers Latin; DejaVu Sans adds Greek, Cyrillic and
Vietnamese. DejaVu is only parsed when some text needs it, which keeps a cold run fast.
"""

from __future__ import annotations

import unicodedata
from functools import cache
from pathlib import Path

from patientdocs.errors import UnsupportedCharactersError
from patientdocs.render.pdf.scripts import lang_markers, language_runs

FONT_DIR = Path(__file__).resolve().parents[3] / "fonts"

MAIN = "Body"
FALLBACK = "Fallback"
_FILES = {
    MAIN: ("AtkinsonHyperlegible-Regular", "AtkinsonHyperlegible-Bold",
           "AtkinsonHyperlegible-Italic", "AtkinsonHyperlegible-BoldItalic"),
    FALLBACK: ("DejaVuSans", "DejaVuSans-Bold", "DejaVuSans-Oblique", "DejaVuSans-BoldOblique"),
}
_STYLES = ("", "-Bold", "-Italic", "-BoldItalic")


@cache
def _family(name: str) -> frozenset[int]:
    """Register one family (four styles) with reportlab; return the code points it covers."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    faces = []
    for style, filename in zip(_STYLES, _FILES[name], strict=False):
        face = TTFont(name + style, str(FONT_DIR / f"{filename}.ttf"))
        pdfmetrics.registerFont(face)
        faces.append(face)
    pdfmetrics.registerFontFamily(name, normal=name, bold=name + "-Bold", italic=name + "-Italic",
                                  boldItalic=name + "-BoldItalic")
    # Only characters every style can draw count, so bold text never shows a missing glyph.
    covered = set(faces[0].face.charToGlyph)
    for face in faces[1:]:
        covered &= set(face.face.charToGlyph)
    return frozenset(covered)


def register() -> None:
    """Make the main family available to reportlab (idempotent)."""
    _family(MAIN)


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


def missing(text: str) -> list[str]:
    """Characters in ``text`` that no bundled font can draw, in order of first use."""
    main = _family(MAIN)
    needs_fallback = [c for c in text if ord(c) not in main and _printable(c)]
    if not needs_fallback:
        return []
    fallback = _family(FALLBACK)
    # Beyond U+FFFF (emoji, rare scripts) reportlab writes a text layer that PDF readers cannot
    # search or copy, even where a font has the glyph.
    return list(dict.fromkeys(c for c in needs_fallback if ord(c) not in fallback or ord(c) > 0xFFFF))


def check(text: str, what: str) -> None:
    """Refuse text that would print as empty boxes, or wrongly, naming the characters."""
    rtl = list(dict.fromkeys(c for c in text if unicodedata.bidirectional(c) in ("R", "AL")))
    if rtl:
        # reportlab lays text out left to right without joining letters: Arabic or Hebrew
        # would print in the wrong order, which is worse than not printing it.
        shown = " ".join(f"'{c}' (U+{ord(c):04X})" for c in rtl[:10])
        raise UnsupportedCharactersError(f"{what} is in a right-to-left script, which cannot be printed yet: "
                                         f"{shown}; write it in Latin letters")
    bad = missing(text)
    if bad:
        shown = " ".join(f"'{c}' (U+{ord(c):04X})" for c in bad[:10])
        more = f" and {len(bad) - 10} more" if len(bad) > 10 else ""
        raise UnsupportedCharactersError(f"{what} has characters no bundled font can print: {shown}{more}")


def printable(text: str, replacement: str = "?") -> str:
    """``text`` with every character no bundled font can draw replaced (for staff-facing lists)."""
    bad = set(missing(text))
    return "".join(replacement if c in bad else c for c in text) if bad else text


def runs(text: str) -> list[tuple[str, str]]:
    """Split text into (family, text) runs: the main family, or the fallback where it lacks a glyph."""
    main = _family(MAIN)
    # Nearly all text is covered by the main font; checking it in C first keeps this off the
    # profile (every paragraph of every document passes through here).
    if main.issuperset(map(ord, text)) or all(ord(c) in main or not _printable(c) for c in text):
        return [(MAIN, text)]
    _family(FALLBACK)
    out: list[tuple[str, str]] = []
    for char in text:
        family = FALLBACK if ord(char) not in main and _printable(char) else MAIN
        if out and out[-1][0] == family:
            out[-1] = (family, out[-1][1] + char)
        else:
            out.append((family, char))
    return out


def escape(text: str) -> str:
    """Escape for reportlab paragraph markup (exactly once, here)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _inline(text: str) -> str:
    return "".join(escape(part) if family == MAIN else f'<font face="{FALLBACK}">{escape(part)}</font>'
                   for family, part in runs(text))


def inline(text: str) -> str:
    """Escape text for a reportlab paragraph, switching to the fallback font where needed.

    A run in another script (a Greek name in an English sheet) is marked with its language."""
    pieces = language_runs(text)
    if len(pieces) == 1 and pieces[0][0] is None:
        return _inline(text)
    out = []
    for lang, part in pieces:
        if lang is None:
            out.append(_inline(part))
        else:
            start, end = lang_markers(lang)
            out.append(start + _inline(part) + end)
    return "".join(out)


def styled(family: str, font: str) -> str:
    """The registered font name of ``family`` in the style of ``font`` (e.g. "Body-Bold")."""
    return family + font[len(MAIN):] if font.startswith(MAIN) else font

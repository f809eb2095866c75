"""Paragraphs and lines in any script: a font per letter, bidi order, HarfBuzz shaping.

Nearly every paragraph is in the main font's letters and goes to reportlab's own Paragraph
untouched (``paragraph`` decides, with one set lookup). The others become a ``ScriptParagraph``:
reportlab parses the markup (so bold, italic and line breaks work as everywhere), then this
module lays out the lines itself:

1. each letter with its marks gets the first font that draws them all, in the style (bold,
   italic) of the text around it (``fonts.family_of``);
2. embedding levels come from the Unicode bidi algorithm for the whole paragraph, with a base
   direction (left to right for the English documents; right to left when the style says
   ``wordWrap='RTL'``);
3. words are cut into runs of one font and one level. A run in a script that joins or reorders
   letters, at an odd (right-to-left) level, or with combining marks is shaped by HarfBuzz in
   its own direction; other runs stay plain text;
4. lines are filled word by word (CJK may break between characters), and each line's runs are
   put in visual order with rule L2, so digits inside Hebrew keep their order (``כ-52``).

uharfbuzz and python-bidi are imported only when a paragraph needs them.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from reportlab.lib import colors
from reportlab.lib.rl_accel import fp_str
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import Paragraph
from reportlab.platypus.paragraph import FragLine, ParaLines, _handleBulletWidth

from patientdocs.render.pdf import bidi, fonts
from patientdocs.render.pdf.glyphs import GlyphRun, GlyphTextObject

# Break opportunities between letters: scripts written without spaces between words.
_CJK_BLOCKS = ((0x3040, 0x30FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))
# No line starts with these, and none ends with the opening ones.
_NO_START = frozenset("、。，．・：；？！ー）」』】〉》〕｝〙〗゛゜ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ")
_NO_END = frozenset("（「『【〈《〔｛〘〖")
# Marks that steer the bidi algorithm: they set levels and draw nothing.
BIDI_CONTROLS = frozenset("\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def base_direction(style) -> str:
    """A paragraph's base direction: right to left with the style's ``wordWrap='RTL'``
    (reportlab's switch, which also puts bullets on the right), or a ``baseDirection`` attribute;
    otherwise that of its first strong letter (UAX #9 P2), so an area or note typed in Arabic
    keeps its brackets, while every English sentence, names and all, stays left to right."""
    explicit = getattr(style, "baseDirection", None)
    if explicit in (bidi.LTR, bidi.RTL, bidi.AUTO):
        return explicit
    return bidi.RTL if getattr(style, "wordWrap", None) == "RTL" else bidi.AUTO


def needs_layout(text: str, base: str = bidi.AUTO) -> bool:
    """True when reportlab alone would print ``text`` wrongly (another font, shaping, order)."""
    return base == bidi.RTL or not fonts.is_simple(text)


def paragraph(markup: str | None, style, bullet: str | None = None, frags=None) -> Paragraph:
    """A reportlab Paragraph, or a ScriptParagraph when its text needs one."""
    text = markup if markup is not None else "".join(getattr(f, "text", "") for f in frags or ())
    cls = ScriptParagraph if needs_layout(text, base_direction(style)) else Paragraph
    return cls(markup, style, bulletText=bullet, frags=frags)


# ---- shaping -------------------------------------------------------------------------------------------------


@cache
def _hb_font(face: str):
    import uharfbuzz as hb

    ttf = pdfmetrics.getFont(face)
    hb_face = hb.Face(hb.Blob(ttf.face._ttf_data))
    return hb.Font(hb_face), 1000 / hb_face.upem


def _place_unpositioned_mark(font, glyphs: list[list], i: int, mark: str) -> None:
    """Centre a combining mark on its letter when the font has no anchor for the pair (DejaVu
    has none for marks on letters that already carry one, as in Yoruba ẹ̀): HarfBuzz then leaves
    it where the font draws it, which may be beside the letter or inside a capital."""
    gid, _, advance, x_offset, y_offset = glyphs[i]
    if advance or x_offset or y_offset or i == 0:
        return
    base_gid, base_advance = glyphs[i - 1][0], glyphs[i - 1][2]
    base, ink = font.get_glyph_extents(base_gid), font.get_glyph_extents(gid)
    if base is None or ink is None or not ink.width:
        return
    base_left, base_right = base.x_bearing - base_advance, base.x_bearing + base.width - base_advance
    centre = ink.x_bearing + ink.width / 2
    if not base_left <= centre <= base_right:
        glyphs[i][3] = (base_left + base_right) / 2 - centre
    gap = font.face.upem // 20
    klass = unicodedata.combining(mark)
    if klass == 230 and ink.y_bearing + ink.height < base.y_bearing + gap:  # above the letter
        glyphs[i][4] = base.y_bearing + gap - (ink.y_bearing + ink.height)
    elif klass == 220 and ink.y_bearing > base.y_bearing + base.height - gap:  # below it
        glyphs[i][4] = base.y_bearing + base.height - gap - ink.y_bearing


@lru_cache(maxsize=4096)
def shape(face: str, text: str, rtl: bool, stroke: str | None = None) -> GlyphRun:
    """``text`` (one font, one direction) as positioned glyphs in drawing order."""
    import uharfbuzz as hb

    font, scale = _hb_font(face)
    ttf = pdfmetrics.getFont(face)
    buf = hb.Buffer()
    buf.add_codepoints([ord(c) for c in text])  # clusters are then indices into text
    buf.guess_segment_properties()
    buf.direction = "rtl" if rtl else "ltr"
    # HarfBuzz's default features: no 'dlig' (Noto Sans Hebrew's turns יומיים into ױמײם).
    hb.shape(font, buf, {})
    starts = sorted({info.cluster for info in buf.glyph_infos})
    ends = dict(zip(starts, [*starts[1:], len(text)], strict=True))
    glyphs: list[list] = [[info.codepoint, info.cluster, pos.x_advance, pos.x_offset, pos.y_offset]
                          for info, pos in zip(buf.glyph_infos, buf.glyph_positions, strict=True)]
    for i, glyph in enumerate(glyphs):
        cluster_text = text[glyph[1]:ends[glyph[1]]]
        last = cluster_text[-1]
        if fonts.is_mark(last) and len(cluster_text) > 1 and i and glyphs[i - 1][1] == glyph[1] and not rtl:
            _place_unpositioned_mark(font, glyphs, i, last)
    texts, spelled = _glyph_texts(ttf, text, glyphs, ends, rtl)
    codes, metrics = [], []
    for (gid, _, advance, x_offset, y_offset), glyph_text in zip(glyphs, texts, strict=True):
        if glyph_text in fonts.JOINERS and not advance:
            continue  # a joiner has done its work in shaping; it has nothing to draw
        width = font.get_glyph_h_advance(gid) * scale
        code = ttf.glyph_code(gid, glyph_text, width)
        codes.append(chr(code))
        metrics.append((advance * scale, x_offset * scale, y_offset * scale, ttf.face.getCharWidth(code)))
    # An ActualText span unless each glyph is simply its own letter. Right-to-left runs
    # have none: readers take a PDF's right-to-left glyphs as drawn (visual order) and put them
    # back in logical order, and poppler does so with an ActualText too, reversing it.
    plain = spelled and len(glyphs) == len(text) and not any(g[3] or g[4] for g in glyphs)
    return GlyphRun("".join(codes), metrics, None if plain or rtl else text, stroke, source=text)


def _glyph_texts(ttf, text: str, glyphs: list[list], ends: dict[int, int], rtl: bool) -> tuple[list[str], bool]:
    """What each glyph reads back as, and whether every cluster was spelled by its glyphs' own
    letters. Where they do not spell it (a conjunct, a vowel drawn before its consonant, an
    Arabic letter's joined form), the first glyph of the cluster in drawing order carries all its
    letters and the others none, so even a reader that ignores ActualText gets the text:
    in logical order left to right, in visual order (reversed) right to left, as readers expect."""
    by_cluster: dict[int, list[int]] = {}
    for i, glyph in enumerate(glyphs):
        by_cluster.setdefault(glyph[1], []).append(i)
    texts = [""] * len(glyphs)
    spelled = True
    for cluster, members in by_cluster.items():
        cluster_text = text[cluster:ends[cluster]]
        own = [ttf.face.glyphToChar.get(glyphs[i][0]) for i in members]
        letters = [chr(chars[0]) if chars else "" for chars in own]
        # A joined form has no letter of its own: it stands for what the others do not show.
        rest = list(cluster_text)
        for letter in letters:
            if letter in rest:
                rest.remove(letter)
        if "" in letters:
            letters[letters.index("")] = "".join(rest)
        if "".join(letters[::-1] if rtl else letters) == cluster_text:
            for i, letter in zip(members, letters, strict=True):
                texts[i] = letter
        else:
            spelled = False
            texts[members[0]] = cluster_text[::-1] if rtl else cluster_text
    return texts, spelled


def _stroke(colour) -> str:
    red, green, blue = colors.toColor(colour).rgb()
    return f"{fp_str(red)} {fp_str(green)} {fp_str(blue)} RG"


# ---- runs and words ------------------------------------------------------------------------------------------


@dataclass
class Piece:
    """A run of one frag, font and level, ready to draw: plain text or a GlyphRun."""

    frag: Any  # a reportlab paragraph frag (reportlab is untyped)
    font: str
    text: str
    width: float
    level: int
    space: bool = False


def _families(text: str) -> list[str]:
    """The family of each character: a letter and its marks share one."""
    out: list[str] = []
    for cluster in fonts.clusters(text):
        family = fonts.family_of(cluster)
        if family is None:
            out.extend(fonts.family_of(c) or fonts.MAIN for c in cluster)
        else:
            out.extend([family] * len(cluster))
    return out


def _needs_shaping(text: str, family: str, level: int) -> bool:
    return level % 2 == 1 or family in fonts.COMPLEX_SCRIPTS or any(fonts.is_mark(c) for c in text)


def _piece(frag, family: str, text: str, level: int) -> Piece:
    size = frag.fontSize
    face, fake_bold = fonts.face_name(family, frag.fontName)
    if fake_bold or _needs_shaping(text, family, level):
        run = shape(face, text, level % 2 == 1, _stroke(frag.textColor) if fake_bold else None)
        return Piece(frag, face, run, run.width * size / 1000, level)
    return Piece(frag, face, text, pdfmetrics.stringWidth(text, face, size), level)


class _Segment:
    """The text between two forced line breaks, with everything known per character."""

    def __init__(self, parts: list[tuple[Any, str]], base: str):
        self.text = "".join(text for _, text in parts)
        self.owner = [frag for frag, text in parts for _ in text]
        self.levels = bidi.levels(self.text, base)
        self.families = _families(self.text)

    def pieces(self, start: int, end: int) -> list[Piece]:
        """The runs of text[start:end] (no spaces inside), each of one frag, font and level."""
        out: list[Piece] = []
        i = start
        text = self.text
        while i < end:
            if text[i] in BIDI_CONTROLS:
                i += 1
                continue
            j = i + 1
            key = (id(self.owner[i]), self.families[i], self.levels[i])
            while (j < end and text[j] not in BIDI_CONTROLS
                   and (id(self.owner[j]), self.families[j], self.levels[j]) == key):
                j += 1
            # A mark never starts a run: HarfBuzz must see it with its letter.
            while j < end and (fonts.is_mark(self.text[j]) or self.text[j] in fonts.JOINERS):
                j += 1
            out.append(_piece(self.owner[i], self.families[i], self.text[i:j], self.levels[i]))
            i = j
        return out

    def space(self, at: int) -> Piece:
        frag = self.owner[at]
        return Piece(frag, frag.fontName, " ", pdfmetrics.stringWidth(" ", frag.fontName, frag.fontSize),
                     self.levels[at], space=True)

    def words(self) -> list[tuple[int, int, int | None]]:
        """(start, end, index of the space after it or None) for each unit a line may end after."""
        text = self.text
        out: list[tuple[int, int, int | None]] = []
        start = None
        for i, char in enumerate(text):
            if char.isspace() and char != "\u00a0":
                if start is not None:
                    out.append((start, i, i))
                    start = None
                elif out and out[-1][2] is None:
                    out[-1] = (out[-1][0], out[-1][1], i)
                continue
            if start is None:
                start = i
            elif _break_between(text[i - 1], char):
                out.append((start, i, None))
                start = i
        if start is not None:
            out.append((start, len(text), None))
        return out


def _is_cjk(char: str) -> bool:
    code = ord(char)
    return any(a <= code <= b for a, b in _CJK_BLOCKS)


def _break_between(before: str, after: str) -> bool:
    return ((_is_cjk(before) or _is_cjk(after)) and after not in _NO_START and before not in _NO_END
            and not fonts.is_mark(after))


# ---- lines ---------------------------------------------------------------------------------------------------


def _width(pieces: list[Piece]) -> float:
    return sum(p.width for p in pieces)


def _split_word(segment: _Segment, start: int, end: int, room: float) -> int:
    """Where to cut a word too long for any line: after the last whole cluster that fits."""
    cut, i = start, start
    for cluster in fonts.clusters(segment.text[start:end]):
        if _width(segment.pieces(start, i + len(cluster))) > room and cut > start:
            break
        i += len(cluster)
        cut = i
    return max(cut, start + 1)


def _lines(segment: _Segment, widths: list[float], first_line: int) -> list[list[Piece]]:
    """Fill lines word by word; a word longer than a whole line is cut between clusters."""
    lines: list[list[Piece]] = []
    current: list[Piece] = []
    used = 0.0
    words = segment.words()
    k = 0
    while k < len(words):
        start, end, space_at = words[k]
        room = widths[min(first_line + len(lines), len(widths) - 1)]
        pieces = segment.pieces(start, end)
        width = _width(pieces)
        if current and used + width > room + 1e-6:
            lines.append(current)
            current, used = [], 0.0
            continue
        if not current and width > room + 1e-6:
            cut = _split_word(segment, start, end, room)
            if cut < end:
                words[k:k + 1] = [(start, cut, None), (cut, end, space_at)]
                continue
        current.extend(pieces)
        used += width
        if space_at is not None and k + 1 < len(words):
            space = segment.space(space_at)
            current.append(space)
            used += space.width
        k += 1
    if current or not lines:
        lines.append(current)
    return lines


def _visual(pieces: list[Piece], base: str) -> list[Piece]:
    while pieces and pieces[-1].space:  # L1: a line's trailing spaces go (at the base level)
        pieces = pieces[:-1]
    return bidi.visual_order(pieces, [p.level for p in pieces])


def _frag_line(pieces: list[Piece], max_width: float, line_break: bool, rtl_paragraph: bool) -> FragLine:
    words: list[Any] = []  # reportlab frags
    for piece in pieces:
        previous = words[-1] if words else None
        if (previous is not None and not isinstance(piece.text, GlyphRun) and not isinstance(previous.text, GlyphRun)
                and previous.fontName == piece.font and previous._source is piece.frag):
            previous.text += piece.text
            continue
        word = piece.frag.clone()
        word.text = piece.text
        word.fontName = piece.font
        word._source = piece.frag
        words.append(word)
    sizes = [p.frag.fontSize for p in pieces] or [0]
    metrics = [pdfmetrics.getAscentDescent(p.font, p.frag.fontSize) for p in pieces] or [(0, 0)]
    if rtl_paragraph:
        words.reverse()  # reportlab reverses a right-to-left paragraph's words again when drawing
    return FragLine(extraSpace=max_width - _width(pieces), wordCount=1 + sum(p.space for p in pieces),
                    lineBreak=line_break, words=words, fontSize=max(sizes), ascent=max(a for a, _ in metrics),
                    descent=min(d for _, d in metrics), maxWidth=max_width, sFW=0)


def _empty_line(frag, max_width: float) -> FragLine:
    """A line left empty by two line breaks: one empty word, so the drawing still moves down."""
    word = frag.clone()
    word.text = ""
    return FragLine(extraSpace=max_width, wordCount=0, lineBreak=True, words=[word], fontSize=frag.fontSize,
                    ascent=frag.fontSize, descent=0, maxWidth=max_width, sFW=0)


class ScriptParagraph(Paragraph):
    """A Paragraph whose lines are laid out here (fonts per script, bidi order, shaping)."""

    _laid: tuple[list[float], ParaLines] | None = None

    def breakLines(self, width: Any) -> Any:  # noqa: N802 (reportlab's name)
        widths = list(width) if isinstance(width, (list, tuple)) else [width]
        if self._laid is not None and self._laid[0] == widths:
            return self._laid[1]
        if any(hasattr(f, "cbDefn") for f in self.frags):  # images and anchors: not in the vocabulary
            return super().breakLines(width)
        _handleBulletWidth(self.bulletText, self.style, widths)
        base = base_direction(self.style)
        segments: list[list[tuple[Any, str]]] = [[]]
        for frag in self.frags:
            if getattr(frag, "lineBreak", False):
                segments.append([])
            elif getattr(frag, "text", ""):
                segments[-1].append((frag, frag.text))
        rtl = base == bidi.RTL
        lines: list[FragLine] = []
        for n, parts in enumerate(segments):
            if "".join(text for _, text in parts).strip():
                segment = _Segment(parts, base)
                for pieces in _lines(segment, widths, len(lines)):
                    room = widths[min(len(lines), len(widths) - 1)]
                    lines.append(_frag_line(_visual(pieces, base), room, False, rtl))
            elif n < len(segments) - 1 and lines:
                lines.append(_empty_line(self.frags[0], widths[min(len(lines), len(widths) - 1)]))
            if n < len(segments) - 1 and lines:
                lines[-1].lineBreak = True
        self._width_max = max((line.maxWidth - line.extraSpace for line in lines), default=0)
        return ParaLines(kind=1, lines=lines)

    def beginText(self, x, y):  # noqa: N802 (reportlab's name)
        return GlyphTextObject(self.canv, x, y)

    def split(self, availWidth, availHeight):  # noqa: N803 (reportlab's names)
        if not self.frags or availWidth < 1e-8 or availHeight < 1e-8:
            return []
        if not hasattr(self, "blPara"):
            self.wrap(availWidth, availHeight)
        lines = self.blPara.lines
        style = self.style
        fit = int((availHeight + 1e-8) // style.leading)
        orphans = getattr(style, "allowOrphans", 0)
        if fit == 0 or (fit == 1 and not orphans and len(lines) > 1):
            return []
        if fit >= len(lines):
            return [self]
        if not getattr(style, "allowWidows", 1) and len(lines) - fit == 1:
            fit -= 1
            if fit < 2:
                return []
        first = self._part(self.bulletText, lines[:fit])
        second = self._part(None, lines[fit:])
        return [first, second]

    def _part(self, bullet: str | None, lines: list[FragLine]) -> ScriptParagraph:
        part = ScriptParagraph(None, self.style, bulletText=bullet, frags=self.frags)
        laid = ParaLines(kind=1, lines=lines)
        part._laid = (list(self._wrapWidths), laid)
        return part


# ---- single lines (page header and footer) -------------------------------------------------------------------


class _Frag:
    """What a line drawn outside a paragraph needs of a reportlab frag."""

    def __init__(self, font: str, size: float, colour):
        self.fontName, self.fontSize, self.textColor = font, size, colour


def line_pieces(text: str, font: str, size: float, colour=colors.black, base: str = bidi.LTR) -> list[Piece]:
    """One line of text as pieces in visual order (no wrapping)."""
    frag = _Frag(font, size, colour)
    segment = _Segment([(frag, text)], base)
    pieces: list[Piece] = []
    for start, end, space_at in segment.words():
        pieces.extend(segment.pieces(start, end))
        if space_at is not None:
            pieces.append(segment.space(space_at))
    return _visual(pieces, base)


def line_pieces_width(text: str, font: str, size: float, base: str = bidi.LTR) -> float:
    """The width of one line as ``draw_line`` draws it with base direction ``base``."""
    if not needs_layout(text, base):
        return pdfmetrics.stringWidth(text, font, size)
    return _width(line_pieces(text, font, size, base=base))


def line_width(text: str, font: str, size: float) -> float:
    if not needs_layout(text):
        return pdfmetrics.stringWidth(text, font, size)
    return _width(line_pieces(text, font, size))


def draw_line(canv, text: str, x: float, y: float, font: str, size: float, *, anchor: str = "start",
              base: str = bidi.LTR) -> float:
    """Draw one line at (x, y) in the canvas's fill colour; ``anchor`` "end" puts its end at x.
    Returns its width."""
    if not needs_layout(text, base):
        width = pdfmetrics.stringWidth(text, font, size)
        start = x - width if anchor == "end" else x
        if (canv._fontname, canv._fontsize) != (font, size):
            canv.setFont(font, size)
        canv.drawString(start, y, text)
        return width
    pieces = line_pieces(text, font, size, canv._fillColorObj, base)
    width = _width(pieces)
    tx = GlyphTextObject(canv, x - width if anchor == "end" else x, y)
    for piece in pieces:
        tx.setFont(piece.font, size)
        tx._textOut(piece.text)
    canv.drawText(tx)
    return width

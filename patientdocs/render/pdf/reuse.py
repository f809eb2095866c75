"""Work that is the same for every patient of a run, done once and reused (issue 16).

Everything kept here lives for one process run, is keyed by everything that shapes the result
(the paragraph's markup, its style's every attribute, the width it is laid out in; the fonts and the
code cannot change within a run), and is reused only where the result would be computed again
identically: a document is byte for byte the same with and without it. ``PATIENTDOCS_REUSE=0``
turns all of it off (the tests compare the two).

What is kept:
- a paragraph's line breaking (``Paragraph.wrap``), for paragraphs whose markup was met in an
  earlier PDF (content text; a patient's own lines are met in one PDF only, and never kept);
- the drawing operators of a flowable that draws the same thing every time (``replay``), such as
  the consent form's icon arrays;
- compressed streams, by their bytes (pages without patient data, font subsets seeded alike), and
  the font subsets themselves.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import Any

from reportlab.platypus import Paragraph
from reportlab.platypus.paragraph import FragLine, _SplitWordHY

from patientdocs.render.pdf.shaping import ScriptParagraph

SWITCH = "PATIENTDOCS_REUSE"
_LIMIT = 1500  # entries per cache: about five times the content paragraphs of a packet, so a long day's
# patient lines (a cover sheet's rows are each laid out twice) age out instead of filling memory


# Reusing line breaking can be turned off on its own (the other reuse stays), should a case be met
# where a kept paragraph's lines differ from fresh ones; the tests compare the two either way.
LINES = True


def _switched_on() -> bool:
    return os.environ.get(SWITCH, "1").strip().lower() not in ("0", "off", "no", "false")


_during: bool | None = None  # the switch as read when the PDF being made was started
_document = 0  # PDFs started (``rendering``): line breaking is kept once met in a second one


def enabled() -> bool:
    """Reuse is on unless ``PATIENTDOCS_REUSE`` is "0", "off", "no" or "false"."""
    # Asked some 750 times a document: read once a PDF (``rendering``), not from the environment each time.
    return _switched_on() if _during is None else _during


@contextmanager
def rendering() -> Iterator[None]:
    """While a PDF is made, ``enabled`` answers what the switch said when it started."""
    global _during, _document
    previous, _during = _during, _switched_on()
    _document += 1
    try:
        yield
    finally:
        _during = previous
        if previous is None and _document >= 2 and not _settled:
            _settle()


_settled = False


def _settle() -> None:
    """After a process's second PDF, what it holds for good (modules, fonts, templates, content, the
    caches' first entries) is set aside from the garbage collector's full passes (gc.freeze).

    Each PDF leaves reportlab's web of reference cycles for the collector, and each full pass
    walked every object of the process again: about 0.6 ms of every warm document. Not after the
    first PDF, so the command that makes one document does not pay for the collection it starts."""
    global _settled
    import gc

    _settled = True
    gc.collect()
    gc.freeze()


_keeping = True  # False while a cover sheet is made (``keeping_nothing``)


@contextmanager
def keeping_nothing() -> Iterator[None]:
    """Reuse what is kept, but keep nothing new: a cover sheet's rows are each one patient's, met
    only by the cover (whose parts are made twice), so keeping them grew the main process with the
    number of rows (issue 16), up to the caches' limits, and pushed the documents' entries out."""
    global _keeping
    previous, _keeping = _keeping, False
    try:
        yield
    finally:
        _keeping = previous


def clear() -> None:
    """Forget everything kept (tests; a process that reloads fonts or code)."""
    _WRAPS.clear()
    _FIRST_MET.clear()
    _STYLE_KEYS.clear()
    _DRAWN.clear()
    global _compressed_bytes
    _COMPRESSED.clear()
    _compressed_bytes = 0
    _SUBSETS.clear()
    _TREES.clear()
    from patientdocs.render.pdf import tails

    tails.clear()


def kept() -> dict[str, int]:
    """How many results are kept: paragraphs' line breaking, drawings, streams and structure trees."""
    from patientdocs.render.pdf import tails

    return {"lines": len(_WRAPS), "drawings": len(_DRAWN), "streams": len(_COMPRESSED), "trees": len(_TREES),
            "tails": tails.kept()}


# ---- structure trees -------------------------------------------------------------------------------------------
# A document's structure tree, written (structure.py), by everything its bytes depend on: the same
# for every patient of a kind, language and paper, since the tree holds no text.

_TREES: OrderedDict[Hashable, Any] = OrderedDict()
_TREE_LIMIT = 32  # kinds x languages x paper sizes in one run; a tree is about 30 KB


def kept_tree(key: Hashable) -> Any:
    if not enabled():
        return None
    found = _TREES.get(key)
    if found is not None:
        _TREES.move_to_end(key)
    return found


def keep_tree(key: Hashable, tree: Any) -> None:
    if not _keeping or not enabled():
        return
    _put(_TREES, key, tree, _TREE_LIMIT)


def _put(table: OrderedDict, key: Hashable, value: Any, limit: int) -> None:
    """Keep ``value``, forgetting the least recently used entry when ``table`` holds ``limit``."""
    if len(table) >= limit:
        table.popitem(last=False)
    table[key] = value


# ---- styles ----------------------------------------------------------------------------------------------------

# id of a style -> (the style, kept alive so its id is never reused; its key)
_STYLE_KEYS: dict[int, tuple[Any, tuple]] = {}


def style_key(style) -> tuple:
    """Every attribute of a paragraph style (reportlab copies its parent's into it), as a key."""
    found = _STYLE_KEYS.get(id(style))
    if found is not None and found[0] is style:
        return found[1]
    key = tuple(sorted((name, repr(value)) for name, value in vars(style).items() if name != "parent"))
    if len(_STYLE_KEYS) >= _LIMIT:
        _STYLE_KEYS.clear()
    _STYLE_KEYS[id(style)] = (style, key)
    return key


# ---- line breaking ---------------------------------------------------------------------------------------------

# What Paragraph.wrap (and breakLines under it) set on a paragraph. Anything else changing during
# wrap means a case this cache does not know: that result is not kept.
_WRAP_STATE = frozenset({"width", "height", "_wrapWidths", "blPara", "frags", "_width_max",
                         "_splitLongWordCount", "_hyphenations"})
# Least recently used first: content paragraphs are met in every document and stay; a patient's
# own lines age out.
# Set on a paragraph by whoever places it (frames, wrapOn), not by wrap: never kept.
_PLACEMENT = frozenset({"canv", "_frame", "_postponed", "_reuse_key", "_reuse_initial", "_tagged"})
_WRAPS: OrderedDict[tuple, dict[str, Any]] = OrderedDict()
# Paragraphs met once, by the PDF they were met in. A paragraph is kept when it is met in a second
# PDF: content is met in every document, while a patient's own lines (the personal line, met four
# times in a packet) are met in one, and keeping them grew a long day's process (issue 16).
_FIRST_MET: OrderedDict[tuple, int] = OrderedDict()
_MISSING = object()


def _copy_lines(lines: Any, *, kept: bool = False) -> Any:
    """A copy of a ParaLines that drawing may change (tagging ends lines with a space) while the
    kept one stays as it was; the frags inside are shared, as reportlab itself shares them.

    ``kept``: ``lines`` is the cache's; the copy names it and its own list of lines
    (``_lines_kept``), so what drawing derives from the same lines in every document (tagging's
    spaced line ends) is kept on the cache's."""
    # A ParaLines, or (one frag, kind 0) a clone of that frag holding the lines.
    if not isinstance(getattr(lines, "lines", None), list) or not hasattr(lines, "clone"):
        return lines
    out = lines.clone()
    state = out.__dict__
    for name in DERIVED:
        state.pop(name, None)
    out.lines = [line.clone() if isinstance(line, FragLine) else line for line in lines.lines]
    if kept:
        state["_lines_kept"] = (lines, out.lines)
    return out


# Set on a ParaLines by drawing, or by this module: never copied with the lines.
DERIVED = ("_tag_spaced", "_tag_spaced_lines", "_lines_kept")


def _copy(name: str, value: Any, *, kept: bool = False) -> Any:
    if name == "blPara":
        return _copy_lines(value, kept=kept)
    if isinstance(value, list):
        return list(value)
    return value


_PLAIN_FRAGS = frozenset({"list", "ParaFrag", "_HSFrag"})


def _plain_frags(frags: Any) -> bool:
    """Frags that reportlab's split never changes in place (it re-classes a hyphenated or split
    word's, and those are left out)."""
    return isinstance(frags, list) and all(type(f).__name__ in _PLAIN_FRAGS for f in frags)


def _plain_words(lines: Any) -> bool:
    """One-frag lines whose words reportlab's split never changes in place: it re-classes a
    hyphenated word that ends a part (_split_blParaSimple), and the words are shared with the
    cache, so those paragraphs are left out (hyphenation is off; a soft hyphen can bring one)."""
    if getattr(lines, "kind", 1) != 0:
        return True
    return not any(isinstance(w, _SplitWordHY) for line in lines.lines if isinstance(line, tuple) for w in line[1])


def _own(item: Any) -> Any:
    """A private copy of a frag, or of a word's list of frags (reportlab changes them in place)."""
    if isinstance(item, list):
        # The list's class is part of the word: reportlab marks a word followed by a space as an
        # _HSFrag (and a split or soft-hyphenated one by other subclasses, some with attributes).
        # A plain list here lost every space of a split paragraph when its parts were laid out
        # again ("Otherchoices: exercise,hands-ontreatment").
        out = type(item)(_own(x) for x in item)
        if getattr(item, "__dict__", None):
            out.__dict__.update(item.__dict__)
        return out
    if type(item) is tuple:
        return tuple(_own(x) for x in item)
    return item.clone() if hasattr(item, "clone") else item


class _Reused:
    """Mixed into Paragraph and ScriptParagraph: ``wrap`` takes the kept layout for the same key."""

    _reuse_key: Hashable | None = None
    _reuse_initial: dict[str, Any] | None = None

    def wrap(self, availWidth, availHeight):  # noqa: N803 (reportlab's names)
        key = self._reuse_key
        if key is None or not enabled():
            return super().wrap(availWidth, availHeight)  # type: ignore[misc]
        whole = (key, availWidth)
        kept = _WRAPS.get(whole)
        state = self.__dict__
        if kept is not None:
            _WRAPS.move_to_end(whole)
            for name, value in kept.items():
                state[name] = _copy(name, value, kept=True)
            return self.width, self.height  # type: ignore[attr-defined]
        initial = self._reuse_initial
        result = super().wrap(availWidth, availHeight)  # type: ignore[misc]
        if initial is None or not _keeping:
            return result
        changed = {name: value for name, value in state.items()
                   if name not in _PLACEMENT and initial.get(name, _MISSING) is not value}
        if (changed.keys() <= _WRAP_STATE and "blPara" in changed and _plain_frags(state.get("frags"))
                and _plain_words(state["blPara"])):
            met = _FIRST_MET.get(whole)
            if met is None or met == _document:
                if met is None:
                    _put(_FIRST_MET, whole, _document, _LIMIT)
                return result
            del _FIRST_MET[whole]
            _put(_WRAPS, whole, {name: _copy(name, value) for name, value in changed.items()}, _LIMIT)
        return result


    def split(self, availWidth, availHeight):  # noqa: N803 (reportlab's names)
        # reportlab's split ends each line's last word with a space in place (_split_blParaHard):
        # the words of kept lines are shared with the cache (and with the parts of a split, which
        # are of this class too), so a paragraph that splits gets its own.
        state = self.__dict__
        lines = getattr(state.get("blPara"), "lines", None)
        if isinstance(lines, list):
            for line in lines:
                if isinstance(line, FragLine):
                    line.words = [_own(w) for w in line.words]
        if isinstance(state.get("frags"), list):
            state["frags"] = [_own(f) for f in state["frags"]]
        return super().split(availWidth, availHeight)  # type: ignore[misc]


class ReusedParagraph(_Reused, Paragraph):
    pass


class ReusedScriptParagraph(_Reused, ScriptParagraph):
    pass


_CLASSES: dict[type, type] = {Paragraph: ReusedParagraph, ScriptParagraph: ReusedScriptParagraph}


def keep_lines(para: Paragraph, markup: str, style, bullet: str | None) -> Paragraph:
    """Let ``para`` reuse the line breaking of an earlier paragraph of the same markup, bullet and
    style, laid out at the same width. Returns ``para`` itself."""
    cls = _CLASSES.get(type(para))
    if cls is None or not enabled() or not LINES:
        return para
    para.__class__ = cls
    para._reuse_key = (markup, bullet, style_key(style))  # type: ignore[attr-defined]
    para._reuse_initial = dict(para.__dict__)  # type: ignore[attr-defined]
    return para


# ---- drawing ---------------------------------------------------------------------------------------------------

_DRAWN: dict[Hashable, tuple[list[str], dict[str, Any]]] = {}
_CANVAS_STATE = frozenset({"_fillColorObj", "_strokeColorObj", "_lineWidth", "_fillAlpha", "_strokeAlpha",
                           "_fillOverprint", "_strokeOverprint", "_overprintMask", "_lineCap", "_lineJoin",
                           "_dash", "_miterLimit"})


def replay(canv, key: Hashable, draw: Callable[[], None]) -> None:
    """Call ``draw`` (which only adds operators to ``canv``'s page and sets its graphics state), or
    add the operators it added before for the same ``key``, and set the same state."""
    if not enabled():
        draw()
        return
    kept = _DRAWN.get(key)
    code = canv._code
    if kept is not None:
        code.extend(kept[0])
        canv.__dict__.update(kept[1])
        return
    start = len(code)
    before = dict(canv.__dict__)
    draw()
    changed = {name: value for name, value in canv.__dict__.items() if before.get(name, _MISSING) is not value}
    if changed.keys() <= _CANVAS_STATE and len(code) >= start and _keeping:
        if len(_DRAWN) >= _LIMIT:
            _DRAWN.clear()
        _DRAWN[key] = (code[start:], changed)


# ---- compression -----------------------------------------------------------------------------------------------

# Compressed streams by their bytes: the pages without patient data, and the font subsets seeded
# alike, are the same bytes in every document of a run, and zlib gives the same output for them.
# Least recently used first, within a budget of bytes (the streams a patient's data changes age
# out; the shared ones are met in every document), so memory stays flat over a long day.
_COMPRESSED: OrderedDict[bytes, bytes] = OrderedDict()
_COMPRESSED_BUDGET = 6 << 20
_COMPRESSED_LARGEST = 1 << 20
_compressed_bytes = 0


def _compress(text: bytes | str) -> bytes:
    import zlib

    if isinstance(text, str):
        text = text.encode("utf8")
    if not enabled() or len(text) > _COMPRESSED_LARGEST:
        return zlib.compress(text)
    found = _COMPRESSED.get(text)
    if found is not None:
        _COMPRESSED.move_to_end(text)
        return found
    if not _keeping:
        return zlib.compress(text)
    global _compressed_bytes
    found = _COMPRESSED[text] = zlib.compress(text)
    _compressed_bytes += len(text) + len(found)
    while _compressed_bytes > _COMPRESSED_BUDGET and _COMPRESSED:
        old, gone = _COMPRESSED.popitem(last=False)
        _compressed_bytes -= len(old) + len(gone)
    return found


# Font subsets by face and the codes in them: with the subsets seeded alike (a print run), every
# document of a run embeds the same ones. A code, once given a glyph, keeps it (glyphs.py).
_SUBSETS: OrderedDict[tuple, tuple[Any, bytes]] = OrderedDict()
_SUBSETS_LIMIT = 16


def _subset_maker(original: Callable[[Any, Any], bytes]) -> Callable[[Any, Any], bytes]:
    def make_subset(face, subset) -> bytes:
        if not enabled():
            return original(face, subset)
        key = (id(face), tuple(subset))
        found = _SUBSETS.get(key)
        if found is not None and found[0] is face:
            _SUBSETS.move_to_end(key)
            return found[1]
        data = original(face, subset)
        if not _keeping:
            return data
        _SUBSETS[key] = (face, data)  # the face kept alive, so its id is never another's
        if len(_SUBSETS) > _SUBSETS_LIMIT:
            _SUBSETS.popitem(last=False)
        return data

    make_subset._kept = True  # type: ignore[attr-defined]
    return make_subset


def install() -> None:
    """reportlab's one Flate filter compresses through the cache above, and its TrueType faces make
    their subsets through the one above that (the same calls, kept)."""
    from reportlab.pdfbase import pdfdoc, ttfonts

    pdfdoc.PDFZCompress.encode = _compress
    if not getattr(ttfonts.TTFontFace.makeSubset, "_kept", False):
        ttfonts.TTFontFace.makeSubset = _subset_maker(ttfonts.TTFontFace.makeSubset)

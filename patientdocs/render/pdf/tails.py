"""A document's last pages, when they hold no patient data, made once and reused whole (issue 16).

A document's first page holds the patient's details; what follows is content, the same for every
patient. Once a page starts on the same blocks as a page of an earlier PDF, with nothing after them
but content up to the end of the document, the rest of the document comes out exactly as it did
then: the same operators on the same pages, the same structure elements. So the first time such a
run of pages (a tail) is laid out, what it left is recorded: each page's operators and canvas
state, and what tagging added to the structure tree, in terms of the tail's own elements. The next
PDF whose page starts on the same blocks takes the recording instead of laying them out again.

What makes two tails the same is the key: the XML of every block left in the document (each
block's flowables come from its XML and the part's settings alone), those settings (styles, widths,
paper, language, the font seed), and the page's template and frame. A block that holds a patient's
name makes a key no other patient shares, so a tail with patient data in it is never reused.

A tail is recorded only when nothing in it depends on what came before it in its PDF, and each of
these is checked when it is recorded; otherwise it is not kept:
- its text uses only the font subsets' seeded codes (fonts.seed_subsets: the content's
  characters), so a name's letters earlier in the PDF cannot change how its text is encoded;
- it adds no PDF object (image, font, form field, link) and no page annotation;
- its structure elements hang from the document itself, not from an element begun before it.

Like the rest of reuse.py, this is off with ``PATIENTDOCS_REUSE=0``; the tests compare the two.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable, Sequence
from typing import Any

from reportlab.lib.colors import Color
from reportlab.platypus import BaseDocTemplate

from patientdocs.render.pdf import reuse
from patientdocs.render.pdf.tagging import Element, Tagger, tagger_of

_LIMIT = 48  # tails kept: a few for each kind and language of a run (a page 1 that ends elsewhere is another)
_TRIES = 3  # a tail that cannot be kept (a name's letter in its subset) is tried this often, then left

# Canvas state that is the PDF's own (its document, file, tagger, pages) or the page's accumulators:
# never taken from a recording. Everything else the canvas holds at a page's end is plain values.
_OWN = frozenset({"_doc", "_filename", "_extgstate", "_tagger", "_pages", "_doc_meta", "_doc_element", "_tags",
                  "_doctemplate", "_code", "_pageNumber", "_codeStack", "state_stack", "_annotationrefs",
                  "_formsinuse", "_colorsUsed", "_shadingUsed", "_psCommandsAfterPage", "_psCommandsBeforePage",
                  "_destinations", "_outlines", "_namedCB", "_tail_doc", "_blank_page"})
_EMPTY_AT_PAGE_END = ("_codeStack", "state_stack", "_annotationrefs", "_formsinuse", "_colorsUsed", "_shadingUsed",
                      "_psCommandsAfterPage", "_psCommandsBeforePage")
_PLAIN = (int, float, str, bool, type(None), tuple)
_KEEPABLE = (*_PLAIN, Color)  # a colour is a value too: reportlab never changes one in place

_TAILS: OrderedDict[Hashable, _Tail] = OrderedDict()
_REFUSED: dict[Hashable, int] = {}
_SEEN: OrderedDict[Hashable, bool] = OrderedDict()  # tails met once
replayed = 0  # tails taken from a recording in this process (the tests read it)


def clear() -> None:
    global replayed
    _TAILS.clear()
    _REFUSED.clear()
    _SEEN.clear()
    replayed = 0


def kept() -> int:
    return len(_TAILS)


def font_codes(doc: object) -> tuple:
    """How far each font's subsets of ``doc`` have handed out codes."""
    from reportlab.pdfbase import pdfmetrics

    out = []
    for name, font in pdfmetrics._fonts.items():
        states = getattr(font, "state", None)  # a TrueType font's: a WeakKeyDictionary by document
        if states is not None and hasattr(states, "get"):
            state = states.get(doc)
            if state is not None and hasattr(state, "nextCode"):
                out.append((name, state.nextCode, len(state.subsets)))
    return tuple(out)


def _objects(doc: Any, canv: Any) -> tuple:
    """What a tail must not add to: the PDF's objects and fonts, the canvas's transparency states."""
    extg = canv._extgstate
    return (len(doc.idToObject), len(doc.fontMapping), len(getattr(doc, "delayedFonts", ())),
            tuple(sorted(extg._d.items())), len(extg._c), len(canv._destinations), len(canv._outlines))


class _Page:
    __slots__ = ("code", "count", "state")

    def __init__(self, state: dict[str, Any], count: int):
        self.code = list(state["_code"])
        self.count = count  # flowables placed on it (reportlab's check for empty pages)
        self.state = {k: v for k, v in state.items() if k not in _OWN}


class _Tail:
    """The recording: full pages, the page the tail ended on, and the tail's structure."""

    __slots__ = ("frame", "last", "pages", "seeded", "structure")

    def __init__(self, pages: list[_Page], last: _Page, frame: dict[str, Any], seeded: tuple,
                 structure: _Structure | None):
        self.pages = pages
        self.last = last
        self.frame = frame
        self.seeded = seeded
        self.structure = structure


class _Structure:
    """What tagging added in a tail, by index into the tail's own elements (in the order attached).

    ``elements``: (role, parent index or -1 for the document, alt, lang, attributes, kids), a kid
    being ~index for an element or (page offset << 16 | MCID) for content; ``top``: the elements
    the document gained; ``pages``: per page from the tail's first, the element index of each MCID;
    ``trace``: the tagger's trace, with ("s", element index or -1, entry) for an entry naming an
    element's serial second (an attach names its parent) and (index, page offset) for a
    marked-content sequence."""

    __slots__ = ("elements", "pages", "top", "trace")

    def __init__(self, elements: list[tuple], top: list[int], pages: list[list[int]], trace: list[tuple]):
        self.elements = elements
        self.top = top
        self.pages = pages
        self.trace = trace


class _Mark:
    """The tagger's counters when a recording starts."""

    def __init__(self, tagger: Tagger, page: int):
        self.serial = tagger.next_serial
        self.trace = len(tagger.trace)
        self.top = len(tagger.document)
        self.page = page
        self.slots = dict(tagger.header_slots)


def _idle(tagger: Tagger) -> bool:
    return not tagger.stack and not tagger.open  # (tagger.item is set anew for each list item)


def _record_structure(tagger: Tagger, mark: _Mark) -> _Structure | None:
    """The tail's part of the tree, or None when it reaches into elements begun before it."""
    first, document = mark.serial, tagger.document
    if not _idle(tagger) or tagger.header_slots != mark.slots:
        return None
    top = document[mark.top:]
    if not all(isinstance(e, Element) and e.serial >= first for e in top):
        return None
    ordered: list[Element] = []
    stack: list[Element] = list(reversed(top))  # type: ignore[arg-type]
    while stack:
        element = stack.pop()
        ordered.append(element)
        stack.extend(reversed([k for k in element if isinstance(k, Element)]))
    if len(ordered) != tagger.next_serial - first:  # an element of the tail hangs from an earlier one
        return None
    ordered.sort(key=lambda e: e.serial)
    index = {id(e): i for i, e in enumerate(ordered)}
    elements = []
    for e in ordered:
        if e.field is not None or e.serial - first != index[id(e)]:
            return None
        parent = -1 if e.parent is document else index.get(id(e.parent))
        if parent is None:
            return None
        kids = []
        for kid in e:
            if isinstance(kid, Element):
                kids.append(~index[id(kid)])
            else:
                page = (kid >> 16) - mark.page
                if page < 0:
                    return None
                kids.append(page << 16 | (kid & 0xFFFF))
        elements.append((e.role, parent, e.alt, e.lang, dict(e.attributes) if e.attributes else None, kids))
    pages: list[list[int]] = []
    for numbers in tagger.pages[mark.page:]:
        if not all(id(e) in index for e in numbers):
            return None
        pages.append([index[id(e)] for e in numbers])
    if len(tagger.pages) < mark.page and pages:
        return None
    trace: list[tuple] = []
    for entry in tagger.trace[mark.trace:]:
        if isinstance(entry, tuple):  # an attach, or a mirrored row put in reading order: entry[1] a serial
            serial = entry[1]
            parent = -1 if serial == document.serial else serial - first
            if parent != -1 and not 0 <= parent < len(ordered):
                return None
            trace.append(("s", parent, entry))
        else:
            serial, page = entry >> 16, entry & 0xFFFF
            if serial < first or page < mark.page:
                return None
            trace.append((serial - first, page - mark.page))
    return _Structure(elements, [index[id(e)] for e in top], pages, trace)


def _replay_structure(tagger: Tagger, structure: _Structure, page: int) -> None:
    document, first = tagger.document, tagger.next_serial
    copies: list[Element] = []
    for i, (role, parent, alt, lang, attributes, _) in enumerate(structure.elements):
        element = Element(role, document if parent < 0 else copies[parent], alt=alt,
                          attributes=dict(attributes) if attributes else None)
        element.lang = lang
        element.serial = first + i
        copies.append(element)
    for element, (*_, kids) in zip(copies, structure.elements, strict=True):
        element.extend(copies[~k] if k < 0 else ((k >> 16) + page) << 16 | (k & 0xFFFF) for k in kids)
    document.extend(copies[i] for i in structure.top)
    tagger.next_serial = first + len(copies)
    trace = tagger.trace
    for entry in structure.trace:
        if entry[0] == "s":
            _, parent, (name, _serial, *rest) = entry
            trace.append((name, document.serial if parent < 0 else first + parent, *rest))
        else:
            trace.append((first + entry[0]) << 16 | (page + entry[1]))
    pages = tagger.pages
    if structure.pages:
        while len(pages) < page + len(structure.pages):
            pages.append([])
        for offset, ids in enumerate(structure.pages):
            pages[page + offset] = [copies[i] for i in ids]


class _Recording:
    def __init__(self, key: Hashable, end: object, doc: TailDocTemplate):
        canv = doc.canv
        self.key = key
        self.end = end  # the flowable after the tail (None: the end of the story)
        self.pages: list[_Page] = []
        self.start_page = canv._pageNumber
        self.objects = _objects(canv._doc, canv)
        self.codes = font_codes(canv._doc)
        self.meta = canv._doc_meta
        self.frame = _frame_state(doc.frame)
        tagger = tagger_of(canv)
        self.mark = _Mark(tagger, canv._pageNumber - 1) if tagger is not None else None
        self.good = self.codes == getattr(canv, "_seeded_codes", None) and (tagger is None or _idle(tagger))

    def page_ended(self, state: dict[str, Any], count: int) -> None:
        page = _Page(state, count)
        if (state.get("_blank_page") or any(state.get(name) for name in _EMPTY_AT_PAGE_END)
                or not all(isinstance(v, _KEEPABLE) for v in page.state.values())):
            self.good = False
        self.pages.append(page)

    def finish(self, doc: TailDocTemplate) -> _Tail | None:
        canv = doc.canv
        if not self.good or canv._doc_meta is not self.meta or not _doc_idle(doc):
            return None
        if _objects(canv._doc, canv) != self.objects or font_codes(canv._doc) != self.codes:
            return None
        last = _Page(dict(canv.__dict__), doc._curPageFlowableCount)
        if (any(getattr(canv, name) for name in _EMPTY_AT_PAGE_END)
                or not all(isinstance(v, _KEEPABLE) for v in last.state.values())):
            return None
        if len(self.pages) != canv._pageNumber - self.start_page:
            return None
        frame = _frame_state(doc.frame)
        changed = {k: v for k, v in frame.items() if self.frame.get(k, _NOTHING) is not v}
        if not all(isinstance(v, _PLAIN) for v in changed.values()):
            return None
        structure = None
        tagger = tagger_of(canv)
        if tagger is not None and self.mark is not None:
            structure = _record_structure(tagger, self.mark)
            if structure is None:
                return None
        return _Tail(self.pages, last, changed, self.codes, structure)


_NOTHING = object()


def _frame_state(frame: Any) -> dict[str, Any]:
    return dict(frame.__dict__)


def _doc_idle(doc: BaseDocTemplate) -> bool:
    """Nothing of the page layout carries over from one page to the next (backgrounds, indents,
    flowables repeated at each page's top, a change of page template pending)."""
    return (not getattr(doc, "_frameBGs", None) and not getattr(doc, "_leftExtraIndent", 0)
            and not getattr(doc, "_rightExtraIndent", 0) and not getattr(doc, "_pageTopFlowables", None)
            and not getattr(doc, "_topFlowables", None) and not hasattr(doc, "_nextPageTemplateIndex")
            and not hasattr(doc, "_nextPageTemplateCycle") and not getattr(doc, "_hanging", None))


class TailDocTemplate(BaseDocTemplate):
    """reportlab's document template, reusing recorded tails (see the module's docstring).

    ``part_ends``: for each document in the PDF, the flowable that follows its last block (None for
    the last document), with that document's settings (``Keyed``)."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._fresh_page = False
        self._recording: _Recording | None = None
        self._part_ends: dict[int, tuple[object, Hashable]] = {}
        self._last_part: Hashable | None = None
        self._tails_on = False

    def use_tails(self, part_ends: Sequence[tuple[object | None, Hashable]]) -> None:
        """Turn tails on for this build: each document's end marker and settings key."""
        self._tails_on = reuse.enabled()
        for end, key in part_ends:
            if end is None:
                self._last_part = key
            else:
                self._part_ends[id(end)] = (end, key)

    def handle_pageBegin(self) -> None:  # noqa: N802 (reportlab's name)
        super().handle_pageBegin()
        self._fresh_page = True

    def handle_pageEnd(self) -> None:  # noqa: N802
        count = self._curPageFlowableCount
        super().handle_pageEnd()
        recording = self._recording
        if recording is not None:
            recording.page_ended(self.canv._pages[-1], count)

    def filterFlowables(self, flowables: list) -> None:  # noqa: N802
        if not self._tails_on or flowables is self._hanging:
            return
        recording = self._recording
        if recording is not None:
            if flowables[0] is recording.end:
                self._finish()
            return
        if self._fresh_page:
            self._fresh_page = False
            self._page_start(flowables)

    def _endBuild(self) -> None:  # noqa: N802
        if self._recording is not None and self._recording.end is None:
            self._finish()
        super()._endBuild()

    def _finish(self) -> None:
        recording, self._recording = self._recording, None
        assert recording is not None
        tail = recording.finish(self)
        if tail is None:
            _REFUSED[recording.key] = _REFUSED.get(recording.key, 0) + 1
            return
        _TAILS[recording.key] = tail
        while len(_TAILS) > _LIMIT:
            _TAILS.popitem(last=False)

    def _page_start(self, flowables: list) -> None:
        if not self.frame._atTop or not _doc_idle(self):
            return
        keys = []
        end: object | None = None
        for f in flowables:
            key = getattr(f, "_tail_key", None)
            if key is None:
                end = f
                break
            keys.append(key)
        if not keys:
            return
        if end is None:
            part = self._last_part
            if part is None:
                return
        else:
            found = self._part_ends.get(id(end))
            if found is None or found[0] is not end:
                return  # patient data follows: not a tail
            part = found[1]
        canv = self.canv
        frames = tuple((f._x1, f._y1, f._width, f._height, f._leftPadding, f._rightPadding, f._topPadding,
                        f._bottomPadding) for f in self.pageTemplate.frames)
        key = (part, self.pageTemplate.id, frames, canv._pagesize, tagger_of(canv) is not None, tuple(keys))
        tail = _TAILS.get(key)
        if tail is not None:
            if tail.seeded == getattr(canv, "_seeded_codes", None):
                _TAILS.move_to_end(key)
                self._replay(tail, flowables, len(keys))
            return
        if not reuse._keeping or _REFUSED.get(key, 0) >= _TRIES:
            return
        # Recorded when met in a second PDF, as reuse.py keeps line breaking: content is met in every
        # document, while a tail that holds a patient's lines (a consent form's signature page) is
        # met in one and would only push the others out.
        if _SEEN.pop(key, None) is None:
            _SEEN[key] = True
            while len(_SEEN) > _LIMIT:
                _SEEN.popitem(last=False)
            return
        self._recording = _Recording(key, end, self)

    def _replay(self, tail: _Tail, flowables: list, count: int) -> None:
        global replayed
        canv = self.canv
        tagger = tagger_of(canv)
        if tail.structure is not None and tagger is not None:
            _replay_structure(tagger, tail.structure, canv._pageNumber - 1)
        for page in tail.pages:
            _restore(canv, page)
            self._curPageFlowableCount = page.count
            self.handle_pageEnd()
            self.clean_hanging()
        _restore(canv, tail.last)
        self._curPageFlowableCount = tail.last.count
        self.frame.__dict__.update(tail.frame)
        self._fresh_page = False
        del flowables[:count]
        if not flowables:
            flowables.append(None)  # handle_flowable discards it and returns
        replayed += 1


def _restore(canv: Any, page: _Page) -> None:
    canv.__dict__.update(page.state)
    canv._code = list(page.code)

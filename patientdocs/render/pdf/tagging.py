"""Tagged PDF, the layout side: the structure role of each block, and marked content on the pages.

reportlab has no tagging API. This module adds one without changing how anything is laid out:

- ``ROLES`` says, per tag of the XML vocabulary, which structure element its flowables become
  (``h1`` -> H1, ``ul`` -> L/LI/Lbl/LBody, ``risk-table`` -> Table/TR/TH/TD, ...). A tag that is not
  listed gets a generic treatment (a Div; a Figure when it has an ``alt`` attribute), so new blocks
  are tagged before anyone adds them here.
- ``tag_block`` tags what a builder returned: each flowable's class becomes a subclass of its own
  with ``TaggedFlowable`` first, which leaves layout alone and, when drawn, brackets the content
  with ``/Role <</MCID n>> BDC ... EMC``. A paragraph split over two pages stays one structure
  element, with one marked-content sequence per page.
- Tables: background and rules are artifacts; each cell of a data table is a TH or TD. A header
  row repeated on a later page is an artifact (it was read once already).
- A ``Tagger`` lives on the canvas while a PDF is built: it numbers the marked content per page and
  records which element each number belongs to. ``structure.py`` writes the tree from that.

Marked content from other layers (a ``/Span <</ActualText ...>> BDC`` around a shaped word, the
``/Span <</Lang ...>>`` around a name in another script) sits inside an element's sequence: nested,
never flattened.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import cast

from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, PageBreak, Paragraph, Spacer, Table

from patientdocs.render.pdf.scripts import LANGUAGE_SCRIPT

# ---------------------------------------------------------------------------------------------
# The structure tree, as it is being recorded


class Element(list["Element | int"]):
    """One structure element: a role, its attributes, and, as the list it is, its kids in reading
    order (``kids``).

    Kids are other elements or content on a page, as ``page index << 16 | MCID`` (``mcr``). The
    element is its own list of kids, and content is an int, because the garbage collector's
    passes come with the objects a document makes: a list of kids and a pair for each MCID were
    some 500 objects more in every tagged sheet, and made tagging cost half as much again in
    collections as in its own work (issue 12). An element equals only itself, as an object does.

    Role, alternative text, language, attributes and field are set before the element is
    attached, and kids change only through the Tagger: its trace of what it did is the key of
    the tree written (structure.py), so the same trace must always mean the same tree. A form
    field's widget (``field``, its name) is linked when the tree is written."""

    __slots__ = ("alt", "attributes", "field", "lang", "parent", "role", "serial")

    def __init__(self, role: str, parent: Element | None = None, *, alt: str | None = None,
                 attributes: dict[str, str] | None = None):
        self.role = role
        self.parent = parent
        self.serial = -1  # the order it was attached in (Tagger.attach); -1: not in the tree yet
        self.alt = alt
        self.lang: str | None = None
        self.attributes = attributes  # the /A dictionary: owner and values, e.g. {"O": "Table", "Scope": "Column"}
        self.field: str | None = None

    @property
    def kids(self) -> list[Element | int]:
        return self

    __hash__ = object.__hash__  # type: ignore[assignment]

    def __eq__(self, other: object) -> bool:
        return self is other

    def __ne__(self, other: object) -> bool:
        return self is not other

    def top(self) -> Element:
        element = self
        while element.parent is not None:
            element = element.parent
        return element

    def adopt(self, child: Element) -> None:
        """Make this the parent of ``child``'s outermost unparented ancestor."""
        top = child.top()
        if top is not self:
            top.parent = self

    def __repr__(self) -> str:  # for test failures
        return f"<{self.role} {len(self)} kids>"


def mcr(kid: int) -> tuple[int, int]:
    """The page index and MCID of an element's kid that is content on a page."""
    return kid >> 16, kid & 0xFFFF


class Tagger:
    """Marked-content bookkeeping for one PDF, kept on the canvas while it is built."""

    def __init__(self, lang: str, parts: int = 1, *, rtl: bool = False):
        self.lang = lang
        # A right-to-left document draws each mirrored table's row from its last column: the
        # row's cells are put back in reading order (from the right) when the row ends.
        self.rtl = rtl
        self.script = LANGUAGE_SCRIPT.get(lang.split("-")[0].lower(), "LATIN")
        self.root = Element("Document")
        self.root.serial = 0
        self.next_serial = 1  # the serial of the next element attached
        # Every change made to the tree, in order, as plain values: the same trace, the same tree.
        self.trace: list[tuple | int] = []
        self.parts = parts
        self.document: Element = self.root  # the element of the document being drawn
        self.pages: list[list[Element]] = []  # per page index: the element of each MCID
        self.stack: list[Element] = []  # leaf elements whose content is being drawn
        self.open = False  # a marked-content sequence of stack[-1] is open in the page content
        self.header_slots: dict[int, int] = {}  # id(document element) -> elements put before its body
        # A list item's Lbl and LBody while it is drawn, and canvas.drawText meanwhile, bound once:
        # a closure for each item was more objects for the garbage collector (see Element).
        self.item: list[Element] = []
        self.draw_item_text = self._draw_item_text

    # -- documents -------------------------------------------------------------------------------

    def start_document(self) -> Element:
        """A new document of the file begins: with several in one file, each is a Part."""
        if self.parts > 1:
            self.document = Element("Part", self.root)
        return self.document

    # -- elements and marked content ---------------------------------------------------------------

    def attach(self, element: Element, *, first: bool = False) -> None:
        """Put ``element`` into the tree on first use, so the tree follows the order of drawing.

        ``first`` puts it before the document's body (the header is drawn after the body)."""
        if element.serial >= 0:
            return
        parent = element.parent
        if parent is None:
            parent = element.parent = self.stack[-1] if self.stack else self.document
        if parent.serial < 0:
            self.attach(parent)
        if first:
            slot = self.header_slots.get(id(parent), 0)
            parent.insert(slot, element)
            self.header_slots[id(parent)] = slot + 1
        else:
            parent.append(element)
        element.serial = self.next_serial
        self.next_serial += 1
        attributes = element.attributes
        self.trace.append((element.role, parent.serial, first, element.alt, element.lang, element.field,
                           tuple(attributes.items()) if attributes else None))

    # Called a few hundred times a page: the page's operators are appended to canv._code directly
    # (what canv.addLiteral does), and the page number read from canv._pageNumber (getPageNumber).

    def bdc(self, canv, element: Element) -> str:
        """The operator that opens the next marked-content sequence of ``element`` on this page."""
        page = canv._pageNumber - 1
        pages = self.pages
        while len(pages) <= page:
            pages.append([])
        numbers = pages[page]
        number = len(numbers)
        numbers.append(element)
        element.append(page << 16 | number)  # pages and MCIDs of a page fewer than 65,536
        self.trace.append(element.serial << 16 | page)  # and elements
        return f"/{element.role} <</MCID {number}>> BDC"

    def _draw_item_text(self, text_object) -> None:
        """canvas.drawText while a bulleted list item is drawn: its first text object (the
        bullet) is the item's Lbl, the others its LBody."""
        item = self.item
        element = item.pop(0) if len(item) > 1 else item[0]
        canv = text_object._canvas
        code = text_object._code
        code.insert(1, self.bdc(canv, element))
        code.append("EMC")
        type(canv).drawText(canv, text_object)

    def begin(self, canv, element: Element, *, first: bool = False) -> None:
        """Open ``element``'s content; an element already open is closed meanwhile (no nesting of MCIDs)."""
        if element.serial < 0:
            self.attach(element, first=first)
        code = canv._code
        if self.open:
            code.append("EMC")
        self.stack.append(element)
        code.append(self.bdc(canv, element))
        self.open = True

    def end(self, canv) -> None:
        code = canv._code
        if self.open:
            code.append("EMC")
        stack = self.stack
        stack.pop()
        if stack:
            code.append(self.bdc(canv, stack[-1]))
            self.open = True
        else:
            self.open = False

    @contextmanager
    def element(self, canv, element: Element, *, first: bool = False) -> Iterator[None]:
        self.begin(canv, element, first=first)
        try:
            yield
        finally:
            self.end(canv)

    @contextmanager
    def artifact(self, canv, kind: str = "", subtype: str = "") -> Iterator[None]:
        """Content that is not part of the document's text: rules, backgrounds, running headers."""
        self.begin_artifact(canv, kind, subtype)
        try:
            yield
        finally:
            self.end_artifact(canv)

    def begin_artifact(self, canv, kind: str = "", subtype: str = "") -> None:
        """``artifact`` without a context manager, for reportlab's table hooks (one call per rule
        and background of every table)."""
        code = canv._code
        if self.open:
            code.append("EMC")
            self.open = False
        code.append(_ARTIFACTS.get((kind, subtype)) or _artifact_operator(kind, subtype))

    def end_artifact(self, canv) -> None:
        code = canv._code
        code.append("EMC")
        if self.stack:
            code.append(self.bdc(canv, self.stack[-1]))
            self.open = True


def _artifact_operator(kind: str, subtype: str) -> str:
    props = "".join(f" /{k} /{v}" for k, v in (("Type", kind), ("Subtype", subtype)) if v)
    return f"/Artifact <<{props}>> BDC" if props else "/Artifact BMC"


# The artifacts the project draws, formatted once.
_ARTIFACTS = {(kind, subtype): _artifact_operator(kind, subtype)
              for kind, subtype in (("", ""), ("Pagination", ""), ("Pagination", "Header"), ("Pagination", "Footer"))}


def tagger_of(canv) -> Tagger | None:
    return getattr(canv, "_tagger", None)


@contextmanager
def artifact(canv, kind: str = "", subtype: str = "") -> Iterator[None]:
    """An artifact on any canvas: a no-op where nothing is being tagged."""
    tagger = tagger_of(canv)
    if tagger is None:
        yield
        return
    with tagger.artifact(canv, kind, subtype):
        yield


def install(canv, tagger: Tagger) -> None:
    """Let ``canv`` record marked content for ``tagger``."""
    canv._tagger = tagger


# ---------------------------------------------------------------------------------------------
# Tagged flowables


def _space_line_ends(para: Paragraph, *, last_too: bool = False) -> None:
    """End every line but the last with a space, so extracted text and screen readers do not run
    the last word of a line into the first of the next ("flowonto"). Invisible: text is left-aligned.

    ``last_too``: the paragraph goes on on the next page, so its last line here ends a line too."""
    bl = getattr(para, "blPara", None)
    ends = len(bl.lines) - (0 if last_too else 1) if bl is not None else 0
    if bl is None or getattr(bl, "_tag_spaced", False) or ends < 1:
        return
    bl._tag_spaced = True
    lines = bl.lines
    if bl.kind != 0 and getattr(para.style, "wordWrap", None) == "RTL":
        _space_rtl_line_ends(para, lines[:ends])
        return
    # Lines from the cache of line breaking (reuse.py) are the same in every document: spaced once
    # for each ``last_too``, and the result kept on the cache's own lines. Only lines copied from
    # the cache as they are: reportlab clones a copy's other attributes into the parts of a split.
    kept = bl.__dict__.get("_lines_kept")
    done = None
    if kept is not None and kept[1] is lines:
        done = kept[0].__dict__.setdefault("_tag_spaced_lines", {})
        found = done.get(ends)
        if found is not None:
            if bl.kind == 0:
                bl.lines = list(found)
            else:
                for line, words in zip(lines, found, strict=False):  # found: the lines but the last, or all
                    if words is not None:
                        line.words = words
            return
    if bl.kind == 0:
        for i in range(ends):
            extra, words = lines[i]
            if words:
                words = words[:]  # the list may be shared with the lines kept for other documents
                words[-1] += " "
                lines[i] = (extra, words)
        if done is not None:
            done[ends] = tuple(lines)
        return
    spaced: list[list | None] = []
    for line in lines[:ends]:
        words = line.words
        for j in range(len(words) - 1, -1, -1):
            if not hasattr(words[j], "cbDefn") and hasattr(words[j], "text"):
                words = list(words)
                words[j] = words[j].clone(text=words[j].text + " ")
                line.words = words
                spaced.append(words)
                break
        else:
            spaced.append(None)
    if done is not None:
        done[ends] = tuple(spaced)


def _space_rtl_line_ends(para: Paragraph, lines) -> None:
    """A right-to-left line ends at its left: the space is drawn there, before its first glyph,
    and the line keeps its place against the right margin."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    for line in lines:
        words = [w for w in line.words if not hasattr(w, "cbDefn") and hasattr(w, "text")]
        if not words:
            continue
        space = words[0].clone(text=" ", fontName=para.style.fontName)
        width = stringWidth(" ", space.fontName, space.fontSize)
        # reportlab draws a right-to-left line's words from the end of the list.
        line.words = [*line.words, space]
        line.extraSpace -= width


class Tag:
    """What a tagged flowable's content belongs to.

    ``kind``: "leaf" (all content in ``element``), "item" (a list item: the bullet is the LI's
    Lbl, the text its LBody), "table" (a data table: TR/TH/TD), "layout" (a table used as a box:
    its rules and background are artifacts, its cells hold tagged flowables), "plain" (a
    paragraph in a table cell, whose TH or TD holds its text: only its line ends are spaced).
    ``continued``: a later part of a split flowable; ``more``: a part that another part follows."""

    __slots__ = ("continued", "element", "head_rows", "kind", "more")

    def __init__(self, element: Element | None, kind: str = "leaf", head_rows: int = 0, continued: bool = False,
                 more: bool = False):
        self.element = element
        self.kind = kind
        self.head_rows = head_rows
        self.continued = continued
        self.more = more


class TaggedFlowable(Flowable):
    """Mixed in before a flowable's own class (see ``tagged``): drawing brackets its content
    with ``/Role <</MCID n>> BDC ... EMC``, and the parts of a split keep the structure element.

    The flowable itself is tagged, not wrapped: reportlab reads dozens of attributes of every
    flowable it places (most with hasattr, so a wrapper answered them by raising), and a
    wrapper's delegation was most of what tagging added to laying a page out (issue 12)."""

    _tagged: Tag | None = None

    def split(self, availWidth, availHeight):  # noqa: N803 (reportlab's names)
        parts = super().split(availWidth, availHeight)
        tag = self._tagged
        if tag is None:
            return parts
        last = len(parts) - 1
        for i, part in enumerate(parts):
            if not (isinstance(part, _CONTENTLESS) or getattr(part, "_ZEROSIZE", False)):
                tagged(part, tag.element, tag.kind, head_rows=tag.head_rows, continued=tag.continued or i > 0,
                       more=tag.more or i < last)
        return parts

    def drawOn(self, canvas, x, y, _sW=0):  # noqa: N802, N803
        tagger = tagger_of(canvas)
        tag = self._tagged
        draw = super().drawOn
        if tagger is None or tag is None:
            draw(canvas, x, y, _sW)
            return
        if isinstance(self, Paragraph):
            _space_line_ends(self, last_too=tag.more)
        kind = tag.kind
        if kind == "plain":
            draw(canvas, x, y, _sW)
            return
        if kind in ("table", "layout"):
            if tag.element is not None:
                tagger.attach(tag.element)
            self._tag_tagger = tagger
            self._tag_cell = False
            self._renderCB = _layout_callback if kind == "layout" else _data_callback
            draw(canvas, x, y, _sW)
            return
        if kind == "item":
            self._draw_item(tagger, tag, canvas, x, y, _sW)
            return
        # tagger.element's begin and end, without a context manager: once for every block drawn
        tagger.begin(canvas, tag.element)
        try:
            draw(canvas, x, y, _sW)
        finally:
            tagger.end(canvas)

    def _draw_item(self, tagger: Tagger, tag: Tag, canvas, x, y, _sW) -> None:  # noqa: N803
        """A bulleted paragraph: its bullet and its text are two text objects, drawn in that order;
        each gets its own marked content, inside the text object, so q/Q and BT/ET stay nested."""
        label, body = cast("_ItemElement", tag.element).kids_roles
        draw = super().drawOn
        if not getattr(self, "bulletText", None):
            tagger.begin(canvas, body)
            try:
                draw(canvas, x, y, _sW)
            finally:
                tagger.end(canvas)
            return
        tagger.attach(label)
        tagger.attach(body)
        if tagger.open:
            canvas.addLiteral("EMC")
            tagger.open = False
        tagger.item[:] = (label, body)
        canvas.drawText = tagger.draw_item_text
        try:
            draw(canvas, x, y, _sW)
        finally:
            del canvas.drawText
        if tagger.stack:
            canvas.addLiteral(tagger.bdc(canvas, tagger.stack[-1]))
            tagger.open = True


_TAGGED_CLASSES: dict[type, type] = {}


def _tagged_class(cls: type) -> type:
    found = _TAGGED_CLASSES.get(cls)
    if found is None:
        # The name keeps the class's own: reportlab reads it (XPreformatted draws preformatted).
        found = _TAGGED_CLASSES[cls] = type(f"{cls.__name__}Tagged", (TaggedFlowable, cls), {})
    return found


def tagged(flowable: Flowable, element: Element | None, kind: str = "leaf", *, head_rows: int = 0,
           continued: bool = False, more: bool = False) -> Flowable:
    """Tag ``flowable`` itself (its class becomes a subclass of its own with TaggedFlowable first).
    Layout is untouched; returns ``flowable``."""
    if not isinstance(flowable, TaggedFlowable):
        flowable.__class__ = _tagged_class(type(flowable))
    flowable._tagged = Tag(element, kind, head_rows, continued, more)
    return flowable


def is_tagged(flowable: object) -> bool:
    return getattr(flowable, "_tagged", None) is not None


class _ItemElement(Element):
    __slots__ = ("kids_roles",)
    kids_roles: tuple[Element, Element]


def list_item(parent: Element) -> _ItemElement:
    item = _ItemElement("LI", parent)
    item.kids_roles = (Element("Lbl", item), Element("LBody", item))
    return item


# The commands of reportlab's table drawing hook that the reading order of a mirrored row needs.
_ROW_COMMANDS = frozenset({"startRow", "startCell", "endRow"})


def _layout_callback(table: Table, command: str, *args) -> None:
    """reportlab's table drawing hook for a table used as a box: rules and background as
    artifacts; plain text in a cell (not a tagged flowable) still needs an element."""
    tagger = table._tag_tagger
    if tagger.rtl and command in _ROW_COMMANDS and _mirrored(table):
        _reading_order(table, table._tagged, command)
    # The commands in the order of how often they come: a cell's two, then the others.
    if command == "startCell":
        value = args[2]
        if isinstance(value, str) and value.strip():
            tagger.begin(table.canv, Element("P", table._tagged.element))
            table._tag_cell = True
    elif command == "endCell":
        if table._tag_cell:
            tagger.end(table.canv)
            table._tag_cell = False
    else:
        _rules_and_background(tagger, table, command)


def _data_callback(table: Table, command: str, *args) -> None:
    """reportlab's table drawing hook for a data table: rules and background as artifacts, each
    cell a TH or TD of its row's TR; a header row repeated on a later page is an artifact."""
    tagger = table._tag_tagger
    if tagger.rtl and command in _ROW_COMMANDS and _mirrored(table):
        _reading_order(table, table._tagged, command)
    if command == "startCell":
        if not table._tag_repeat:
            if table._tag_head:
                cell = Element("TH", table._tag_row, attributes={"O": "Table", "Scope": "Column"})
            else:
                cell = Element("TD", table._tag_row)
            tagger.begin(table.canv, cell)
    elif command == "endCell":
        if not table._tag_repeat:
            tagger.end(table.canv)
    elif command == "startRow":
        tag = table._tagged
        row = args[0]
        table._tag_repeat = tag.continued and row < table.repeatRows
        if table._tag_repeat:
            tagger.begin_artifact(table.canv, "Pagination")
        else:
            table._tag_row = Element("TR", tag.element)
            table._tag_head = not tag.continued and row < tag.head_rows
    elif command == "endRow":
        if table._tag_repeat:
            tagger.end_artifact(table.canv)
    else:
        _rules_and_background(tagger, table, command)


def _rules_and_background(tagger: Tagger, table: Table, command: str) -> None:
    """Both hooks: a table's background and its rules are artifacts."""
    if command in ("startBG", "startLines"):
        tagger.begin_artifact(table.canv)
    elif command in ("endBG", "endLines"):
        tagger.end_artifact(table.canv)


def _mirrored(table: Table) -> bool:
    from patientdocs.render.pdf.rtl import MirroredTable  # only right-to-left documents import it

    return isinstance(table, MirroredTable)


def _reading_order(table: Table, tag: Tag, command: str) -> None:
    """A mirrored table's row back in reading order: its cells are drawn from the left, the last
    column first, so when the row ends its cells are reversed.

    Cell by cell, each keeping the order of the elements it added: a cell may hold a mirrored
    table of its own (a question's Yes/No pair), already in reading order; reversing the whole row
    would undo that and read No before Yes. Tables not mirrored (a box round a block, one cell
    wide) are read in the order drawn."""
    if tag.kind == "table":
        if command == "endRow" and not table._tag_repeat:
            row = table._tag_row
            row.kids.reverse()  # a TR's kids are its cells, one TH or TD each
            table._tag_tagger.trace.append(("reverse", row.serial))
        return
    # A layout table of its own element, or one inside a cell (a Yes/No pair): the cell's.
    holder = tag.element if tag.element is not None else table._tag_tagger.stack[-1]
    kids = holder.kids
    if command == "startRow":
        table._tag_rtl_cells = []
    elif command == "startCell":
        table._tag_rtl_cells.append(len(kids))
    elif command == "endRow" and table._tag_rtl_cells:
        starts = table._tag_rtl_cells
        cells = [kids[a:b] for a, b in zip(starts, [*starts[1:], len(kids)], strict=True)]
        kids[starts[0]:] = [kid for cell in reversed(cells) for kid in cell]
        table._tag_tagger.trace.append(("cells", holder.serial, tuple(starts)))


# ---------------------------------------------------------------------------------------------
# Roles: what each block of the XML vocabulary becomes


@dataclass(frozen=True)
class Role:
    """How a block's flowables are tagged. ``role`` is the element of the block itself; a
    grouping role holds the elements of what is inside (paragraphs, fields, nested blocks)."""

    role: str
    shape: str = "leaf"  # leaf | list | table | group | figure | none
    title: str = "H3"  # the role of a title paragraph inside a group or above a table
    numbering: str = ""  # lists: /ListNumbering


ROLES: dict[str, Role] = {
    "h1": Role("H1"), "h2": Role("H2"), "h3": Role("H3"),
    "p": Role("P"),
    "ul": Role("L", "list", numbering="Disc"),
    "sources": Role("L", "list", numbering="Decimal"),
    # The red-flag box is a section of its own, at the level of the document's other sections.
    "callout": Role("Sect", "group", title="H2"),
    "risk-table": Role("Table", "table"),
    "table": Role("Table", "table"),
    "sessions": Role("Table", "table"),  # the consent's rows for later sessions, in the therapist's box
    "checklist": Role("Div", "group"),
    "signature-block": Role("Div", "group"),
    "page-break": Role("", "none"),
    "beside": Role("", "none"),  # layout only: what is inside is tagged as if it stood alone
}
GROUP = Role("Div", "group")
FIGURE = Role("Figure", "figure")

# Paragraph styles (see styles.py) that are headings wherever they appear inside a block.
_TITLE_STYLES = {"h1": "H1", "h2": "H2", "h3": "H3"}
_CONTENTLESS = (Spacer, CondPageBreak, PageBreak)


def role_of(tag: str, attrs: dict[str, str]) -> Role:
    if attrs.get("alt"):
        return FIGURE
    return ROLES.get(tag, GROUP)


def _field_form(flowable: Flowable, parent: Element | None) -> Flowable:
    """A tick box or a line to write on: a Form element holding its label and box or line; when
    fillable, also its widget, linked when the tree is written. (The PrintField attributes of
    PDF 1.7 for printed fields are left out: poppler reports them as wrong on a Form element.)"""
    element = Element("Form", parent)
    if getattr(flowable, "fillable", False):
        element.field = flowable.name
    return tagged(flowable, element)


def _is_field(flowable: Flowable) -> bool:
    return type(flowable).__name__ in ("TickBox", "WriteLine")


def _wrap_cells(table: Table, wrap: Callable[[Flowable], Flowable], *, space_strings: bool) -> None:
    rows = table._cellvalues
    for row in rows:
        for j, value in enumerate(row):
            if isinstance(value, (list, tuple)):
                row[j] = [wrap(v) for v in value]
            elif isinstance(value, Flowable):
                row[j] = wrap(value)
            elif space_strings and isinstance(value, str) and "\n" in value:
                # Each line is drawn on its own: without a space, its last word runs into the next.
                row[j] = " \n".join(value.split("\n"))


def _group(flowables: list[Flowable], container: Element, title: str) -> list[Flowable]:
    """Tag what is inside a grouping block; flowables of nested blocks are tagged already."""

    def wrap(f: Flowable) -> Flowable:
        if is_tagged(f):
            if f._tagged.element is not None:
                container.adopt(f._tagged.element)
            return f
        if isinstance(f, _CONTENTLESS):
            return f
        if isinstance(f, KeepTogether):
            f._content[:] = [wrap(x) for x in f._content]
            return f
        if isinstance(f, Table):
            _wrap_cells(f, wrap, space_strings=False)
            return tagged(f, container, "layout")
        if _is_field(f):
            return _field_form(f, container)
        if isinstance(f, Paragraph):
            # The block's own title is drawn in the h3 style whatever its level in the document.
            style = getattr(f.style, "name", "")
            return tagged(f, Element(title if style in ("h3", "table_title") else _TITLE_STYLES.get(style, "P"),
                                     container))
        return tagged(f, Element("Div", container))

    return [wrap(f) for f in flowables]


def _table(flowables: list[Flowable], node_role: Role) -> list[Flowable]:
    out: list[Flowable] = []
    for f in flowables:
        if is_tagged(f):  # a nested block's, tagged already
            out.append(f)
        elif isinstance(f, Table):
            element = Element("Table")
            head = f.repeatRows if isinstance(f.repeatRows, int) else 0

            def cell(value: Flowable) -> Flowable:
                if is_tagged(value):  # a nested block's, tagged already
                    return value
                if _is_field(value):
                    return _field_form(value, None)
                if isinstance(value, Table):  # a Yes/No pair in a cell: each box a Form of the cell
                    _wrap_cells(value, cell, space_strings=True)
                    return tagged(value, None, "layout")  # read in order when mirrored (right to left)
                # The cell's own TH/TD holds the text; tagging only spaces its line ends.
                return tagged(value, None, "plain") if isinstance(value, Paragraph) else value

            _wrap_cells(f, cell, space_strings=True)
            out.append(tagged(f, element, "table", head_rows=head))
        elif isinstance(f, Paragraph):
            style = getattr(f.style, "name", "")
            out.append(tagged(f, Element(node_role.title if style == "table_title" else "P")))
        else:
            out.append(f)
    return out


def tag_block(node, flowables: list[Flowable]) -> list[Flowable]:
    """The flowables a builder made for ``node``, wrapped so their content is tagged."""
    spec = role_of(node.tag, node.attrs)
    if spec.shape == "none":
        return flowables
    if spec.shape == "leaf":
        return [f if isinstance(f, _CONTENTLESS) else tagged(f, Element(spec.role)) for f in flowables]
    if spec.shape == "list":
        attributes = {"O": "List", "ListNumbering": spec.numbering} if spec.numbering else None
        container = Element("L", attributes=attributes)
        return [f if isinstance(f, _CONTENTLESS) else tagged(f, list_item(container), "item") for f in flowables]
    if spec.shape == "table":
        return _table(flowables, spec)
    if spec.shape == "figure":
        figure = Element("Figure", alt=node.attrs.get("alt"))
        return [f if isinstance(f, _CONTENTLESS) else tagged(f, figure) for f in flowables]
    return _group(flowables, Element(spec.role), spec.title)

"""Document blocks to reportlab flowables: one builder per tag, looked up in a plain dict."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from dataclasses import field as dataclass_field
from typing import Any

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepTogether,
    PageBreak,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from patientdocs.errors import PatientDocsError
from patientdocs.render.markup import CALLOUT_KINDS, P_CLASSES, Node
from patientdocs.render.pdf import fonts, reuse, shaping
from patientdocs.render.pdf.forms import SIGNATURE_PREFIX, TickBox, WriteLine
from patientdocs.render.vocabulary import VOCABULARY


@dataclass
class BuildContext:
    styles: dict[str, Any]  # reportlab ParagraphStyles (reportlab is untyped)
    width: float  # frame width in points
    template: str  # for error messages
    fillable: bool = False
    # Large print: a table of three or more columns is laid out as stacked rows (see _stacked).
    reflow: bool = False
    # Called with each block and the flowables made for it (tagging.tag_block marks them for the
    # structure tree); nested blocks pass through it first.
    tag: Callable[[Node, list[Flowable]], list[Flowable]] | None = None
    # Answers and signatures given on a tablet, by field name (see usecases/signing.py): printed
    # into the form's boxes and lines. Patient data: drawn as text or as an image, never markup.
    filled: Mapping[str, str | bytes] = dataclass_field(default_factory=dict)
    rtl: bool = False  # a right-to-left document: styles are mirrored already, tables are here
    # Reading text (not a form): paragraphs and list items are at most this wide, so a line holds
    # about 70 characters (clear-print guidance: 60 to 75); tables and boxes keep the full width.
    measure: float | None = None
    # The reading measure even where the page is a form (measure None): a <beside> block's column.
    reading: float | None = None
    # Reading text's styles (about 1.45 line spacing) where the page is a form kept short (1.3):
    # a <beside> block is reading text.
    reading_styles: dict[str, Any] | None = None
    # Icon arrays in a column beside text are drawn smaller, so the column is no taller than the text.
    figure_scale: float = 1.0


Builder = Callable[[Node, BuildContext], list[Flowable]]


def inline_markup(node: Node) -> str:
    """A node's inline content as reportlab paragraph markup; text is escaped exactly once here."""
    out: list[str] = []
    for child in node.children:
        if isinstance(child, str):
            out.append(fonts.inline(" ".join(child.split()) if "\n" in child else child))
        elif child.tag == "br":
            out.append("<br/>")
        elif child.tag in ("b", "i"):
            out.append(f"<{child.tag}>{inline_markup(child)}</{child.tag}>")
        else:
            raise PatientDocsError(f"<{child.tag}> cannot be inside <{node.tag}> (line {child.line} of the "
                                   "rendered document)")
    return "".join(out).strip()


# Parsed paragraph markup by (markup, style, bullet). Content text is the same for every
# patient of a run, and parsing it was a sixth of the time of each document. Only markup met
# twice is kept: a patient's own lines are met once, and must not fill memory over a long day.
_FRAGS: dict[tuple[str, int, str | None], list] = {}
_MET_ONCE: set[tuple[str, int, str | None]] = set()
_LIMIT = 4000


def paragraph(markup: str, style, bullet: str | None = None) -> Paragraph:
    key = (markup, id(style), bullet)
    frags = _FRAGS.get(key)
    if frags is not None:
        return reuse.keep_lines(shaping.paragraph(markup, style, bullet, frags), markup, style, bullet)
    para = shaping.paragraph(markup, style, bullet)
    if key in _MET_ONCE:
        reuse.keep_lines(para, markup, style, bullet)
        if len(_FRAGS) < _LIMIT:
            _FRAGS[key] = para.frags
    else:
        if len(_MET_ONCE) >= _LIMIT:
            _MET_ONCE.clear()
        _MET_ONCE.add(key)
    return para


def _para(node: Node, ctx: BuildContext, style: str) -> Paragraph:
    chosen = ctx.styles[style]
    return paragraph(inline_markup(node), _measured(chosen, ctx) if style in _MEASURED else chosen)


# The styles of running text; headings are short, the personal box keeps its shaded width.
_MEASURED = {"body", "lead", "small", "closing", "warning", "item", "table_intro"}
_NARROWED: dict[tuple[int, float], Any] = {}


def _measured(style: Any, ctx: BuildContext) -> Any:
    """``style`` narrowed to the context's measure: the text ends short of the right margin."""
    if ctx.measure is None or ctx.measure >= ctx.width:
        return style
    from reportlab.lib.styles import ParagraphStyle

    spare = ctx.width - ctx.measure
    key = (id(style), round(spare, 2))
    if key not in _NARROWED:
        side = {"rightIndent": style.rightIndent + spare}
        _NARROWED[key] = (style, ParagraphStyle(style.name, parent=style, **side))
    return _NARROWED[key][1]


def _heading(node: Node, ctx: BuildContext) -> list[Flowable]:
    return [_para(node, ctx, node.tag)]


def _paragraph(node: Node, ctx: BuildContext) -> list[Flowable]:
    cls = node.attrs.get("class", "")
    if cls and cls not in P_CLASSES:
        raise _bad_value(node, ctx, "class", cls, P_CLASSES)
    return [_para(node, ctx, cls or "body")]


def _list(node: Node, ctx: BuildContext) -> list[Flowable]:
    # Bulleted paragraphs rather than a ListFlowable: the same look at a third of the cost.
    style = _measured(ctx.styles["item"], ctx)
    return [paragraph(inline_markup(li), style, "\u2022") for li in node.elements("li")]


def _children(node: Node, ctx: BuildContext) -> list[Flowable]:
    out: list[Flowable] = []
    for child in node.elements():
        out.extend(build_block(child, ctx))
    return out


_CALLOUT_COLOURS = {"info": ("#eef3f8", "#1f5f8b"), "warning": ("#fff6e0", "#b36b00"),
                    "danger": ("#fdecec", "#b00020")}


def _callout(node: Node, ctx: BuildContext) -> list[Flowable]:
    kind = node.attrs.get("kind", "info")
    if kind not in CALLOUT_KINDS:
        raise _bad_value(node, ctx, "kind", kind, CALLOUT_KINDS)
    back, edge = _CALLOUT_COLOURS[kind]
    inner: list[Flowable] = []
    if node.attrs.get("title"):
        title = paragraph(fonts.inline(node.attrs["title"]), ctx.styles["h3"])
        inner.append(title)
    # The red-flag box keeps its full width (it must stay on page 1); other boxes read as text.
    inner.extend(_children(node, replace(ctx, measure=None) if kind == "danger" else ctx))
    style = [
        ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor(back)),
        ("BOX", (0, 0), (-1, -1), 2.5 if kind == "danger" else 1.2, colors.HexColor(edge)),
        ("LEFTPADDING", (0, 0), (-1, -1), 10), ("RIGHTPADDING", (0, 0), (-1, -1), 10),
        ("TOPPADDING", (0, 0), (-1, -1), 8), ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
    ]
    if kind == "danger" and len(inner) > 1:
        # The warning signs start where they are written (the top of an aftercare sheet's page 1),
        # and if the box is taller than what is left of the page (large print), it runs on to the
        # next page, between its paragraphs: one row each, the box drawn round every part.
        style += [("TOPPADDING", (0, 1), (-1, -1), 0), ("BOTTOMPADDING", (0, 0), (-1, -2), 0)]
        table = Table([[[f]] for f in inner], colWidths=[ctx.width], style=TableStyle(style))
    else:
        table = Table([[inner]], colWidths=[ctx.width], style=TableStyle(style))
    return [Spacer(1, 4), table, Spacer(1, 8)]


_CELL_PADDING = 6  # reportlab's default left + right padding, in points


def _cell(node: Node, ctx: BuildContext, style_name: str, width: float) -> Flowable | str:
    """A table cell: plain text where it fits on its lines (far cheaper to lay out), else a paragraph."""
    style = ctx.styles[style_name]
    if ctx.rtl:  # a paragraph aligns right and orders the line; a plain cell would not
        return paragraph(inline_markup(node), style)
    lines: list[str] = [""]
    for child in node.children:
        if isinstance(child, str):
            lines[-1] += " ".join(child.split()) if "\n" in child else child
        elif child.tag == "br":
            lines.append("")
        else:
            return paragraph(inline_markup(node), style)
    lines = [line.strip() for line in lines]
    for line in lines:
        if not fonts.is_simple(line):
            return paragraph(inline_markup(node), style)
        if stringWidth(line, style.fontName, style.fontSize) > width - _CELL_PADDING * 2:
            return paragraph(inline_markup(node), style)
    return "\n".join(lines)


def _widths(node: Node, ctx: BuildContext, columns: int) -> list[float]:
    """Column widths from ``widths="40 20 ..."`` (parts of the page width), or the table's defaults."""
    if "widths" in node.attrs:
        try:
            parts = [float(x) for x in node.attrs["widths"].split()]
        except ValueError:
            parts = []
        if len(parts) != columns or min(parts) <= 0:
            raise PatientDocsError(f"<{node.tag} widths=\"{node.attrs['widths']}\"> needs {columns} positive "
                                   f"numbers (line {node.line} of the rendered document)", source=ctx.template)
    elif node.tag == "risk-table" and columns in (3, 4):
        parts = [50, 28, 22] if columns == 3 else [46, 25, 14, 15]
    else:
        parts = [1.0] * columns
    return [ctx.width * p / sum(parts) for p in parts]


_TABLE_LAYOUT: dict[tuple, tuple[list[float], float]] = {}


def _fit_words(widths: list[float], rows: list[Node], ctx: BuildContext) -> list[float]:
    """Widen a column whose longest word would not fit ("very common" in large print), taking
    the room from the widest column: a word broken in the middle is hard to read."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    bold = ctx.styles["cell_head"]
    padding = 14  # the cell's left and right padding, and a little air
    need = [0.0] * len(widths)
    for row in rows:
        for i, cell in enumerate(row.elements("cell")[:len(widths)]):
            for word in cell.text().split():
                need[i] = max(need[i], stringWidth(word, bold.fontName, bold.fontSize) + padding)
    fitted = list(widths)
    for i, wanted in enumerate(need):
        widest = max(range(len(fitted)), key=lambda j: fitted[j] - need[j])
        extra = min(wanted - fitted[i], fitted[widest] - need[widest])
        if extra > 0 and widest != i:
            fitted[i] += extra
            fitted[widest] -= extra
    return fitted


def _table(node: Node, ctx: BuildContext) -> list[Flowable]:
    """``table`` and ``risk-table``: a header row that repeats on each page, then the rows."""
    head = node.elements("head")[:1]
    body = node.elements("risk" if node.tag == "risk-table" else "row")
    if not head + body:
        return []
    columns = max(len(r.elements("cell")) for r in head + body)
    if ctx.reflow and columns >= 3 and not any(c.elements("box") for r in head + body for c in r.elements("cell")):
        return _stacked(node, ctx, head, body)
    # Risk tables are the same for every patient of a run: their layout is worked out once.
    # Other tables (a print run's cover) hold patients' names and are not kept.
    key = None
    if node.tag == "risk-table":
        key = (node.attrs.get("title"), node.attrs.get("intro"), node.attrs.get("keep"), ctx.width, ctx.measure,
               id(ctx.styles["cell"]),
               tuple(tuple(c.text() for c in r.elements("cell")) for r in head + body))
    known = _TABLE_LAYOUT.get(key) if key else None
    widths = known[0] if known else _fit_words(_widths(node, ctx, columns), head + body, ctx)
    size = ctx.styles["cell"].fontSize

    def cells(row: Node, style: str) -> list[Flowable | str]:
        return [TickBox("", f"{node.tag}_{row.line}_{i}", size, False, size, rtl=ctx.rtl) if c.elements("box")
                else _cell(c, ctx, style, w)
                for i, (c, w) in enumerate(zip(row.elements("cell"), widths, strict=False))]

    rows = [cells(r, "cell_head") for r in head] + [cells(r, "cell") for r in body]
    cell, cell_head = ctx.styles["cell"], ctx.styles["cell_head"]
    style = [("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#8a8a8a")),
             ("VALIGN", (0, 0), (-1, -1), "TOP"),
             ("FONT", (0, 0), (-1, -1), cell.fontName, cell.fontSize, cell.leading),
             ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 3)]
    if head:
        style += [("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dde6ef")),
                  ("FONT", (0, 0), (-1, 0), cell_head.fontName, cell_head.fontSize, cell_head.leading)]
    table = _table_of(rows, widths, ctx, style, repeatRows=1 if head else 0, spaceBefore=2, spaceAfter=8)
    # A title stays with at least the first rows, but the table itself may run onto the
    # next page (its header repeats): keeping it whole would leave half a page empty.
    # Title, then the sentence that explains the numbers, then the table: they start on the same
    # page, with room for the header and the first row, so a title never sits alone at the bottom.
    lead: list[Flowable] = []
    if node.attrs.get("title"):
        lead.append(paragraph(fonts.inline(node.attrs["title"]), ctx.styles["table_title"]))
    if node.attrs.get("intro"):
        lead.append(paragraph(fonts.inline(node.attrs["intro"]), _measured(ctx.styles["table_intro"], ctx)))
    if known:
        room = known[1]
    else:
        first = Table(rows[:2], colWidths=widths, style=TableStyle(style))
        room = sum(f.wrap(ctx.width, 10_000)[1] + f.getSpaceBefore() + f.getSpaceAfter() for f in lead)
        room += first.wrap(ctx.width, 10_000)[1] + 2 * mm
        if node.attrs.get("keep") == "together":
            # keep="together" (the serious risks): the whole table on one page with its title,
            # when it fits on one at all; else as above.
            whole = room - first.wrap(ctx.width, 10_000)[1] + table.wrap(ctx.width, 10_000)[1]
            # (the frame is at least 1.3 times as high as it is wide on A4 and Letter).
            room = whole if whole < ctx.width * 1.3 else room
        if key:
            if len(_TABLE_LAYOUT) >= 64:
                _TABLE_LAYOUT.clear()
            _TABLE_LAYOUT[key] = (widths, room)
    return [CondPageBreak(room), *lead, table]


def _table_lead(node: Node, ctx: BuildContext) -> list[Flowable]:
    lead: list[Flowable] = []
    if node.attrs.get("title"):
        lead.append(paragraph(fonts.inline(node.attrs["title"]), ctx.styles["table_title"]))
    if node.attrs.get("intro"):
        lead.append(paragraph(fonts.inline(node.attrs["intro"]), _measured(ctx.styles["table_intro"], ctx)))
    return lead


def _stacked(node: Node, ctx: BuildContext, head: list[Node], body: list[Node]) -> list[Flowable]:
    """A table too wide for large print, as stacked rows: each row a small block of lines
    "Effect: ... / How many: ... / How often: ... / Source: ...", the labels from the header row.

    Columns of a few centimetres would break "uncommon" or a source's name at 16-18 pt; read down
    the page, every value has the full width. A block is kept together (keep-with-next)."""
    labels = [inline_markup(c) for c in head[0].elements("cell")] if head else []
    blocks: list[list[Flowable]] = []
    for row in body:
        lines = []
        for i, cell in enumerate(row.elements("cell")):
            text = inline_markup(cell)
            if text:
                label = labels[i] if i < len(labels) and labels[i] else ""
                lines.append(f"<b>{label}:</b> {text}" if label else text)
        names = ["stack_first", *["stack"] * (len(lines) - 2), "stack_last"] if len(lines) > 1 else ["stack_last"]
        blocks.append([paragraph(line, ctx.styles[name]) for line, name in zip(lines, names, strict=True)])
    lead = _table_lead(node, ctx)
    # Title and intro start on the same page as the first block, never alone at the bottom.
    first = lead + (blocks[0] if blocks else [])
    room = sum(f.wrap(ctx.width, 10_000)[1] + f.getSpaceBefore() + f.getSpaceAfter() for f in first) + 2 * mm
    return [CondPageBreak(room), *lead, *(f for block in blocks for f in block)]


def _sources(node: Node, ctx: BuildContext) -> list[Flowable]:
    # Separate paragraphs, not one list: a long list may then run onto the next page.
    return [paragraph(inline_markup(s), ctx.styles["source"], _marker(f"{n}.", ctx))
            for n, s in enumerate(node.elements("source"), start=1)]


def _marker(text: str, ctx: BuildContext) -> str:
    if not ctx.rtl:
        return text
    from patientdocs.render.pdf import rtl

    return rtl.bullet(text)


def _table_of(rows: list[list], widths: list[float], ctx: BuildContext, style: list, **kwargs) -> Table:
    """A table, placed by the document's direction: in a right-to-left document the first column
    is on the right, each cell's content against its right edge and the table against the right
    margin (tagging reads each row from the right)."""
    if not ctx.rtl:
        return Table(rows, colWidths=widths, style=TableStyle(style), hAlign="LEFT", **kwargs)
    from patientdocs.render.pdf import rtl

    rows, widths = rtl.mirror_columns(rows, widths, "")
    last = len(widths) - 1
    mirrored = []
    for command in style:
        if command[0] != "SPAN" or min(command[1][0], command[2][0]) < 0:
            mirrored.append(command)
            continue
        # A spanned cell shows its leftmost cell's content: that content, now at the span's
        # right end, moves to its new left end.
        (a, r0), (b, r1) = command[1], command[2]
        left, right = last - b, last - a
        for r in range(r0, r1 + 1):
            rows[r][left], rows[r][right] = rows[r][right], rows[r][left]
        mirrored.append(("SPAN", (left, r0), (right, r1)))
    style = [*mirrored, ("ALIGN", (0, 0), (-1, -1), "RIGHT")]
    return rtl.MirroredTable(rows, colWidths=widths, style=TableStyle(style), hAlign="RIGHT", **kwargs)


def _page_break(node: Node, ctx: BuildContext) -> list[Flowable]:
    return [PageBreak()]


# Older patients with a tremor or arthritis: boxes of at least 6 mm, lines to write on at least
# 9 mm apart, signature boxes at least 15 mm high (content review, section 4).
TICK_MIN = 6 * mm
WRITE_GAP = 9.2 * mm
SIGNATURE_H = 15.5 * mm
BOX_GAP = 6.5 * mm


def _pair_width(yes: str, no: str, size: float, label_size: float) -> float:
    """A Yes/No pair: two columns, each as wide as the longer word, a gap and its box."""
    return 2 * (size + 6 + stringWidth(max(yes, no, key=len), fonts.MAIN, label_size))


def _tick_size(ctx: BuildContext) -> float:
    return max(TICK_MIN, ctx.styles["body"].fontSize * 0.6)


def _yes_no_pair(boxes: list[Flowable], pair_w: float, ctx: BuildContext) -> Table:
    """A Yes box and a No box side by side, in a cell of a table of questions."""
    pair_class = Table
    if ctx.rtl:  # Yes first for the reader: on the right of a right-to-left page
        from patientdocs.render.pdf import rtl

        # Mirrored by hand, not by _table_of, so the boxes keep their place in their cells.
        boxes = boxes[::-1]
        pair_class = rtl.MirroredTable
    return pair_class([boxes], colWidths=[pair_w / 2] * 2, style=TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 2),
                                                                             ("TOPPADDING", (0, 0), (-1, -1), 0),
                                                                             ("BOTTOMPADDING", (0, 0), (-1, -1), 0)]))


def _checklist(node: Node, ctx: BuildContext) -> list[Flowable]:
    """Health questions: one Yes/No pair a question, an optional details line beside it, and an
    optional narrow column for the therapist's action (the clinic copy)."""
    size = _tick_size(ctx)
    label_size = ctx.styles["body"].fontSize
    yes, no = node.attrs.get("yes", "Yes"), node.attrs.get("no", "No")
    details, action, stop = node.attrs.get("details", ""), node.attrs.get("action", ""), node.attrs.get("stop", "")
    pair_w = _pair_width(yes, no, size, label_size)
    # Wide enough for the STOP mark in bold at any size: a word wider than its cell cannot be laid out.
    action_w = max(ctx.width * 0.11, stringWidth(stop, fonts.MAIN + "-Bold", label_size) + 3 * _CELL_PADDING,
                   stringWidth(action, fonts.MAIN, ctx.styles["small"].fontSize) + 3 * _CELL_PADDING) if action else 0
    details_w = ctx.width * (0.18 if action else 0.26) if details else 0
    text_w = ctx.width - pair_w - action_w - details_w
    rows: list[list] = []
    style = [("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("LEFTPADDING", (0, 0), (-1, -1), 3),
             ("TOPPADDING", (0, 0), (-1, -1), 0.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 0.5),
             ("LINEBELOW", (0, 0), (-1, -1), 0.4, colors.HexColor("#b0b0b0"))]
    ask = node.attrs.get("ask", "")
    if details or action or ask:
        first = paragraph(f"<b>{fonts.inline(ask)}</b>", ctx.styles["cell"]) if ask else ""
        head = [first, ""] + ([paragraph(fonts.inline(details), ctx.styles["small"])] if details else [])
        head += [paragraph(fonts.inline(action), ctx.styles["small"])] if action else []
        rows.append(head)
        if ask:  # the question runs over the Yes/No column too
            style.append(("SPAN", (0, 0), (1, 0)))
    if action:
        style.append(("BOX", (-1, 0), (-1, -1), 0.5, colors.HexColor("#8a8a8a")))
    for question in node.elements("question"):
        name = _field_name(question, ctx)
        text = question.text().strip()
        answer = ctx.filled.get(f"screening_{name}")
        markup = inline_markup(question)
        # The therapist's mark stands in their own column, so the patient's question keeps its line.
        mark = stop if stop and question.attrs.get("kind") == "stop" else ""
        boxes = [TickBox(yes, f"screening_{name}_yes", size, ctx.fillable, label_size, f"{text} {yes}",
                         ticked=answer == "yes", rtl=ctx.rtl),
                 TickBox(no, f"screening_{name}_no", size, ctx.fillable, label_size, f"{text} {no}",
                         ticked=answer == "no", rtl=ctx.rtl)]
        row: list = [paragraph(markup, ctx.styles["cell"]), _yes_no_pair(boxes, pair_w, ctx)]
        if details:
            value = ctx.filled.get(f"screening_{name}_details")
            row.append(WriteLine(details_w - 2 * _CELL_PADDING, size, f"screening_{name}_details", ctx.fillable,
                                 False, f"{text} {details}", value=value if isinstance(value, str) else None,
                                 style=ctx.styles["cell"]))
        if action:
            row.append(paragraph(f"<b>{fonts.inline(mark)}</b>", ctx.styles["cell"]) if mark else "")
        elif mark:
            row[0] = paragraph(f"<b>[{fonts.inline(mark)}]</b> {markup}", ctx.styles["cell"])
        rows.append(row)
    widths = [text_w, pair_w] + ([details_w] if details else []) + ([action_w] if action else [])
    # No repeated header row: the form keeps the questions on one page, and a repeat would be read
    # twice by a screen reader (the grouping table is layout, not data).
    table = _table_of(rows, widths, ctx, style, spaceAfter=8)
    return [table]


class IconArray(Flowable):
    """``count`` of ``per`` small figures of people filled, the rest outlined, in rows of ten.

    Sized from the body font, so large print draws larger people (one figure is about as wide
    as a digit is tall)."""

    def __init__(self, count: int, per: int, font_size: float, colour: object, columns: int = 10,
                 rtl: bool = False):
        super().__init__()
        self.rtl = rtl  # filled from the top right, as a right-to-left reader counts
        self.count, self.per = count, per
        self.cell = font_size * 0.62
        self.colour = colour
        self.columns = columns

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        rows = -(-self.per // self.columns)
        self.width = self.cell * self.columns
        self.height = self.cell * 1.35 * rows
        return self.width, self.height

    def draw(self) -> None:
        # The same figures for every patient: drawn once a run (see reuse.py).
        reuse.replay(self.canv, ("icon-array", self.count, self.per, self.cell, self.columns, repr(self.colour),
                                 self.rtl),
                     self._draw)

    def _draw(self) -> None:
        canv = self.canv
        rows = -(-self.per // self.columns)
        c = self.cell
        canv.setLineWidth(0.5)
        canv.setStrokeColor(self.colour)
        for i in range(self.per):
            row, col = divmod(i, self.columns)
            x = ((self.columns - 1 - col) if self.rtl else col) * c + c / 2
            y = (rows - 1 - row) * c * 1.35  # the first figures at the top left, read like text
            filled = i < self.count
            canv.setFillColor(self.colour if filled else colors.white)
            # A head and a body: two simple shapes that pdfplumber counts as curves/rects.
            canv.circle(x, y + c * 1.0, c * 0.2, stroke=1, fill=1)
            canv.roundRect(x - c * 0.3, y + c * 0.1, c * 0.6, c * 0.62, c * 0.2, stroke=1, fill=1)


def _icon_array(node: Node, ctx: BuildContext, columns: int = 10) -> tuple[IconArray, list[Flowable]]:
    try:
        count, per = int(node.attrs.get("count", "")), int(node.attrs.get("per", "100"))
    except ValueError:
        count, per = -1, 0
    if not 0 <= count <= per or not 0 < per <= 100:
        raise PatientDocsError(f"<icon-array count=\"{node.attrs.get('count', '')}\" "
                               f"per=\"{node.attrs.get('per', '')}\"> needs whole numbers, count from 0 to per, "
                               f"per up to 100 (line {node.line} of the rendered document)", source=ctx.template)
    figure = IconArray(count, per, ctx.styles["body"].fontSize * ctx.figure_scale, ctx.styles["brand"], columns,
                       rtl=ctx.rtl)
    # The number first, then the effect, in one paragraph under the figure.
    effect = f" {inline_markup(node)}" if node.children else ""
    text = [paragraph(f"<b>{fonts.inline(node.attrs.get('label', ''))}</b>{effect}", ctx.styles["cell"])]
    return figure, text


def _icon_arrays(node: Node, ctx: BuildContext) -> list[Flowable]:
    """Icon arrays side by side (one Figure, its alt text on the group): each 100 small people
    with the affected ones filled, its number and effect printed under it."""
    children = node.elements("icon-array")
    if not children:
        return []
    column = ctx.width / len(children)
    # Rows of twenty when they fit side by side: half the height of rows of ten, on a form
    # that must keep to two pages.
    wide = IconArray(0, 100, ctx.styles["body"].fontSize, None, 20).wrap(column, 10_000)[0] <= column - 8
    made = [_icon_array(child, ctx, 20 if wide else 10) for child in children]
    fw = made[0][0].wrap(column, 10_000)[0]
    if fw + 10 + 8 * ctx.styles["body"].fontSize > ctx.width:  # a narrow column beside text: figure over words
        rows = [[[figure, Spacer(1, 2), *text]] for figure, text in made]
        widths = [ctx.width]
        padding = [("TOPPADDING", (0, 0), (-1, -1), 0), ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
                   ("RIGHTPADDING", (0, 0), (-1, -1), 0)]
    else:
        padding = [("TOPPADDING", (0, 0), (-1, -1), 4), ("BOTTOMPADDING", (0, 0), (-1, -1), 4)]
        if fw > column - 8:  # large print: one under the other
            rows = [[figure, text] for figure, text in made]
            widths = [fw + 10, ctx.width - fw - 10]
        else:
            rows = [[[figure, Spacer(1, 4), *text] for figure, text in made]]
            widths = [column] * len(made)
    # Right to left, the first figure is on the right and each stands against its column's right edge.
    table = _table_of(rows, widths, ctx, [("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                          *padding])
    return [table]


# Between the reading column and the figures beside it; the figures' size there.
_BESIDE_GAP = 10.0
_SIDE_FIGURES = 0.7
_CLOSER_FIGURES = 0.6  # when the text gives way on spacing, the figures beside it give way too


# Blocks that need the page's width: in a <beside> block they sit under both columns.
_WIDE = frozenset({"record-box", "table", "risk-table", "checklist", "callout", "signatures", "signature-block"})


def _beside(node: Node, ctx: BuildContext, figures: float = _SIDE_FIGURES) -> list[Flowable]:
    """Text in the reading column, its icon arrays in the column the shorter lines leave free,
    and what needs the full width (the therapist's box) under both, all on one page (beside.py).
    One under the other where there is no such column (large print, right to left) or no room."""
    children = node.elements()
    at = next((i for i, child in enumerate(children) if child.tag == "icon-arrays"), None)
    wide = next((i for i, child in enumerate(children) if child.tag in _WIDE), len(children))
    form = ctx
    if ctx.reading_styles is not None:
        ctx = replace(ctx, styles=ctx.reading_styles)

    def inline() -> list[Flowable]:
        return _children(node, ctx)

    measure = ctx.measure or ctx.reading
    if at is None or at > wide or measure is None or ctx.rtl:
        return inline()
    side_w = ctx.width - measure - _BESIDE_GAP
    if IconArray(0, 100, ctx.styles["body"].fontSize * figures, None).wrap(side_w, 10_000)[0] > side_w:
        return inline()
    from patientdocs.render.pdf.beside import Beside

    column = replace(ctx, width=measure, measure=None)
    main: list[Flowable] = []
    for child in children[:at]:
        main.extend(build_block(child, column))
    after = len(main)
    for child in children[at + 1:wide]:
        main.extend(build_block(child, column))
    side = build_block(children[at], replace(ctx, width=side_w, measure=None, figure_scale=figures))
    tail = [f for child in children[wide:] for f in build_block(child, ctx)]
    # Space after the last block is not part of what must fit on the page.
    trailing: list[Flowable] = []
    while tail and isinstance(tail[-1], Spacer):
        trailing.insert(0, tail.pop())
    # A form that must keep to its pages gives way on line spacing first (the same columns at the
    # form's spacing, the figures a little smaller), then on line length (one under the other).
    fallbacks = (inline,) if form is ctx else (
        lambda: _beside(node, replace(form, reading_styles=None), _CLOSER_FIGURES), lambda: _children(node, form))
    return [Beside(main, after, side, tail, measure, _BESIDE_GAP, fallbacks), *trailing]


def _record_box(node: Node, ctx: BuildContext) -> list[Flowable]:
    """The therapist's box: each entry a label and either the value given, a line to write on,
    or a Yes/No pair (ticked when the answer is known). A Yes/No question takes the width its
    words need, its pair at the right; a line to write on starts after a shorter label."""
    size = _tick_size(ctx)
    label_size = ctx.styles["body"].fontSize
    yes, no = node.attrs.get("yes", "Yes"), node.attrs.get("no", "No")
    rows: list[list] = []
    spans: list[tuple] = []
    inner = ctx.width - 16
    label_w = inner * 0.45
    pair_w = _pair_width(yes, no, size, label_size)
    for entry in node.elements("entry"):
        label = paragraph(fonts.inline(entry.attrs.get("label", "")), ctx.styles["cell_head"])
        name = "box_" + _field_name(entry, ctx)
        row = len(rows)
        if entry.attrs.get("kind") == "yesno":
            answer = entry.attrs.get("answer", "")
            pair = [TickBox(yes, name + "_yes", size, ctx.fillable, label_size, ticked=answer == "yes", rtl=ctx.rtl),
                    TickBox(no, name + "_no", size, ctx.fillable, label_size, ticked=answer == "no", rtl=ctx.rtl)]
            cell: Flowable = _table_of([pair], [pair_w / 2] * 2, ctx, [("LEFTPADDING", (0, 0), (-1, -1), 0),
                                                                      ("TOPPADDING", (0, 0), (-1, -1), 0),
                                                                      ("BOTTOMPADDING", (0, 0), (-1, -1), 0)])
            rows.append([label, "", cell])
            spans.append(("SPAN", (0, row), (1, row)))
            continue
        if entry.children:
            cell = paragraph(inline_markup(entry), ctx.styles["cell"])
        else:
            # The therapist writes here, at a desk: lines closer than the patient's.
            cell = WriteLine(inner - label_w - 12, BOX_GAP, name, ctx.fillable)
        rows.append([label, cell, ""])
        spans.append(("SPAN", (1, row), (2, row)))
    table = _table_of(rows, [label_w, inner - label_w - pair_w, pair_w], ctx,
                      [("VALIGN", (0, 0), (-1, -1), "BOTTOM"), ("TOPPADDING", (0, 0), (-1, -1), 0),
                       ("BOTTOMPADDING", (0, 0), (-1, -1), 1), *spans])
    parts: list[Flowable] = []
    if node.attrs.get("title"):
        parts.append(paragraph(fonts.inline(node.attrs["title"]), ctx.styles["h3"]))
    parts.append(table)
    for sessions in node.elements("sessions"):
        later = [_later_sessions(sessions, ctx, inner, yes, no)]
        parts.extend(ctx.tag(sessions, later) if ctx.tag else later)
    box = Table([[parts]], colWidths=[ctx.width], hAlign="LEFT",
                style=TableStyle([("BOX", (0, 0), (-1, -1), 1.2, ctx.styles["brand"]),
                                  ("LEFTPADDING", (0, 0), (-1, -1), 8), ("RIGHTPADDING", (0, 0), (-1, -1), 8),
                                  ("TOPPADDING", (0, 0), (-1, -1), 0), ("BOTTOMPADDING", (0, 0), (-1, -1), 4)]))
    return [Spacer(1, 2), box, Spacer(1, 4)]


def _longest_word(text: str, font: str, size: float) -> float:
    return max((stringWidth(word, font, size) for word in text.split()), default=0.0)


def _later_sessions(node: Node, ctx: BuildContext, width: float, yes: str, no: str) -> Flowable:
    """Rows for the sessions after the first (consent is ongoing, GMC): the date, the areas, the
    chest region and electrical stimulation ticked, and the patient's initials to say they still
    agree. The therapist writes the rows at a desk, so they are as close as the box's lines."""
    size = _tick_size(ctx)
    label_size = ctx.styles["body"].fontSize
    head_style = ctx.styles["cell_small"]
    pair_w = _pair_width(yes, no, size, label_size)
    # A heading on one line where it fits (the rows are what the page has room for); where it
    # cannot (large print), its column as narrow as its longest word, so no word is broken.
    def heading_w(key: str, least: float) -> float:
        text, bold, size = node.attrs.get(key, ""), fonts.MAIN + "-Bold", head_style.fontSize
        whole = max(least, stringWidth(text, bold, size) + 2 * _CELL_PADDING)
        return whole if whole <= width * 0.22 else max(least, _longest_word(text, bold, size) + 2 * _CELL_PADDING)

    date_w = heading_w("date", stringWidth("00/00/0000", fonts.MAIN, label_size) + 3 * _CELL_PADDING)
    initials_w = heading_w("initials", width * 0.12)
    areas_w = width - date_w - 2 * (pair_w + _CELL_PADDING) - initials_w
    # The pair's own table stands inside the cell's padding.
    widths = [date_w, areas_w, pair_w + _CELL_PADDING, pair_w + _CELL_PADDING, initials_w]
    names = ("date", "areas", "chest", "estim", "initials")
    rows: list[list] = [[paragraph(f"<b>{fonts.inline(node.attrs.get(key, ''))}</b>", head_style) for key in names]]
    for n in range(2, 2 + int(node.attrs.get("rows", "2"))):  # the vocabulary allows 1 to 6
        row: list = []
        for key, w in zip(names, widths, strict=True):
            name = f"box_session{n}_{key}"
            tooltip = f"{node.attrs.get(key, key)}, session {n}"
            if key in ("chest", "estim"):
                pair = [TickBox(yes, f"{name}_yes", size, ctx.fillable, label_size, f"{tooltip}: {yes}", rtl=ctx.rtl),
                        TickBox(no, f"{name}_no", size, ctx.fillable, label_size, f"{tooltip}: {no}", rtl=ctx.rtl)]
                row.append(_yes_no_pair(pair, pair_w, ctx))
            else:
                row.append(WriteLine(w - 2 * _CELL_PADDING, BOX_GAP, name, ctx.fillable, tooltip=tooltip))
        rows.append(row)
    return _table_of(rows, widths, ctx, [("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                                         ("TOPPADDING", (0, 0), (-1, -1), 0), ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                                         ("LINEABOVE", (0, 0), (-1, 0), 0.4, colors.HexColor("#b0b0b0"))],
                     spaceBefore=4, repeatRows=1)


def _field_name(node: Node, ctx: BuildContext) -> str:
    name = node.attrs.get("name", "")
    if not name or not all(c.isalnum() or c in "_-" for c in name):
        raise PatientDocsError(f"<{node.tag}> needs a name made of letters, digits, '-' or '_' "
                               f"(line {node.line} of the rendered document)", source=ctx.template)
    return name.replace("-", "_")


def _field_cells(block: str, node: Node, ctx: BuildContext, width: float) -> list[tuple[Flowable, Flowable]]:
    """Each field of a signature block as (label, line or box), the line ``width`` long."""
    cells = []
    for field in node.elements("field"):
        kind = field.attrs.get("kind", "text")
        if kind not in ("text", "signature"):
            raise _bad_value(field, ctx, "kind", kind, {"text", "signature"})
        name = f"{block}_{_field_name(field, ctx)}"
        signature = kind == "signature"
        label_text = field.attrs.get("label", "")
        label = paragraph(fonts.inline(label_text), ctx.styles["cell"])
        tooltip = f"{node.attrs.get('title', '')}: {label_text}".strip(": ")
        cells.append((label, WriteLine(width, SIGNATURE_H if signature else WRITE_GAP,
                                       (SIGNATURE_PREFIX if signature else "") + name, ctx.fillable, signature,
                                       tooltip, value=ctx.filled.get(name), style=ctx.styles["cell"])))
    return cells


def _signature_parts(node: Node, ctx: BuildContext) -> list[Flowable]:
    block = _field_name(node, ctx) if node.attrs.get("name") else "sig"
    parts: list[Flowable] = []
    title, statement = node.attrs.get("title", ""), node.attrs.get("statement", "")
    if title and statement:  # "Therapist: I explained ...", the signer's words under their name
        parts.append(paragraph(f"<b>{fonts.inline(title)}:</b> {fonts.inline(statement)}", ctx.styles["cell"]))
    elif title or statement:
        parts.append(paragraph(fonts.inline(title or statement), ctx.styles["h3" if title else "cell"]))
    columns = 2 if node.attrs.get("columns") == "2" else 1
    # The label column fits the longest label of a few words, and its longest word (a date's
    # "(DD/MM/YYYY)" in large print); the line takes the rest.
    longest = max((_longest_word(f.attrs.get("label", ""), fonts.MAIN, ctx.styles["cell"].fontSize)
                   for f in node.elements("field")), default=0.0)
    label_w = min(ctx.width / columns * 0.5, max(ctx.width * 0.22 / columns, 106, longest + _CELL_PADDING))
    line_w = ctx.width / columns - label_w - _CELL_PADDING
    cells = _field_cells(block, node, ctx, line_w)
    rows: list[list[Flowable | str]] = []
    for start in range(0, len(cells), columns):
        row: list[Flowable | str] = []
        for label, line in cells[start:start + columns]:
            row += [label, line]
        rows.append(row + [""] * (2 * columns - len(row)))
    pad = "RIGHTPADDING" if ctx.rtl else "LEFTPADDING"
    table = _table_of(rows, [label_w, line_w + _CELL_PADDING] * columns, ctx,
                      [("VALIGN", (0, 0), (-1, -1), "BOTTOM"), ("TOPPADDING", (0, 0), (-1, -1), 3),
                       ("BOTTOMPADDING", (0, 0), (-1, -1), 1), (pad, (0, 0), (-1, -1), 0)])
    parts.append(table)
    return parts


def _signature_block(node: Node, ctx: BuildContext) -> list[Flowable]:
    # A signature block is never split from its labels or across pages.
    return [KeepTogether(_signature_parts(node, ctx)), Spacer(1, 4)]


def _signatures(node: Node, ctx: BuildContext) -> list[Flowable]:
    """Signature blocks side by side, each in its own column, kept on one page."""
    blocks = node.elements("signature-block")
    gap = 10.0
    column = (ctx.width - gap * (len(blocks) - 1)) / len(blocks)
    inner = replace(ctx, width=column)
    cells: list[list[Flowable]] = []
    for child in blocks:
        parts = _signature_parts(child, inner)
        cells.append(ctx.tag(child, parts) if ctx.tag is not None else parts)
    widths = [w for _ in blocks for w in (column, gap)][:-1]
    row: list[list[Flowable] | str] = []
    for cell in cells:
        row += [cell, ""]
    table = _table_of([row[:-1]], widths, ctx, [("VALIGN", (0, 0), (-1, -1), "TOP"),
                                                 ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                                 ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                                                 ("TOPPADDING", (0, 0), (-1, -1), 0)])
    return [table, Spacer(1, 4)]


# Builders by the name a vocabulary row gives (render/vocabulary.py says which tag uses which).
BUILDERS: dict[str, Builder] = {
    "checklist": _checklist,
    "signature-block": _signature_block,
    "signatures": _signatures,
    "icon-arrays": _icon_arrays,
    "beside": _beside,
    "record-box": _record_box,
    "heading": _heading,
    "paragraph": _paragraph,
    "list": _list,
    "callout": _callout,
    "table": _table,
    "sources": _sources,
    "page-break": _page_break,
}


def _bad_value(node: Node, ctx: BuildContext, attr: str, value: str, allowed: set[str]) -> PatientDocsError:
    return PatientDocsError(f"<{node.tag} {attr}=\"{value}\"> is not allowed; use one of "
                            f"{', '.join(sorted(allowed))} (line {node.line} of the rendered document)",
                            source=ctx.template)


def build_block(node: Node, ctx: BuildContext) -> list[Flowable]:
    rule = VOCABULARY.get(node.tag)
    builder = BUILDERS.get(rule.builder) if rule is not None and rule.builder else None
    if builder is None:
        raise PatientDocsError(f"<{node.tag}> cannot be used here (line {node.line} of the rendered document)",
                               source=ctx.template)
    out = builder(node, ctx)
    return ctx.tag(node, out) if ctx.tag is not None else out


def build_story(root: Node, ctx: BuildContext) -> list[Flowable]:
    """The document's flowables. Each block's are marked with the block's XML (``_tail_key``, see
    tails.py), unless the page is a form: its fields are the patient's, whatever the XML says."""
    if ctx.fillable or ctx.filled:
        return _children(root, ctx)
    out: list[Flowable] = []
    for child in root.elements():
        made = build_block(child, ctx)
        key = child.key
        if key is not None:
            for i, flowable in enumerate(made):
                flowable._tail_key = (key, i)
        out.extend(made)
    return out

"""The block vocabulary: one row per tag, the only place that says what a template may write.

Each row gives the tag's attributes (with their allowed values, where they are fixed), the tags
it may hold, whether it may hold text, whether it may be empty, and the builder that draws it
(render/pdf/flowables.py looks the builder up by that name). markup.parse checks every rendered
document against this table, so content a builder would drop or a block reportlab cannot draw
is an error with its template and line, never a silently different page.

Adding a tag is one row here (and a builder in flowables.py when no existing one draws it).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Tag:
    # attribute -> its allowed values, or None for any text
    attrs: dict[str, frozenset[str] | None] = field(default_factory=dict)
    children: frozenset[str] = frozenset()
    text: bool = False  # may hold text (whitespace between blocks is always allowed)
    empty: bool = True  # may have no children and no text
    builder: str | None = None  # the flowables.BUILDERS entry that draws it; None: drawn by its parent
    max_text: int = 4000  # characters of text in the element (its children included)


def _any(*names: str) -> dict[str, frozenset[str] | None]:
    return dict.fromkeys(names)


INLINE = frozenset({"b", "i", "br"})
_BLOCK_CHILDREN = frozenset({"h1", "h2", "h3", "p", "ul", "callout", "risk-table", "table", "sources",
                             "checklist", "signature-block", "signatures", "page-break", "icon-arrays", "record-box",
                             "beside"})

VOCABULARY: dict[str, Tag] = {
    "document": Tag(_any("title", "copy"), _BLOCK_CHILDREN, empty=False, max_text=0),
    "h1": Tag({}, INLINE, text=True, empty=False, builder="heading", max_text=300),
    "h2": Tag({}, INLINE, text=True, empty=False, builder="heading", max_text=300),
    "h3": Tag({}, INLINE, text=True, empty=False, builder="heading", max_text=300),
    "p": Tag({"class": frozenset({"lead", "personal", "small", "closing", "warning"})}, INLINE, text=True,
             empty=False, builder="paragraph"),
    # Lists, tables and sources may be empty (a document citing nothing): they then draw nothing.
    "ul": Tag({"class": None}, frozenset({"li"}), builder="list"),
    "li": Tag({}, INLINE, text=True, empty=False),
    "callout": Tag({"kind": frozenset({"info", "warning", "danger"}), "title": None},
                   frozenset({"h3", "p", "ul"}), empty=False, builder="callout"),
    "risk-table": Tag({**_any("title", "intro"), "keep": frozenset({"together"})}, frozenset({"head", "risk"}),
                      builder="table"),
    # A print run's cover lists up to 60 appointments in one table (pipeline.cover_parts).
    "table": Tag(_any("title", "widths"), frozenset({"head", "row"}), builder="table", max_text=20000),
    "head": Tag({}, frozenset({"cell"}), empty=False),
    "risk": Tag(_any("band"), frozenset({"cell"}), empty=False),
    "row": Tag({}, frozenset({"cell"}), empty=False),
    "cell": Tag({}, INLINE | {"box"}, text=True),
    "box": Tag({}),
    "sources": Tag({}, frozenset({"source"}), builder="sources"),
    "source": Tag({}, INLINE, text=True, empty=False),
    # details: a details line beside each question; action: the clinic copy's column for the
    # therapist; stop: the mark put before a question whose "yes" means "do not needle".
    # ask: the question put to the patient, at the head of the question column.
    "checklist": Tag(_any("ask", "yes", "no", "details", "action", "stop"), frozenset({"question"}), empty=False,
                     builder="checklist"),
    "question": Tag(_any("name", "kind"), INLINE, text=True, empty=False),
    # Icon arrays side by side; alt is the words a screen reader says for the whole picture.
    "icon-arrays": Tag(_any("alt"), frozenset({"icon-array"}), builder="icon-arrays"),
    # Blocks whose icon arrays stand in a column beside their text where the page has room.
    "beside": Tag({}, _BLOCK_CHILDREN - {"beside"}, empty=False, builder="beside"),
    "icon-array": Tag(_any("count", "per", "label"), INLINE, text=True),
    # The therapist's box on the consent form: entries filled from options, or blank to write in.
    "record-box": Tag(_any("title", "yes", "no"), frozenset({"entry", "sessions"}), empty=False,
                      builder="record-box"),
    # Rows for later sessions in the therapist's box (the clinic copy): the column headings.
    "sessions": Tag({**_any("date", "areas", "chest", "estim", "initials"), "rows": frozenset("123456")}),
    "entry": Tag({"label": None, "name": None, "kind": frozenset({"yesno"}), "answer": frozenset({"yes", "no", ""})},
                 INLINE, text=True),
    # statement: what the signer confirms, printed under the title; columns="2": the fields two a row.
    "signature-block": Tag({**_any("title", "name", "statement"), "columns": frozenset({"1", "2"})},
                           frozenset({"field"}), empty=False, builder="signature-block"),
    # Signature blocks side by side (the patient's and the therapist's), each a column.
    "signatures": Tag({}, frozenset({"signature-block"}), empty=False, builder="signatures"),
    "field": Tag({"label": None, "name": None, "kind": frozenset({"text", "signature"})}),
    "page-break": Tag({}, builder="page-break"),
    "b": Tag({}, INLINE, text=True, empty=False),
    "i": Tag({}, INLINE, text=True, empty=False),
    "br": Tag({}),
}

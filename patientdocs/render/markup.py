"""The small XML vocabulary that templates render, and its strict parser.

Templates produce this XML; patient data inside it is already escaped by Jinja, so it can
only ever be text. Any tag or attribute outside the vocabulary is an error naming the
template and line: a typo must never print silently wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from xml.parsers import expat

from patientdocs.errors import PatientDocsError

INLINE = {"b": set(), "i": set(), "br": set()}

# tag -> allowed attributes
BLOCKS: dict[str, set[str]] = {
    "document": {"title", "copy"},
    "h1": set(), "h2": set(), "h3": set(),
    "p": {"class"},
    "ul": {"class"}, "li": set(),
    "callout": {"kind", "title"},
    "risk-table": {"title", "intro"}, "head": set(), "risk": {"band"}, "cell": set(),
    "table": {"title", "widths"}, "row": set(), "box": set(),
    "sources": set(), "source": set(),
    "checklist": {"yes", "no", "details", "action", "stop"}, "question": {"name", "kind"},
    "icon-arrays": {"alt"}, "icon-array": {"count", "per", "label"},
    "record-box": {"title", "yes", "no"}, "entry": {"label", "kind", "answer", "name"},
    "signature-block": {"title", "name"}, "field": {"label", "name", "kind"},
    "page-break": set(),
}
VOCABULARY: dict[str, set[str]] = {**BLOCKS, **INLINE}

P_CLASSES = {"lead", "personal", "small", "closing", "warning"}
CALLOUT_KINDS = {"info", "warning", "danger"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    line: int
    children: list[Node | str] = field(default_factory=list)

    def elements(self, tag: str | None = None) -> list[Node]:
        return [c for c in self.children if isinstance(c, Node) and (tag is None or c.tag == tag)]

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)


def parse(xml: str, template: str) -> Node:
    """Parse rendered XML strictly into a tree of Nodes."""
    root: list[Node] = []
    stack: list[Node] = []
    parser = expat.ParserCreate("utf-8")

    def fail(message: str) -> PatientDocsError:
        return PatientDocsError(f"{message} (line {parser.CurrentLineNumber} of the rendered document)",
                                source=template)

    def start(tag: str, attrs: dict[str, str]) -> None:
        if tag not in VOCABULARY:
            raise fail(f"unknown tag <{tag}>")
        unknown = set(attrs) - VOCABULARY[tag]
        if unknown:
            raise fail(f"unknown attribute '{sorted(unknown)[0]}' on <{tag}>")
        node = Node(tag, attrs, parser.CurrentLineNumber)
        if stack:
            stack[-1].children.append(node)
        else:
            root.append(node)
        stack.append(node)

    def end(tag: str) -> None:
        stack.pop()

    def chars(data: str) -> None:
        if stack:
            children = stack[-1].children
            if children and isinstance(children[-1], str):
                children[-1] += data
            else:
                children.append(data)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    try:
        parser.Parse(xml, True)
    except expat.ExpatError as exc:
        raise PatientDocsError(f"the rendered document is not well-formed XML: {expat.errors.messages[exc.code]} "
                               f"(line {exc.lineno} of the rendered document)", source=template) from None
    if not root or root[0].tag != "document":
        raise PatientDocsError("the rendered document must start with <document>", source=template)
    return root[0]


_COMMENT = re.compile(r"\{#.*?#\}", re.S)
_TAG = re.compile(r"<\s*/?\s*([A-Za-z][\w.-]*)((?:[^>{]|\{\{.*?\}\}|\{%.*?%\}|\{)*)>", re.S)
_ATTR = re.compile(r"([A-Za-z_][\w.-]*)\s*=")
_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.S)


def check_template_source(source: str, name: str) -> None:
    """Find tags and attributes outside the vocabulary in a template's own text.

    Only template text can produce tags (patient data is escaped), so this check names the
    exact template line, which the rendered output cannot.
    """
    source = _COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), source)
    for match in _TAG.finditer(source):
        tag = match.group(1)
        line = source.count("\n", 0, match.start()) + 1
        if tag not in VOCABULARY:
            raise PatientDocsError(f"unknown tag <{tag}>", source=name, line=line)
        for attr in _ATTR.findall(_JINJA.sub("", match.group(2))):
            if attr not in VOCABULARY[tag]:
                raise PatientDocsError(f"unknown attribute '{attr}' on <{tag}>", source=name, line=line)

"""The small XML vocabulary that templates render, and its strict parser.

Templates produce this XML; patient data inside it is already escaped by Jinja, so it can
only ever be text. Any tag or attribute outside the vocabulary is an error naming the
template and line: a typo must never print silently wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from xml.parsers import expat

from patientdocs.errors import PatientDocsError, shown
from patientdocs.render.vocabulary import VOCABULARY, Tag

# Kept for the builders: the allowed values now live in the vocabulary's rows.
P_CLASSES = set(VOCABULARY["p"].attrs["class"] or ())
CALLOUT_KINDS = set(VOCABULARY["callout"].attrs["kind"] or ())

# Processing instruction the template loader writes at the start of template lines (see
# templating.mark_lines): ``<?tpl templates/info.xml.j2:12?>``. Patient data is escaped, so it
# can never write one; the parser reads them to name the template line of every element.
MARK = "tpl"
_BETWEEN_BLOCKS = " \t\r\n\u200e\u200f"


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    line: int
    children: list[Node | str] = field(default_factory=list)
    # The template file and line that wrote this element, when the template was marked.
    source: str | None = None
    source_line: int | None = None
    # A block of the document (a child of <document>): its XML as rendered, up to the next block.
    # Its flowables are made from that and the document's settings alone (tails.py reuses by it).
    key: bytes | None = None

    def elements(self, tag: str | None = None) -> list[Node]:
        return [c for c in self.children if isinstance(c, Node) and (tag is None or c.tag == tag)]

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)


def parse(xml: str, template: str) -> Node:
    """Parse rendered XML strictly into a tree of Nodes, checked against the vocabulary.

    Every error names the template file and line that wrote the element (from the line marks),
    or the rendered document's line when the XML was not made by a marked template."""
    root: list[Node] = []
    stack: list[Node] = []
    parser = expat.ParserCreate("utf-8")
    mark: list[tuple[int, str, int]] = []  # (rendered line, template, template line) of the last mark
    data = xml.encode("utf-8")
    starts: list[int] = []  # where each block starts in ``data``, and where the document's end tag does

    def here(line: int | None = None) -> tuple[str, int | None, str]:
        line = parser.CurrentLineNumber if line is None else line
        if mark:
            at, name, first = mark[-1]
            return name, first + line - at, ""
        return template, None, f" (line {line} of the rendered document)"

    def fail(message: str, line: int | None = None) -> PatientDocsError:
        source, at, suffix = here(line)
        return PatientDocsError(message + suffix, source=source, line=at)

    def at_node(node: Node, message: str) -> PatientDocsError:
        if node.source_line is None:
            return PatientDocsError(f"{message} (line {node.line} of the rendered document)", source=template)
        return PatientDocsError(message, source=node.source, line=node.source_line)

    def instruction(target: str, data: str) -> None:
        if target == MARK:
            name, _, line = data.rpartition(":")
            if name and line.isdigit():
                mark.append((parser.CurrentLineNumber, name, int(line)))

    def refuse_dtd(*_: object) -> None:
        # A DOCTYPE could declare entities (an "entity bomb" of a few lines expands to gigabytes).
        raise fail("a document type (<!DOCTYPE>) or entity declaration is not allowed in a template")

    def start(tag: str, attrs: dict[str, str]) -> None:
        rule = VOCABULARY.get(tag)
        if rule is None:
            raise fail(f"unknown tag <{tag}>")
        unknown = set(attrs) - set(rule.attrs)
        if unknown:
            raise fail(f"unknown attribute '{sorted(unknown)[0]}' on <{tag}>")
        for name, value in attrs.items():
            allowed = rule.attrs[name]
            if allowed is not None and value not in allowed:
                raise fail(f"<{tag} {name}=\"{shown(value)}\"> is not allowed; use one of {', '.join(sorted(allowed))}")
        if stack:
            parent = stack[-1]
            if tag not in VOCABULARY[parent.tag].children:
                raise fail(f"<{tag}> cannot be inside <{parent.tag}>")
        elif root:
            raise fail(f"<{tag}> is outside <document>")
        elif tag != "document":
            raise fail("the rendered document must start with <document>")
        source, line, _ = here()
        node = Node(tag, attrs, parser.CurrentLineNumber, source=source, source_line=line)
        if stack:
            stack[-1].children.append(node)
            if len(stack) == 1:
                starts.append(parser.CurrentByteIndex)
        else:
            root.append(node)
        stack.append(node)

    def end(tag: str) -> None:
        node = stack.pop()
        if not stack:
            starts.append(parser.CurrentByteIndex)
        rule = VOCABULARY[tag]
        if not rule.empty and not node.elements() and not node.text().strip():
            raise at_node(node, _empty(node))
        length = len(node.text())
        if rule.max_text and length > rule.max_text:
            raise at_node(node, f"<{tag}> holds {length} characters of text; at most {rule.max_text} fit")

    def chars(data: str) -> None:
        if not stack:
            return
        # Direction marks count as space here: templating._isolate ends a macro's output that holds a
        # right-to-left name with one, which may fall between blocks.
        if data.strip(_BETWEEN_BLOCKS) and not VOCABULARY[stack[-1].tag].text:
            raise fail(f"text '{shown(data)}' cannot be inside <{stack[-1].tag}>")
        children = stack[-1].children
        if children and isinstance(children[-1], str):
            children[-1] += data
        else:
            children.append(data)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    parser.ProcessingInstructionHandler = instruction
    parser.StartDoctypeDeclHandler = refuse_dtd
    parser.EntityDeclHandler = refuse_dtd
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        source, line, suffix = here(exc.lineno)
        raise PatientDocsError(f"the rendered document is not well-formed XML: {expat.errors.messages[exc.code]}"
                               + suffix, source=source, line=line) from None
    if not root:
        raise PatientDocsError("the rendered document must start with <document>", source=template)
    blocks = root[0].elements()
    root[0].key = data[:starts[0]]  # the XML before the first block: the document's own attributes
    for i, block in enumerate(blocks):
        block.key = data[starts[i]:starts[i + 1]]
    return root[0]


def _empty(node: Node) -> str:
    rule: Tag = VOCABULARY[node.tag]
    if rule.children and not rule.text:
        wanted = " or ".join(f"<{c}>" for c in sorted(rule.children))
        return f"<{node.tag}> is empty: it needs at least one {wanted}"
    return f"<{node.tag}> is empty"


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
            if attr not in VOCABULARY[tag].attrs:
                raise PatientDocsError(f"unknown attribute '{attr}' on <{tag}>", source=name, line=line)

"""Read YAML keeping the line of every key, so errors can point at ``file:line``.

YAML 1.1 reads ``no``, ``yes``, ``on`` and ``off`` as booleans: a Norwegian language code
``no`` would silently become ``False``. Only ``true`` and ``false`` are booleans here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from patientdocs.errors import PatientDocsError, ProblemListError
from patientdocs.load import textfile

# libyaml (C) when PyYAML has it: parsing the content file is most of a cold run otherwise.
_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):
    pass


# YAML 1.1 reads 02071234567 as an octal number, 12:30 as a base-60 number, "no" as False and
# 2026-02-30 as a crash. Here only plain decimal numbers, true and false are not text; dates
# are checked (with their line) by the schema, not by the parser.
_DROPPED = {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
            "tag:yaml.org,2002:timestamp"}
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in _DROPPED]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Loader.add_implicit_resolver("tag:yaml.org,2002:int", re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$"), list("-+0123456789"))
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float", re.compile(r"^[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$"),
    list("-+.0123456789"))

Path_ = tuple[Any, ...]


@dataclass(frozen=True)
class Document:
    """Parsed YAML data and, for every key or item path, the line it starts on."""

    data: Any
    path: Path
    lines: dict[Path_, int]

    def line_of(self, loc: Path_) -> int:
        """Line of the deepest known node on ``loc`` (a missing key points at its parent)."""
        loc = tuple(loc)
        while loc and loc not in self.lines:
            loc = loc[:-1]
        return self.lines.get(loc, 1)

    def error(self, message: str, loc: Path_ = ()) -> PatientDocsError:
        return PatientDocsError(message, source=self.path, line=self.line_of(loc))


def _key(node: yaml.Node) -> Any:
    """A mapping key as the data holds it (``7:`` is the number 7, ``~:`` None), to find its line."""
    value = node.value
    if not isinstance(node, yaml.ScalarNode):
        return value
    if node.tag == "tag:yaml.org,2002:int":
        return int(value)
    if node.tag == "tag:yaml.org,2002:float":
        return float(value)
    if node.tag == "tag:yaml.org,2002:bool":
        return value.lower() == "true"
    if node.tag == "tag:yaml.org,2002:null":
        return None
    return value


def _index(node: yaml.Node, loc: Path_, lines: dict[Path_, int], doc_path: Path,
           problems: list[PatientDocsError]) -> None:
    lines.setdefault(loc, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[Any] = set()
        for key_node, value_node in node.value:
            key = _key(key_node)
            line = key_node.start_mark.line + 1
            if key in seen:
                problems.append(PatientDocsError(f"key '{key}' appears twice", source=doc_path, line=line))
            seen.add(key)
            lines[(*loc, key)] = line
            _index(value_node, (*loc, key), lines, doc_path, problems)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index(item, (*loc, i), lines, doc_path, problems)


def _refuse_aliases(root: yaml.Node, text: str, path: Path) -> None:
    """Raise at the first ``*alias`` (a ``<<:`` merge uses one too) with its line.

    Neither the settings nor the content need aliases, and a few nested ones ("billion laughs")
    make a 300-byte file expand to gigabytes in whatever walks the data. The node graph is walked
    without recursion, each node once, so the check stays linear in the size of the file; only
    when a node is shared are the events read again, to find the line of the first alias."""
    seen: set[int] = set()
    stack: list[yaml.Node] = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            break
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                stack.append(key_node)
                stack.append(value_node)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    else:
        return
    line = None
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.AliasEvent):
            assert event.start_mark is not None  # the parser marks every event
            line = event.start_mark.line + 1
            break
    raise PatientDocsError("an alias (*name) is not allowed in this file: write the value out in full",
                           source=path, line=line)


def parse(text: str, path: Path) -> Document:
    """Parse YAML text; raise PatientDocsError with file:line for any syntax problem."""
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            if node is not None:
                _refuse_aliases(node, text, path)
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        reason = exc.problem or exc.context or "not valid YAML"
        raise PatientDocsError(f"not valid YAML: {reason}", source=path,
                               line=mark.line + 1 if mark else None) from None
    except yaml.YAMLError as exc:
        raise PatientDocsError(f"not valid YAML: {exc}", source=path) from None
    except RecursionError:
        raise PatientDocsError("not valid YAML: an alias (*name) refers to the list or group it is in, "
                               "or the nesting is too deep", source=path) from None
    lines: dict[Path_, int] = {}
    problems: list[PatientDocsError] = []
    if node is not None:
        try:
            _index(node, (), lines, path, problems)
        except RecursionError:
            raise PatientDocsError("not valid YAML: an alias (*name) refers to the list or group it is in, "
                                   "or the nesting is too deep", source=path) from None
    if problems:
        raise ProblemListError(problems)
    return Document(data=data, path=path, lines=lines)


def load(path: Path) -> Document:
    """Read and parse a YAML file; a missing or unreadable file is a user error."""
    return parse(textfile.read(path)[1], path)

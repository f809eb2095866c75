"""Validate a YAML document into a typed record, reporting every problem with ``file:line``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from patientdocs.errors import ProblemListError
from patientdocs.load import schema

if TYPE_CHECKING:
    from patientdocs.load.yamlsource import Document

T = TypeVar("T")


def _message(problem: schema.Problem) -> str:
    if problem.message.startswith(("unknown key", "missing required key")) or not problem.loc:
        return problem.message
    return f"{schema.dotted(problem.loc)}: {problem.message}"


def validate(cls: type[T], doc: Document) -> T:
    """Validate ``doc.data`` as ``cls``; every problem is reported at once, each at its line."""
    return validate_with_parts(cls, doc, {})[0]


def validate_with_parts(cls: type[T], doc: Document, parts: Mapping[str, type]) -> tuple[T, dict[str, Any]]:
    """``validate``, and top-level keys that ``cls`` does not know each validated as its own record
    type (the sections of a clinic's own kinds of document); returned by key, for those present."""
    data = dict(doc.data) if isinstance(doc.data, dict) else doc.data if doc.data is not None else {}
    taken = {key: data.pop(key) for key in parts if isinstance(data, dict) and key in data}
    obj, problems = schema.build(cls, data)
    found: dict[str, Any] = {}
    for key, value in taken.items():
        part, more = schema.build(parts[key], value, (key,))
        problems += more
        found[key] = part
    if problems:
        errors = [doc.error(_message(p), p.loc) for p in problems]
        raise ProblemListError(sorted(errors, key=lambda e: e.line or 0))
    assert obj is not None
    return obj, found

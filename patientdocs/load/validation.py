"""Validate a YAML document into a typed record, reporting every problem with ``file:line``."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

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
    obj, problems = schema.build(cls, doc.data if doc.data is not None else {})
    if problems:
        errors = [doc.error(_message(p), p.loc) for p in problems]
        raise ProblemListError(sorted(errors, key=lambda e: e.line or 0))
    assert obj is not None
    return obj

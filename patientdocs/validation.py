"""Turn pydantic's validation errors into user messages that point at ``file:line``."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from .errors import ProblemListError
from .yamlsource import Document

M = TypeVar("M", bound=BaseModel)


def _dotted(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for part in loc:
        if isinstance(part, int):
            parts.append(f"[{part + 1}]")  # people count list items from 1
        else:
            parts.append(("." if parts else "") + str(part))
    return "".join(parts)


def _describe(err: dict[str, Any]) -> str:
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    kind = err["type"]
    if kind == "missing":
        return f"missing required key '{_dotted(loc)}'"
    if kind == "extra_forbidden":
        return f"unknown key '{_dotted(loc)}' (check the spelling)"
    msg = err["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    return f"{_dotted(loc)}: {msg}" if loc else msg


def validate(model: type[M], doc: Document, **context: Any) -> M:
    """Validate ``doc.data`` against ``model``; report every problem at once with its line."""
    try:
        return model.model_validate(doc.data if doc.data is not None else {}, context=context or None)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
            problems.append(doc.error(_describe(err), loc))
        raise ProblemListError(problems) from None

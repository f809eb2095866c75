"""Numbers and shared words inside sentences: ``{fact:ID}``, ``{risk:ID}`` and ``{word:KEY}``.

A language file never types a number that belongs in the facts file. It writes a placeholder,
resolved when the content is loaded:

- ``{fact:tolbert_people}``: a study fact of facts.yaml ("123", "1.5", or for a rate "about 1 in 100");
- ``{risk:soreness}``: a risk as its table prints it ("about 52 in 100 people");
- ``{word:profession}``: a phrase of the language's ``words:`` (which a locale overlay may change).

A placeholder naming something unknown is an error at its file and line. Other braces (the
``{signed}`` of a label filled in by the program) are left alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

PLACEHOLDER = re.compile(r"\{(fact|risk|word):([^{}\s]*)\}")

Loc = tuple[Any, ...]
# (kind, name) -> the text, or None when the name is unknown
Lookup = Callable[[str, str], str | None]


def _one(text: str, lookup: Lookup, loc: Loc, problems: list[tuple[Loc, str]], depth: int = 0) -> str:
    def replace(match: re.Match[str]) -> str:
        kind, name = match.group(1), match.group(2)
        found = lookup(kind, name)
        if found is None:
            problems.append((loc, f"unknown {kind} '{name}' in {match.group(0)}"))
            return match.group(0)
        # A word may hold facts ("lasts {fact:soreness_days_max} days"): resolve those too.
        return _one(found, lookup, loc, problems, depth + 1) if kind == "word" and depth < 5 else found

    return PLACEHOLDER.sub(replace, text)


def resolve(data: Any, lookup: Lookup, loc: Loc = ()) -> tuple[Any, list[tuple[Loc, str]]]:
    """``data`` with every placeholder in its text replaced; the problems by place."""
    problems: list[tuple[Loc, str]] = []

    def walk(value: Any, here: Loc) -> Any:
        if isinstance(value, str):
            return _one(value, lookup, here, problems) if "{" in value else value
        if isinstance(value, dict):
            return {k: walk(v, (*here, k)) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, (*here, i)) for i, v in enumerate(value)]
        return value

    return walk(data, loc), problems

"""Numbers typed into a language file, where a placeholder belongs.

The rule: in text a patient reads, no digit may appear outside a placeholder. Every count,
duration and study size is a fact (facts.yaml), so a translation cannot drift from it.
Nothing is exempt inside prose: lists are numbered by the templates, dates come from the
visit, phone numbers from the clinic's settings. What is not prose is exempt: the file's
own version and dates, ids and source ids, the change log (read by staff) and the area
words the chest warning may suggest from (``aftercare.chest_areas``: "T6" is a place).
"""

from __future__ import annotations

import re
from typing import Any

from patientdocs.load.placeholders import PLACEHOLDER

Loc = tuple[Any, ...]

# Sections whose sentences are still being converted to placeholders: reported by ``validate``
# as warnings only. None are left; a new treatment's content may use it while it is written.
PENDING: tuple[str, ...] = ()

_NOT_PROSE_TOP = {"treatment", "language", "language_name", "name", "version", "reviewed", "review_by", "changes",
                  "translated_from", "reviewed_by"}
_NOT_PROSE_KEYS = {"id", "table", "sources", "kind"}
_NOT_PROSE_PATHS = {("aftercare", "chest_areas")}
_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")


def _prose(loc: Loc) -> bool:
    if loc and loc[0] in _NOT_PROSE_TOP:
        return False
    if any(part in _NOT_PROSE_KEYS for part in loc if isinstance(part, str)):
        return False
    return not any(loc[:len(path)] == path for path in _NOT_PROSE_PATHS)


def typed_numbers(data: Any, loc: Loc = ()) -> list[tuple[Loc, str]]:
    """Every number typed in prose, with its place, in file order."""
    found: list[tuple[Loc, str]] = []
    if isinstance(data, str):
        if _prose(loc):
            stripped = PLACEHOLDER.sub(" ", data)
            found += [(loc, m.group(0)) for m in _DIGITS.finditer(stripped)]
    elif isinstance(data, dict):
        for key, value in data.items():
            found += typed_numbers(value, (*loc, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            found += typed_numbers(value, (*loc, i))
    return found


def message(loc: Loc, number: str) -> str:
    from patientdocs.load.schema import dotted

    return (f"{dotted(loc)}: the number '{number}' is typed into the text; numbers live in facts.yaml: "
            "write a placeholder such as {fact:ID} or {risk:ID}")


def pending(loc: Loc) -> bool:
    return bool(loc) and loc[0] in PENDING

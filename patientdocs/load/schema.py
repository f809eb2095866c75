"""Typed records from YAML data: validate against dataclass type hints, collect every problem.

Why not pydantic: building pydantic models took about 170 ms of every cold run (more than
half the budget of a whole reportlab document), and a clinic runs this tool once per
patient. This module covers exactly what the settings and content need: text, numbers,
booleans, dates, paths, fixed choices, optional values, lists, mappings and nested records,
with limits given in each field's metadata, and reports every problem at once with its path.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import types
import typing
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar, Union, dataclass_transform

from patientdocs.frozen import frozen

T = TypeVar("T")
Loc = tuple[Any, ...]


@frozen  # = record, which is defined below spec()
class Problem:
    """One thing wrong in the data, at its place (keys and list positions)."""

    loc: Loc
    message: str


def spec(*, alias: str | None = None, min_length: int | None = None, ge: float | None = None,
         gt: float | None = None, le: float | None = None, pattern: str | None = None, like: str | None = None,
         one_line: bool | None = None, default: Any = dataclasses.MISSING,
         default_factory: Any = dataclasses.MISSING) -> Any:
    """A dataclass field with validation limits (and an optional YAML key different from its name).
    ``one_line``: text printed on one line (a header), where a line break would print as a box."""
    meta = {k: v for k, v in (("alias", alias), ("min_length", min_length), ("ge", ge), ("gt", gt), ("le", le),
                              ("pattern", pattern), ("like", like), ("one_line", one_line)) if v is not None}
    if default_factory is not dataclasses.MISSING:
        return dataclasses.field(default_factory=default_factory, metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


# Every record read from YAML is immutable. Type checkers also learn that spec() declares a
# field (without default= it is required), so a required field may follow a spec() one.
if TYPE_CHECKING:
    @dataclass_transform(frozen_default=True, eq_default=False, field_specifiers=(dataclasses.field, spec))
    def record(cls: type[T]) -> type[T]: ...
else:
    record = frozen


def dotted(loc: Loc) -> str:
    parts: list[str] = []
    for part in loc:
        if isinstance(part, int):
            parts.append(f"[{part + 1}]")  # people count list items from 1
        else:
            parts.append(("." if parts else "") + str(part))
    return "".join(parts)


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _type_name(tp: Any) -> str:
    names = {str: "text", int: "a whole number", float: "a number", bool: "true or false",
             dt.date: "a date (YYYY-MM-DD)", Path: "a file path"}
    if tp in names:
        return names[tp]
    origin = typing.get_origin(tp)
    if origin is list:
        return "a list"
    if origin is dict or dataclasses.is_dataclass(tp):
        return "a group of 'key: value' lines"
    return getattr(tp, "__name__", str(tp))


def _convert(tp: Any, value: Any, loc: Loc, meta: dict[str, Any], out: list[Problem]) -> Any:
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        options = typing.get_args(tp)
        if value is None and type(None) in options:
            return None
        inner = [o for o in options if o is not type(None)]
        return _convert(inner[0], value, loc, meta, out) if len(inner) == 1 else value
    if origin is Literal:
        choices = typing.get_args(tp)
        if value not in choices:
            shown = " or ".join(f"'{c}'" for c in choices)
            out.append(Problem(loc, f"must be {shown}, not '{value}'"))
        return value
    if origin is list:
        if not isinstance(value, list):
            out.append(Problem(loc, f"must be {_type_name(tp)}"))
            return []
        (item,) = typing.get_args(tp)
        each = {"one_line": True} if meta.get("one_line") else {}
        result = [_convert(item, v, (*loc, i), each, out) for i, v in enumerate(value)]
        _check_limits(result, loc, meta, out)
        return result
    if origin is dict:
        if not isinstance(value, dict):
            out.append(Problem(loc, f"must be {_type_name(tp)}"))
            return {}
        key_type, item = typing.get_args(tp)
        mapping: dict[Any, Any] = {}
        for k, v in value.items():
            key = _convert(key_type, k, (*loc, k), {}, out)
            mapping[key] = _convert(item, v, (*loc, k), {}, out)
        return mapping
    if dataclasses.is_dataclass(tp):
        return _build(tp, value, loc, out)
    return _scalar(tp, value, loc, meta, out)


def _scalar(tp: Any, value: Any, loc: Loc, meta: dict[str, Any], out: list[Problem]) -> Any:
    ok = True
    if tp is str:
        if isinstance(value, bool) or not isinstance(value, str | int):
            # Whole numbers (phone numbers, postcodes) are read as text; a decimal is not,
            # because YAML has already lost its trailing zeros ("2026.10" -> 2026.1).
            ok = False
        else:
            value = str(value)
            problem = _unprintable(value, one_line=bool(meta.get("one_line")))
            if problem:
                out.append(Problem(loc, problem))
                return value
    elif tp is bool:
        ok = isinstance(value, bool)
    elif tp is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif tp is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        value = float(value) if ok else value
    elif tp is dt.date:
        if isinstance(value, str):
            try:
                value = dt.date.fromisoformat(value)
            except ValueError:
                ok = False
        else:
            ok = isinstance(value, dt.date) and not isinstance(value, dt.datetime)
    elif tp is Path:
        ok = isinstance(value, str) and bool(value.strip())
        value = Path(value) if ok else value
    if not ok:
        shown = f"'{value}'" if isinstance(value, str | int | float) else "a list or group" if isinstance(
            value, list | dict) else repr(value)
        out.append(Problem(loc, f"must be {_type_name(tp)}, not {shown}"))
        return value
    _check_limits(value, loc, meta, out)
    return value


def _unprintable(text: str, *, one_line: bool) -> str | None:
    """The patient fields' rule for every text of the settings and content: control characters, NUL,
    direction overrides and other invisible marks print as boxes or reorder the line, so they are
    refused. A line break is kept where text is laid out in paragraphs (YAML's ``|`` blocks)."""
    import unicodedata

    from patientdocs.load.visit import _UNPRINTABLE, _describe, _joins

    if text.isascii() and text.isprintable():
        return None  # nearly every value: nothing to look at
    text = text.strip("\n") if one_line else text
    bad = sorted({c for i, c in enumerate(text) if (unicodedata.category(c) in _UNPRINTABLE
                                                      and not (c == "\n" and not one_line) and not _joins(text, i))})
    if not bad:
        return None
    codes = ", ".join(_describe(c) for c in bad[:5]) + (f" and {len(bad) - 5} more" if len(bad) > 5 else "")
    return f"contains characters that cannot be printed: {codes}; retype it"


def _check_limits(value: Any, loc: Loc, meta: dict[str, Any], out: list[Problem]) -> None:
    if "min_length" in meta and len(value) < meta["min_length"]:
        out.append(Problem(loc, "must not be empty" if meta["min_length"] == 1
                           else f"needs at least {meta['min_length']} items"))
    if "ge" in meta and value < meta["ge"]:
        out.append(Problem(loc, f"must be at least {meta['ge']:g}, not {value:g}"))
    if "gt" in meta and value <= meta["gt"]:
        out.append(Problem(loc, f"must be more than {meta['gt']:g}, not {value:g}"))
    if "le" in meta and value > meta["le"]:
        out.append(Problem(loc, f"must be at most {meta['le']:g}, not {value:g}"))
    if "pattern" in meta and not re.fullmatch(meta["pattern"], value):
        out.append(Problem(loc, f"'{value}' is not {meta['like']}" if "like" in meta
                           else f"'{value}' is not in the expected form"))


# cls is any record class (a dataclass); typed Any because dataclasses.fields() and the
# cached _hints() cannot be told that a type[T] is one.
def _build(cls: Any, data: Any, loc: Loc, out: list[Problem]) -> Any:
    if not isinstance(data, dict):
        out.append(Problem(loc, "must be a group of 'key: value' lines"))
        return None
    hints = _hints(cls)
    fields = [f for f in dataclasses.fields(cls) if f.init]
    keys = {f.metadata.get("alias", f.name): f for f in fields}
    for key in data:
        if not isinstance(key, str):
            # 7:, true: or ~: as a key: shown as typed, not as a list position ("[8]") or "None".
            written = "~ (an empty key)" if key is None else str(key).lower() if isinstance(key, bool) else str(key)
            where = f" in '{dotted(loc)}'" if loc else ""
            out.append(Problem((*loc, key), f"unknown key '{written}'{where}: a key is a name, not a number, "
                                            "true/false or empty (check the spelling)"))
        elif key not in keys:
            out.append(Problem((*loc, key), f"unknown key '{dotted((*loc, key))}' (check the spelling)"))
    before = len(out)
    values = {}
    for key, field in keys.items():
        if key in data:
            values[field.name] = _convert(hints[field.name], data[key], (*loc, key), dict(field.metadata), out)
        elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            out.append(Problem((*loc, key), f"missing required key '{dotted((*loc, key))}'"))
    if len(out) > before:
        return None
    obj = cls(**values)
    check = getattr(obj, "problems", None)
    if check is not None:
        for message in check():
            # "brand_colour: ..." is about that key: point at its own line, not the group's.
            key, sep, rest = message.partition(": ")
            out.append(Problem((*loc, key), rest) if sep and key in keys else Problem(loc, message))
    return obj


def build(cls: type[T], data: Any, loc: Loc = ()) -> tuple[T | None, list[Problem]]:
    """Validate ``data`` (found at ``loc``) as ``cls``; returns the record (None if invalid) and every problem."""
    problems: list[Problem] = []
    obj = _build(cls, data, loc, problems)
    return (obj if not problems else None), problems

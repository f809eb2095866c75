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
from typing import Any, Literal, TypeVar, Union

T = TypeVar("T")
Loc = tuple[Any, ...]


@dataclasses.dataclass(frozen=True)
class Problem:
    loc: Loc
    message: str


def record(cls: type[T]) -> type[T]:
    """A dataclass for values read from YAML: immutable and compared by identity.

    ``dataclass(frozen=True)`` compiles three methods for every class, about 0.5 ms each time;
    with some thirty records that was a tenth of a cold run. Here no code is generated: all
    records share one ``__init__`` (same arguments, defaults and errors as a dataclass's) and
    one pair of methods that refuse changes. ``dataclasses.fields``, ``asdict``, ``replace``
    and pickling work as for any dataclass."""
    if cls.__doc__ is None:
        # Without one, dataclass writes a docstring from inspect.signature(), whose first use
        # compiles tokenize's large regular expression: ~5 ms of a cold run.
        cls.__doc__ = f"{cls.__name__} record"
    cls = dataclasses.dataclass(init=False, repr=False, eq=False)(cls)
    cls.__record_fields__ = tuple((f.name, f.init, f.default, f.default_factory)  # type: ignore[attr-defined]
                                  for f in dataclasses.fields(cls))
    cls.__init__ = _record_init  # type: ignore[assignment]
    cls.__setattr__ = _refuse_change  # type: ignore[assignment]
    cls.__delattr__ = _refuse_change  # type: ignore[assignment]
    return cls


_MISSING = dataclasses.MISSING


def _record_init(self: Any, *args: Any, **kwargs: Any) -> None:
    values = self.__dict__
    name = type(self).__name__
    fields = type(self).__record_fields__
    init_names = [f[0] for f in fields if f[1]]
    if len(args) > len(init_names):
        raise TypeError(f"{name}() takes {len(init_names)} positional arguments but {len(args)} were given")
    given = dict(zip(init_names, args, strict=False))
    for key, value in kwargs.items():
        if key not in init_names:
            raise TypeError(f"{name}() got an unexpected keyword argument '{key}'")
        if key in given:
            raise TypeError(f"{name}() got multiple values for argument '{key}'")
        given[key] = value
    for field_name, init, default, factory in fields:
        if init and field_name in given:
            values[field_name] = given[field_name]
        elif default is not _MISSING:
            values[field_name] = default
        elif factory is not _MISSING:
            values[field_name] = factory()
        elif init:
            raise TypeError(f"{name}() missing required argument: '{field_name}'")


def _refuse_change(self: Any, name: str, *value: Any) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot change field '{name}' of {type(self).__name__}")


def spec(*, alias: str | None = None, min_length: int | None = None, ge: float | None = None,
         gt: float | None = None, le: float | None = None, pattern: str | None = None,
         default: Any = dataclasses.MISSING, default_factory: Any = dataclasses.MISSING) -> Any:
    """A dataclass field with validation limits (and an optional YAML key different from its name)."""
    meta = {k: v for k, v in (("alias", alias), ("min_length", min_length), ("ge", ge), ("gt", gt), ("le", le),
                              ("pattern", pattern)) if v is not None}
    if default_factory is not dataclasses.MISSING:
        return dataclasses.field(default_factory=default_factory, metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


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
        result = [_convert(item, v, (*loc, i), {}, out) for i, v in enumerate(value)]
        _check_limits(result, loc, meta, out)
        return result
    if origin is dict:
        if not isinstance(value, dict):
            out.append(Problem(loc, f"must be {_type_name(tp)}"))
            return {}
        key_type, item = typing.get_args(tp)
        result = {}
        for k, v in value.items():
            key = _convert(key_type, k, (*loc, k), {}, out)
            result[key] = _convert(item, v, (*loc, k), {}, out)
        return result
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
        out.append(Problem(loc, f"'{value}' is not in the expected form"))


def _build(cls: type[T], data: Any, loc: Loc, out: list[Problem]) -> T | None:
    if not isinstance(data, dict):
        out.append(Problem(loc, "must be a group of 'key: value' lines"))
        return None
    hints = _hints(cls)
    fields = [f for f in dataclasses.fields(cls) if f.init]
    keys = {f.metadata.get("alias", f.name): f for f in fields}
    for key in data:
        if key not in keys:
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
        out.extend(Problem(loc, message) for message in check())
    return obj


def build(cls: type[T], data: Any) -> tuple[T | None, list[Problem]]:
    """Validate ``data`` as ``cls``; returns the record (None if invalid) and every problem found."""
    problems: list[Problem] = []
    obj = _build(cls, data, (), problems)
    return (obj if not problems else None), problems

"""Immutable dataclasses that cost nothing to define.

Used for everything read from YAML (see schema) and for the values a run passes along (a
visit, a page's header and footer, a finished PDF). They compare by identity: nothing here
needs equality, and generating ``__eq__`` would cost as much as what it replaces.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar, dataclass_transform

T = TypeVar("T")


# Tells type checkers that a @frozen class has a dataclass-like __init__ and read-only fields.
@dataclass_transform(frozen_default=True, eq_default=False)
def frozen(cls: type[T]) -> type[T]:
    """An immutable dataclass, compared by identity.

    ``dataclass(frozen=True)`` compiles three methods for every class, about 0.5 ms each time;
    with some forty such classes that was a tenth of a cold run. Here no code is generated: all
    records share one ``__init__`` (same arguments, defaults and errors as a dataclass's) and
    one pair of methods that refuse changes. ``dataclasses.fields``, ``asdict``, ``replace``
    and pickling work as for any dataclass."""
    if cls.__doc__ is None:
        # Without one, dataclass writes a docstring from inspect.signature(), whose first use
        # compiles tokenize's large regular expression: ~5 ms of a cold run.
        cls.__doc__ = f"{cls.__name__} (frozen dataclass)"
    cls = dataclasses.dataclass(init=False, repr=False, eq=False)(cls)
    made: Any = cls  # a dataclass now, which type[T] cannot say
    cls.__record_fields__ = tuple((f.name, f.init, f.default, f.default_factory)  # type: ignore[attr-defined]
                                  for f in dataclasses.fields(made))
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

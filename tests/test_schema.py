"""Records read from YAML: built like dataclasses, immutable, and checked with every problem at once."""

from __future__ import annotations

import dataclasses
import pickle
from dataclasses import field

import pytest

from patientdocs.load.config import Config, DocumentSettings
from patientdocs.load.schema import build, record, spec


@record
class Item:
    name: str = spec(min_length=1)
    tags: list[str] = field(default_factory=list)
    size: int = spec(default=3, ge=1)
    note: str = field(default="", init=False)


def test_a_record_takes_arguments_like_a_dataclass() -> None:
    item = Item("pen", size=5)
    assert (item.name, item.tags, item.size, item.note) == ("pen", [], 5, "")
    assert Item(name="pen").size == 3
    assert Item("a").tags is not Item("b").tags  # a default list is never shared


@pytest.mark.parametrize(("args", "kwargs", "message"), [
    ((), {}, "missing required argument: 'name'"),
    (("a", [], 1, "x"), {}, "takes 3 positional arguments but 4 were given"),
    (("a",), {"name": "b"}, "multiple values for argument 'name'"),
    ((), {"name": "a", "colour": "red"}, "unexpected keyword argument 'colour'"),
    ((), {"name": "a", "note": "x"}, "unexpected keyword argument 'note'"),  # not an __init__ field
])
def test_wrong_arguments_are_refused(args: tuple, kwargs: dict, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        Item(*args, **kwargs)


def test_a_record_cannot_be_changed() -> None:
    item = Item("pen")
    with pytest.raises(dataclasses.FrozenInstanceError):
        item.name = "ink"
    with pytest.raises(dataclasses.FrozenInstanceError):
        del item.size
    assert item.name == "pen"


def test_records_work_with_dataclass_tools_and_pickle() -> None:
    item = Item("pen", ["blue"])
    assert dataclasses.asdict(item) == {"name": "pen", "tags": ["blue"], "size": 3, "note": ""}
    assert dataclasses.replace(item, size=7).size == 7
    copy = pickle.loads(pickle.dumps(item))
    assert (copy.name, copy.tags, copy.size) == ("pen", ["blue"], 3)
    assert Item.__doc__  # given one, so dataclass does not build it with inspect.signature()


def test_build_reports_every_problem_with_its_place() -> None:
    obj, problems = build(Item, {"name": "", "size": 0, "colour": "red"})
    assert obj is None
    assert {(p.loc, p.message) for p in problems} == {
        (("colour",), "unknown key 'colour' (check the spelling)"),
        (("name",), "must not be empty"),
        (("size",), "must be at least 1, not 0"),
    }


def test_nested_records_get_their_defaults() -> None:
    config, problems = build(Config, {"clinic": {"name": "A", "address": ["1 Road"], "phone": "1",
                                                 "emergency_number": "999"}})
    assert problems == []
    assert isinstance(config.document, DocumentSettings) and config.document.paper == "A4"
    assert config.source.name == "config.yaml"

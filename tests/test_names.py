"""Any name in Latin, Greek, Cyrillic or Vietnamese letters is printed exactly as typed (other
scripts: test_scripts.py)."""

from __future__ import annotations

import unicodedata

import pytest
from conftest import REPO, TODAY, norm, page_texts, render_info
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from patientdocs.load.config import load_config
from patientdocs.load.visit import make_visit
from patientdocs.render.pipeline import Pipeline


def _letters(*ranges: tuple[int, int], extra: str = "") -> str:
    chars = [chr(c) for start, end in ranges for c in range(start, end + 1)] + list(extra)
    return "".join(c for c in dict.fromkeys(chars) if c.isalpha())


LATIN = _letters((0x41, 0x5A), (0x61, 0x7A), (0xC0, 0xFF), (0x100, 0x17F))  # ASCII, Latin-1, Latin Extended-A
GREEK = _letters((0x386, 0x3CE))  # with tonos and dialytika: ά έ ή ί ό ύ ώ ϊ ϋ ΐ ΰ
CYRILLIC = _letters((0x400, 0x45F))  # Russian, Ukrainian, Serbian, ...: Ё ё Ї ї Є є Ђ ђ
VIETNAMESE = _letters((0x1EA0, 0x1EF9), extra="ăâđêôơưĂÂĐÊÔƠƯàáãèéìíòóõùúýÀÁÃÈÉÌÍÒÓÕÙÚÝĩũĨŨ")
SEPARATORS = " -'"


def _names(alphabet: str) -> st.SearchStrategy[str]:
    return st.text(alphabet=alphabet + SEPARATORS, min_size=1, max_size=40).filter(
        lambda s: any(c.isalpha() for c in s))


NAMES = st.one_of(_names(LATIN), _names(GREEK), _names(CYRILLIC), _names(VIETNAMESE),
                  _names(LATIN + GREEK + CYRILLIC + VIETNAMESE))


def test_alphabets_are_what_they_claim() -> None:
    # Guards the strategies: real letters of each script, already in NFC.
    assert "É" in LATIN and "ł" in LATIN and "ß" in LATIN
    assert "Ω" in GREEK and "ώ" in GREEK and "ΰ" in GREEK
    assert "Ж" in CYRILLIC and "ё" in CYRILLIC and "ї" in CYRILLIC
    assert "ệ" in VIETNAMESE and "ư" in VIETNAMESE and "Đ" in VIETNAMESE
    for alphabet in (LATIN, GREEK, CYRILLIC, VIETNAMESE):
        assert unicodedata.normalize("NFC", alphabet) == alphabet


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    # Read-only use of the project's config: nothing is written by Pipeline.render.
    return Pipeline(load_config(REPO / "config.yaml"), on_date=TODAY)


@settings(max_examples=25, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(name=NAMES)
def test_any_name_in_these_alphabets_is_printed_exactly(pipeline: Pipeline, name: str) -> None:
    visit = make_visit(patient=name, date="2026-12-01", therapist="Sam Patel")
    rendered = render_info(pipeline, visit)
    first = page_texts(rendered.pdf)[0]
    assert f"Prepared for {norm(name)}, 1 December 2026, by Sam Patel." in first


@pytest.mark.parametrize("name", ["Nguyễn Thị Minh Khai", "Νίκος Παπαδόπουλος", "Сергей Ёлкин",
                                  "Ærøskøbing Łódź-Ștefan"])
def test_known_names_in_each_script(pipeline: Pipeline, name: str) -> None:
    rendered = render_info(pipeline, make_visit(patient=name, date="2026-12-01"))
    assert f"Prepared for {name}, 1 December 2026." in page_texts(rendered.pdf)[0]


def test_decomposed_input_is_printed_composed(pipeline: Pipeline) -> None:
    typed = unicodedata.normalize("NFD", "Zoë Nguyễn")
    assert typed != "Zoë Nguyễn"
    rendered = render_info(pipeline, make_visit(patient=typed, date="2026-12-01"))
    assert "Prepared for Zoë Nguyễn, 1 December 2026." in page_texts(rendered.pdf)[0]


@pytest.mark.parametrize("name", ["محمد علي", "דוד כהן", "Sara بن علي"])
def test_right_to_left_names_are_printed_not_refused(pipeline: Pipeline, name: str) -> None:
    # Once refused (they would have printed backwards); tests/test_scripts.py checks their order.
    rendered = render_info(pipeline, make_visit(patient=name, date="2026-12-01"))
    first = page_texts(rendered.pdf)[0]
    assert all(word in first for word in name.split()), first

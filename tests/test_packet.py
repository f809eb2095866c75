"""The front-desk packet: information sheet plus both consent copies, printed one- or two-sided."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers_docs import (
    BLANK_TEXT,
    document_starts,
    is_blank,
    make_many,
    page_numbers,
    page_texts,
    write_config,
)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("packet")


@pytest.fixture(scope="module")
def config_duplex(folder: Path) -> Path:
    # 14 pt: a size at which the demo documents have odd page counts, so blanks are needed.
    return write_config(folder / "duplex-on", duplex=True, font_size=14)


@pytest.fixture(scope="module")
def config_simplex(folder: Path) -> Path:
    return write_config(folder / "duplex-off", duplex=False, font_size=14)


@pytest.fixture(scope="module")
def made(folder: Path, config_duplex: Path, config_simplex: Path) -> dict[str, list[str]]:
    # 13 pt: a size at which a consent copy has an odd page count (at 14 pt both copies are even).
    consent_on = write_config(folder / "consent-on", duplex=True, font_size=13)
    consent_off = write_config(folder / "consent-off", duplex=False, font_size=13)
    """Every file these tests look at, made at once; returned as the text of each page."""
    jobs = {
        # Made with a config that says one-sided: the option wins (and the other way round).
        "duplex": ("packet", ("--duplex",), config_simplex),
        "simplex": ("packet", ("--no-duplex",), config_duplex),
        "default-on": ("packet", (), config_duplex),
        "default-off": ("packet", (), config_simplex),
        "info": ("info", (), config_duplex),
        "consent-on": ("consent", (), config_duplex),
        "consent-off": ("consent", (), config_simplex),
        "consent-odd-on": ("consent", (), consent_on),
        "consent-odd-off": ("consent", (), consent_off),
    }
    make_many(*[(kind, folder / f"{name}.pdf", extra, config) for name, (kind, extra, config) in jobs.items()])
    return {name: page_texts(folder / f"{name}.pdf") for name in jobs}


@pytest.fixture(scope="module")
def duplex(made: dict[str, list[str]]) -> list[str]:
    return made["duplex"]


@pytest.fixture(scope="module")
def simplex(made: dict[str, list[str]]) -> list[str]:
    return made["simplex"]


def _documents(texts: list[str]) -> list[list[str]]:
    """The pages of each document in the file, blank pages left out."""
    docs: list[list[str]] = []
    for text in texts:
        if is_blank(text):
            continue
        number = page_numbers(text)
        assert number is not None, text[-200:]
        if number[0] == 1:
            docs.append([])
        docs[-1].append(text)
    return docs


def _duplex_layout(lengths: list[int]) -> tuple[list[int], list[int], int]:
    """Where each document starts, where blank pages go and the total, when each starts on a front side."""
    starts, blanks, page = [], [], 1
    for length in lengths:
        if page % 2 == 0:
            blanks.append(page)
            page += 1
        starts.append(page)
        page += length
    return starts, blanks, page - 1


def test_packet_holds_info_sheet_then_patient_copy_then_clinic_copy(simplex: list[str]) -> None:
    docs = _documents(simplex)
    assert len(docs) == 3
    assert "Dry needling: information for you" in docs[0][0]
    assert all("Patient copy" not in p and "Clinic copy" not in p for p in docs[0])
    assert all("Patient copy" in p for p in docs[1])
    assert all("Clinic copy" in p for p in docs[2])
    assert "Dry needling: consent form" in docs[1][0] and "Dry needling: consent form" in docs[2][0]


def test_duplex_starts_every_document_on_an_odd_page(duplex: list[str]) -> None:
    starts = document_starts(duplex)
    assert len(starts) == 3
    assert starts[0] == 1
    assert all(start % 2 == 1 for start in starts), starts


def test_duplex_blank_pages_say_so_and_nothing_else(duplex: list[str]) -> None:
    blanks = [i + 1 for i, text in enumerate(duplex) if is_blank(text)]
    for number in blanks:
        assert duplex[number - 1] == BLANK_TEXT
        assert number % 2 == 0  # a back side
        assert number + 1 in document_starts(duplex)  # only just before a document that needs it


def test_duplex_inserts_blank_pages_exactly_where_needed(duplex: list[str], simplex: list[str]) -> None:
    lengths = [len(doc) for doc in _documents(simplex)]
    starts, blanks, total = _duplex_layout(lengths)
    assert blanks, "the content no longer needs a blank page: this test would prove nothing"
    assert document_starts(duplex) == starts
    assert [i + 1 for i, text in enumerate(duplex) if is_blank(text)] == blanks
    assert len(duplex) == total
    assert [text for text in duplex if not is_blank(text)] == simplex


def test_no_duplex_has_no_blank_pages_and_is_the_sum_of_its_parts(made: dict[str, list[str]]) -> None:
    simplex, info, consent = made["simplex"], made["info"], made["consent-off"]
    assert not any("intentionally blank" in text for text in simplex)
    assert not any(is_blank(text) for text in consent)
    assert len(simplex) == len(info) + len(consent)
    assert sum(page_numbers(text)[1] for text in simplex if page_numbers(text)[0] == 1) == len(simplex)
    assert simplex == info + consent


def test_page_numbers_restart_per_document(duplex: list[str]) -> None:
    for doc in _documents(duplex):
        total = len(doc)
        assert [page_numbers(text) for text in doc] == [(n, total) for n in range(1, total + 1)]


def test_default_comes_from_config_duplex_true(made: dict[str, list[str]]) -> None:
    assert made["default-on"] == made["duplex"]


def test_default_comes_from_config_duplex_false(made: dict[str, list[str]]) -> None:
    assert made["default-off"] == made["simplex"]


def test_consent_alone_follows_the_same_duplex_rule(made: dict[str, list[str]]) -> None:
    one_sided, two_sided = made["consent-odd-off"], made["consent-odd-on"]
    assert not any(is_blank(text) for text in one_sided)
    starts, blanks, total = _duplex_layout([len(doc) for doc in _documents(one_sided)])
    assert blanks, "the consent copies no longer need a blank page: this test would prove nothing"
    assert document_starts(two_sided) == starts
    assert [i + 1 for i, text in enumerate(two_sided) if is_blank(text)] == blanks
    assert len(two_sided) == total

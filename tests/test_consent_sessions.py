"""The consent form records that consent is ongoing (issue 10, review 2.1: GMC), and the lines
the patient writes a date on say in which order (DD/MM/YYYY or MM/DD/YYYY, from the clinic)."""

from __future__ import annotations

from collections import Counter
from itertools import pairwise
from pathlib import Path

import pdfplumber
import pytest
import yaml
from helpers_docs import FULL_BOX, LONG_NAME, make, norm, page_texts, write_config

VISIT = ("--dob", "1984-03-09", "--therapist", "Sam Patel", "--date", "2026-12-01")
MM = 72 / 25.4


def _config(folder: Path, *, paper: str = "A4", locale: str | None = None) -> Path:
    path = write_config(folder, font_size=12, paper=paper, large_print=False)
    if locale:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        data["clinic"]["locale"] = locale
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _first_pages(pdf: Path) -> tuple[str, str]:
    """The first page of the patient's copy and of the clinic's."""
    pages = page_texts(pdf)
    assert len(pages) == 4  # two pages a copy
    return pages[0], pages[2]


def _boxes(page) -> list[dict]:
    """The tick boxes of a page: squares of at least 6 mm."""
    return [r for r in page.rects if abs(r["width"] - r["height"]) < 0.5 and r["width"] >= 6 * MM - 0.1]


@pytest.mark.parametrize("paper", ["A4", "Letter"])
def test_the_clinic_copy_has_rows_for_later_sessions_and_the_patient_copy_not(tmp_path: Path, paper: str) -> None:
    pdf = make("consent", tmp_path / "c.pdf", *VISIT, config=_config(tmp_path, paper=paper))
    patient, clinic = _first_pages(pdf)
    headings = "Later session: date Areas needled Chest region Electrical stim. Agrees (initials)"
    assert headings in clinic
    assert "Later session" not in patient
    # Under the headings, two rows, each with a Yes/No pair for the chest region and one for
    # electrical stimulation: on the therapist's box's page, after the box's own two pairs.
    after = norm(clinic[clinic.index("Later session"):])
    assert after.count("Yes No Yes No") == 2, after
    with pdfplumber.open(pdf) as doc:
        assert len(_boxes(doc.pages[0])) == 4
        assert len(_boxes(doc.pages[2])) == 4 + 8


def test_later_sessions_come_in_the_patients_language(tmp_path: Path) -> None:
    pdf = make("consent", tmp_path / "c.pdf", *VISIT, "--lang", "es", config=_config(tmp_path))
    _, clinic = _first_pages(pdf)
    assert "Otra sesión: fecha Zonas tratadas Tórax Corriente Conforme (iniciales)" in clinic
    assert clinic.count("Sí No Sí No") == 2


@pytest.mark.parametrize(("locale", "lang", "guide"), [("en-GB", "en", "DD/MM/YYYY"), ("en-US", "en", "MM/DD/YYYY"),
                                                       ("en-GB", "es", "DD/MM/AAAA")])
def test_the_dates_the_patient_writes_show_their_order(tmp_path: Path, locale: str, lang: str, guide: str) -> None:
    pdf = make("consent", tmp_path / "c.pdf", *VISIT, "--lang", lang, config=_config(tmp_path, locale=locale))
    pages = page_texts(pdf)
    assert len(pages) == 4
    second = [pages[1], pages[3]]
    for page in second:  # both copies: the patient's date, the therapist's, the interpreter's
        assert page.count(f"({guide})") == 3, page
    other = {"DD/MM/YYYY": "MM/DD/YYYY", "MM/DD/YYYY": "DD/MM/YYYY", "DD/MM/AAAA": "MM/DD/AAAA"}[guide]
    assert other not in " ".join(second)


def _reading_gaps(page) -> Counter[float]:
    """The distances between the lines of 12 pt regular text left of the figures."""
    people = [c for c in page.curves if c["x1"] - c["x0"] < 12]
    left = min(c["x0"] for c in people)
    assert left > 100  # the figures stand in their column, beside the text
    tops = sorted({round(ch["top"], 1) for ch in page.chars
                   if abs(ch["size"] - 12) < 0.01 and "Bold" not in ch["fontname"] and ch["x1"] < left
                   and min(c["top"] for c in people) - 40 <= ch["top"] <= max(c["bottom"] for c in people)})
    return Counter(round(b - a, 1) for a, b in pairwise(tops) if 0 < b - a < 30)


@pytest.mark.parametrize("paper", ["A4", "Letter"])
@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_consent_forms_reading_text_is_spaced_at_about_1_45(tmp_path: Path, paper: str, lang: str) -> None:
    pdf = make("consent", tmp_path / "c.pdf", *VISIT, "--lang", lang, config=_config(tmp_path, paper=paper))
    with pdfplumber.open(pdf) as doc:
        assert len(doc.pages) == 4
        for first in (doc.pages[0], doc.pages[2]):  # the patient's copy and the clinic's, rows and all
            assert _reading_gaps(first).most_common(1)[0][0] == pytest.approx(12 * 1.45, abs=0.2)


def test_a_full_box_and_a_long_name_set_the_text_closer_but_keep_its_column(tmp_path: Path) -> None:
    # Letter paper, a long name and every line of the box filled: the page has no room for the
    # text at 1.45, so it gives way on spacing (1.3), and keeps its 70-character column.
    pdf = make("consent", tmp_path / "c.pdf", "--dob", "1984-03-09", "--therapist", "Alexandra Papadopoulou-Smythe",
               *FULL_BOX, config=_config(tmp_path, paper="Letter"), patient=LONG_NAME)
    with pdfplumber.open(pdf) as doc:
        assert len(doc.pages) == 4
        spacing = [_reading_gaps(doc.pages[i]).most_common(1)[0][0] for i in (0, 2)]
    assert spacing[1] == pytest.approx(12 * 1.3, abs=0.2)


def test_in_spanish_a_full_box_and_a_long_name_still_keep_two_pages_a_copy(tmp_path: Path) -> None:
    # Longer words, a name that takes two lines with the patient's ID, every line of the box
    # filled: the side column of figures is then the taller, so it gives way too (drawn smaller).
    pdf = make("consent", tmp_path / "c.pdf", "--lang", "es", "--dob", "1984-03-09", "--patient-id", "NHS 943 476 5919",
               "--therapist", "Sam Patel", *FULL_BOX,  # two answers longer still (the last one given counts)
               "--condition", "Neck pain with headaches for three months after a fall",
               "--risks-discussed", "Collapsed lung near the shoulder blade; bruising on a blood thinner; fainting",
               config=_config(tmp_path), patient=LONG_NAME)
    pages = page_texts(pdf)
    assert len(pages) == 4
    assert "Otra sesión: fecha" in pages[2]  # the clinic copy's rows, on its first page still

"""Reading text for older patients (issue 10): lines of 60 to 75 characters and about 1.45 line
spacing in the information and aftercare sheets. The consent form, kept to two pages, has its
first page's reading text in a column of the same length with the icon arrays beside it; its
second page (the questions, the declaration, the signatures) is a form at the full width."""

from __future__ import annotations

import statistics
from collections import Counter
from itertools import pairwise
from pathlib import Path

import pdfplumber
import pytest
from helpers_docs import make, write_config

MM = 72 / 25.4
VISIT = ("--dob", "1984-03-09", "--therapist", "Sam Patel", "--date", "2026-12-01")


def _body_lines(pdf: Path) -> list[tuple[float, float, str]]:
    """(top, right end, text) of each line of 12 pt regular text in the page body (no table
    cell, box or header): the running text of the sheet."""
    lines: list[tuple[float, float, str]] = []
    with pdfplumber.open(pdf) as doc:
        for page in doc.pages:
            # The red-flag box keeps the full width on purpose (it must stay on page 1): left out.
            danger = [r for r in page.rects if _near(r.get("non_stroking_color"), (0xfd / 255, 0xec / 255, 0xec / 255))]
            rows: dict[float, list[dict]] = {}
            for char in page.chars:
                if any(r["x0"] <= char["x0"] <= r["x1"] and r["top"] <= char["top"] <= r["bottom"] for r in danger):
                    continue
                if abs(char["size"] - 12) < 0.01 and "Bold" not in char["fontname"] and 90 < char["top"] < 780:
                    rows.setdefault(round(char["top"], 1), []).append(char)
            for top, chars in sorted(rows.items()):
                chars.sort(key=lambda c: c["x0"])
                # One column of text: a row split where the ink jumps (a table's next cell).
                segment = [chars[0]]
                for char in chars[1:]:
                    if char["x0"] - segment[-1]["x1"] > 12:
                        break
                    segment.append(char)
                if segment[0]["x0"] < 15 * MM + 30:  # starts at the margin (or a bullet's indent)
                    lines.append((top, segment[-1]["x1"], _spaced(segment)))
    return lines


def _near(colour: object, wanted: tuple[float, float, float]) -> bool:
    return isinstance(colour, (tuple, list)) and len(colour) == 3 and all(
        abs(a - b) < 0.01 for a, b in zip(colour, wanted, strict=True))


def _spaced(chars: list[dict]) -> str:
    """The characters of a line, with a space where the words are apart."""
    out = chars[0]["text"]
    for before, char in pairwise(chars):
        out += (" " if char["x0"] - before["x1"] > 1.5 else "") + char["text"]
    return out


@pytest.mark.parametrize("kind", ["info", "aftercare"])
def test_reading_lines_hold_60_to_75_characters(tmp_path: Path, kind: str) -> None:
    pdf = make(kind, tmp_path / f"{kind}.pdf", *VISIT, "--chest-region", "no", config=write_config(tmp_path)) \
        if kind == "aftercare" else make(kind, tmp_path / f"{kind}.pdf", *VISIT, config=write_config(tmp_path))
    # Full lines: those that wrapped (a paragraph's last line and short items are shorter).
    full = [len(text) for _, _, text in _body_lines(pdf) if len(text) >= 50]
    assert len(full) >= 10
    assert max(full) <= 80, max(full)
    assert 60 <= statistics.median(full) <= 75, statistics.median(full)


@pytest.mark.parametrize("kind", ["info", "aftercare"])
def test_reading_text_is_spaced_at_about_1_45(tmp_path: Path, kind: str) -> None:
    pdf = make(kind, tmp_path / f"{kind}.pdf", *VISIT, config=write_config(tmp_path))
    tops = [top for top, _, _ in _body_lines(pdf)]
    gaps = Counter(round(b - a, 1) for a, b in pairwise(tops) if 0 < b - a < 30)
    assert gaps.most_common(1)[0][0] == pytest.approx(12 * 1.45, abs=0.2)


def _paper(folder: Path, paper: str) -> Path:
    return write_config(folder, font_size=12, paper=paper, large_print=False)


def _page_lines(page) -> list[tuple[float, float, float, str]]:
    """(top, left, right, text) of each row of 12 pt text starting at the left margin."""
    rows: dict[float, list[dict]] = {}
    for char in page.chars:
        if abs(char["size"] - 12) < 0.01 and 90 < char["top"] < 780:
            rows.setdefault(round(char["top"], 1), []).append(char)
    lines = []
    for top, chars in sorted(rows.items()):
        chars.sort(key=lambda c: c["x0"])
        segment = [chars[0]]
        for char in chars[1:]:
            if char["x0"] - segment[-1]["x1"] > 6:  # a column's gap, not a word space
                break
            segment.append(char)
        if segment[0]["x0"] < 15 * MM + 30:
            lines.append((top, segment[0]["x0"], segment[-1]["x1"], _spaced(segment)))
    return lines


@pytest.mark.parametrize("paper", ["A4", "Letter"])
@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_consent_forms_reading_text_holds_60_to_75_characters_beside_its_figures(
        tmp_path: Path, paper: str, lang: str) -> None:
    pdf = make("consent", tmp_path / "consent.pdf", *VISIT, "--lang", lang, config=_paper(tmp_path, paper))
    with pdfplumber.open(pdf) as doc:
        assert len(doc.pages) == 4  # two pages a copy, still
        for first in (doc.pages[0], doc.pages[2]):  # the patient's copy and the clinic's
            # The figures' people (small curves) stand in a column at the right of the text.
            people = [c for c in first.curves if c["x1"] - c["x0"] < 12]
            assert len(people) >= 300
            top, bottom = min(c["top"] for c in people), max(c["bottom"] for c in people)
            beside = [line for line in _page_lines(first) if top <= line[0] <= bottom]
            full = [len(text) for *_, text in beside if len(text) >= 50]
            assert len(full) >= 12
            assert max(full) <= 80, max(full)
            assert 60 <= statistics.median(full) <= 76, statistics.median(full)
            assert min(c["x0"] for c in people) > max(right for _, _, right, _ in beside) + 5


def test_the_consent_forms_second_page_is_a_form_at_the_full_width(tmp_path: Path) -> None:
    pdf = make("consent", tmp_path / "consent.pdf", *VISIT, config=_paper(tmp_path, "A4"))
    with pdfplumber.open(pdf) as doc:
        full = [len(text) for *_, text in _page_lines(doc.pages[1]) if len(text) >= 50]
    assert full and statistics.median(full) > 80


def test_in_large_print_the_consent_forms_figures_go_under_the_text(tmp_path: Path) -> None:
    # At 16 pt a 70-character line takes the page's width: no room beside it, so the figures
    # stand at the left margin, between the paragraphs.
    pdf = make("consent", tmp_path / "consent.pdf", *VISIT, "--large-print", config=write_config(tmp_path))
    with pdfplumber.open(pdf) as doc:
        people = [c for page in doc.pages for c in page.curves if c["x1"] - c["x0"] < 20]
    assert len(people) >= 300
    assert min(c["x0"] for c in people) < 15 * MM + 10

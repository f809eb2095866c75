"""The consent form's shape (issue 10): two pages a copy, the therapist's box filled from the
command line or from an appointment list, and patient text kept as text."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import yaml
from helpers_docs import FULL_BOX, LONG_NAME, make, norm, page_texts, run, write_config
from pypdf import PdfReader

# The demo patient of `make demo` (Makefile), with nothing known yet about the session.
DEMO = ("--patient", "Zoë O'Brien", "--dob", "1984-03-09", "--patient-id", "DEMO-1", "--therapist", "Sam Patel",
        "--date", "2026-12-01")


def _config(folder: Path, paper: str) -> Path:
    return write_config(folder, font_size=12, paper=paper, large_print=False)


def _copies(pdf: Path) -> list[list[str]]:
    """The pages of each copy, by the copy label in the header."""
    copies: list[list[str]] = []
    for page in page_texts(pdf):
        if "Page 1 of" in page:
            copies.append([])
        copies[-1].append(page)
    return copies


def _ticks(pdf: Path, page: int) -> list[tuple[float, float]]:
    """Where ticks are drawn on a page: a path of three points (curves with more points are
    the figures of the icon arrays)."""
    import pdfplumber

    with pdfplumber.open(pdf) as doc:
        return [(c["x0"], c["top"]) for c in doc.pages[page].curves if len(c["pts"]) == 3]


def _row_of(pdf: Path, page: int, words: str) -> float:
    import pdfplumber

    with pdfplumber.open(pdf) as doc:
        found = doc.pages[page].search(words)
        assert found, words
        return found[0]["top"]


@pytest.mark.parametrize("paper", ["A4", "Letter"])
def test_the_consent_form_is_two_pages_a_copy_at_12_pt(tmp_path: Path, paper: str) -> None:
    pdf = make("consent", tmp_path / "consent.pdf", config=_config(tmp_path, paper), patient=DEMO)
    copies = _copies(pdf)
    assert [len(c) for c in copies] == [2, 2], paper
    assert len(PdfReader(pdf).pages) == 4
    for copy in copies:
        first, second = copy
        # Page 1: what the patient agrees to, the risks, the other choices, their choice and the
        # therapist's box; page 2: the questions, the declaration and the signatures.
        for words in ("What you are agreeing to", "The main risks", "52 in 100", "Other choices:",
                      "It is your choice:", "For your therapist to fill in with you"):
            assert words in first, (paper, words)
        for words in ("Questions about your health", "Your agreement", "Which copy is signed:",
                      "Patient / parent or guardian", "Therapist:", "Interpreter (if one was used):", "Sources:"):
            assert words in second, (paper, words)


def test_a_filled_box_and_long_names_keep_two_pages(tmp_path: Path) -> None:
    # A long name in a script of its own and a full box: the form still fits its two pages.
    pdf = make("consent", tmp_path / "c.pdf", "--dob", "1984-03-09", "--therapist", "Alexandra Papadopoulou-Smythe",
               *FULL_BOX, config=_config(tmp_path, "Letter"), patient=LONG_NAME)
    assert [len(c) for c in _copies(pdf)] == [2, 2]


def test_the_therapists_box_is_filled_from_the_command_line(tmp_path: Path) -> None:
    hostile = "<b>Neck</b> & 'stiff' {{ 7*7 }} </p><page-break/>"
    pdf = make("consent", tmp_path / "c.pdf", "--areas", "neck (left)", "--areas", "upper trapezius (both)",
               "--chest-region", "yes", "--estim-planned", "no", "--condition", hostile,
               "--risk-factors", "On warfarin: agreed to press each spot for a minute",
               "--risks-discussed", "Collapsed lung; bruising", config=_config(tmp_path, "A4"), patient=DEMO)
    patient_copy = _copies(pdf)[0][0]
    box = patient_copy[patient_copy.index("For your therapist to fill in with you"):]
    # The patient's words are printed as typed: never read as markup or as a template.
    assert f"Condition being treated {norm(hostile)} Areas to be needled" in box
    assert "Areas to be needled neck (left), upper trapezius (both)" in box
    assert "Risk factors, and what was agreed On warfarin: agreed to press each spot for a minute" in box
    assert "Risks and questions discussed Collapsed lung; bruising" in box
    assert [len(c) for c in _copies(pdf)] == [2, 2]  # the page-break in the text broke nothing
    # Chest region: yes is ticked; electrical stimulation: no is ticked, and its risk paragraph,
    # printed when the therapist has not said, is left out.
    ticks = _ticks(pdf, 0)
    assert len(ticks) == 2
    chest, estim = _row_of(pdf, 0, "Chest wall, upper back"), _row_of(pdf, 0, "Electrical stimulation to be used")
    assert sorted(round(abs(top - row)) < 12 for _, top in ticks for row in (chest, estim)).count(True) == 2
    assert "Electrical stimulation:" not in patient_copy


def test_the_box_is_left_blank_to_write_in_when_nothing_is_known(tmp_path: Path) -> None:
    pdf = make("consent", tmp_path / "c.pdf", config=_config(tmp_path, "A4"), patient=DEMO)
    first = _copies(pdf)[0][0]
    box = first[first.index("For your therapist to fill in with you"):]
    assert box.startswith("For your therapist to fill in with you Condition being treated Areas to be needled "
                          "Chest wall, upper back, neck or shoulder to be needled Yes No "
                          "Electrical stimulation to be used Yes No Risk factors, and what was agreed "
                          "Risks and questions discussed")
    assert _ticks(pdf, 0) == []
    assert "Electrical stimulation: the skin under the clips may get sore" in first  # not said: its risks printed


def test_the_therapists_box_is_filled_from_an_appointment_row(tmp_path: Path) -> None:
    config = _config(tmp_path, "A4")
    rows = tmp_path / "day.csv"
    with rows.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(["date", "time", "patient_name", "dob", "therapist", "documents", "chest_region", "condition",
                      "estim_planned", "risk_factors", "risks_discussed"])
        out.writerow(["2026-12-01", "09:00", "Ana Lima", "1990-05-02", "Sam Patel", "consent", "no",
                      "Calf strain & <i>tightness</i>", "yes", "None found", "Soreness; fainting"])
    result = run("batch", rows, "-o", tmp_path / "day", config=config)
    assert result.returncode == 0, result.stderr
    (pdf,) = [p for p in (tmp_path / "day").glob("*.pdf") if p.name != "print-all.pdf"]  # the row's consent form
    first = _copies(pdf)[0][0]
    box = first[first.index("For your therapist to fill in with you"):]
    assert "Condition being treated Calf strain & <i>tightness</i>" in box
    assert "Risk factors, and what was agreed None found" in box
    assert "Risks and questions discussed Soreness; fainting" in box
    assert len(_ticks(pdf, 0)) == 2  # chest region: no; electrical stimulation: yes
    assert "Electrical stimulation: the skin under the clips may get sore" in first


@pytest.mark.parametrize("size", ["16", "18"])
def test_large_print_keeps_every_part_whole(tmp_path: Path, size: str) -> None:
    config = _config(tmp_path, "A4")
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["document"]["font_size"] = int(size)
    config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    pdf = make("consent", tmp_path / "c.pdf", "--large-print", config=config, patient=DEMO)
    from helpers_docs import content

    for copy in _copies(pdf):
        text = " ".join(copy)
        for question in content().consent.screening.questions:
            assert f"{norm(question.text)} Yes No" in text, question.id
        for words in ("STOP", "52 in 100", "Therapist:", "Your agreement", "Signature"):
            assert words in text or (words == "STOP" and "Clinic copy" not in text), words

"""The aftercare sheet, end to end: the CLI in a subprocess, the PDF's text, the chest warning and the record.

Every run uses a private config.yaml in tmp_path whose paths point at the repository's content and
templates, and whose output and records land in tmp_path: nothing is written into the repository.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import sqlite3
import subprocess
import sys
import unicodedata
from io import BytesIO
from pathlib import Path

import pytest
import yaml
from helpers_docs import content
from pypdf import PdfReader

from patientdocs.render.context import near_chest

REPO = Path(__file__).resolve().parents[1]
GENERATE = REPO / "generate.py"
# The content as the product loads it: placeholders ({fact:...}) already replaced by their numbers.
CONTENT = dataclasses.asdict(content())
CARE = CONTENT["aftercare"]
FLAGS = CARE["red_flags"]
CHEST_AREAS = CARE["chest_areas"]
CLINIC = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))["clinic"]
TODAY_EPOCH = "1796083200"  # 2026-12-01T00:00:00Z: a fixed "today", well before the content's review date

ANA = ("--patient", "Ana Lima", "--dob", "1990-05-02", "--patient-id", "P-1042", "--therapist", "Sam Patel")


def norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def plain(markup: str) -> str:
    """Content text as printed: the *emphasis* and **bold** markers removed, whitespace normalised."""
    return norm(re.sub(r"\*+", "", markup))


def page_texts(pdf: Path) -> list[str]:
    return [norm(page.extract_text() or "") for page in PdfReader(BytesIO(pdf.read_bytes())).pages]


SECTION = {s["id"]: plain(s["heading"]) for s in CARE["sections"]}
CHEST_WARNING = plain(FLAGS["chest_warning"])
RED_FLAG_ITEMS = [plain(item) for item in FLAGS["emergency"] + FLAGS["call_clinic"]]


def write_config(folder: Path) -> Path:
    """The repository's config.yaml with paths into ``folder`` (content and templates: the repository's)."""
    data = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
    data.pop("seal", None)  # the seal has its own tests (test_seal.py)
    data["paths"] = {"handouts": str(REPO / "handouts"), "templates": str(REPO / "templates"),
                     "output": str(folder / "out"), "records": str(folder / "records.db"),
                     "outbox": str(folder / "outbox")}
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def run(folder: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PATIENTDOCS_DEBUG", "SOURCE_DATE_EPOCH")}
    env.update({"PYTHONIOENCODING": "utf-8", "SOURCE_DATE_EPOCH": TODAY_EPOCH})
    config = folder / "config.yaml"
    if not config.exists():
        write_config(folder)
    return subprocess.run([sys.executable, str(GENERATE), *map(str, args), "--config", str(config)], cwd=folder,
                          env=env, capture_output=True, text=True, encoding="utf-8", timeout=60, check=False)


def aftercare(folder: Path, *args: str) -> tuple[Path, list[str]]:
    """Make an aftercare sheet for Ana; returns the PDF and its pages' text."""
    out = folder / "aftercare.pdf"
    result = run(folder, "aftercare", *ANA, *args, "-o", out)
    assert result.returncode == 0, (result.stdout, result.stderr)
    # Only hints about the chest region may be on the screen (see test_chest_region.py).
    assert all(line.startswith("Hint: ") for line in result.stderr.splitlines()), result.stderr
    return out, page_texts(out)


# --- the full sheet after treatment near the chest ---------------------------------------------------------------


@pytest.fixture(scope="module")
def chest_sheet(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[str]]:
    folder = tmp_path_factory.mktemp("chest")
    pdf, pages = aftercare(folder, "--chest-region", "yes", "--areas", "neck (left)", "--areas",
                           "upper trapezius (both)", "--estim",
                           "--next-visit", "2026-12-08", "--note", "Heat for 10 minutes tonight")
    return folder, pdf, pages


def test_the_sheet_is_one_or_two_pages_with_the_visit_details(chest_sheet):
    _, _, pages = chest_sheet
    assert 1 <= len(pages) <= 2
    text = " ".join(pages)
    assert "Prepared for Ana Lima, 1 December 2026, by Sam Patel." in text
    assert "Date of birth: 2 May 1990" in text and "Patient ID: P-1042" in text
    assert "neck (left)" in text and "upper trapezius (both)" in text
    assert "Electrical stimulation was used through the needles." in text
    assert "was not used" not in text
    assert "Note from your therapist: Heat for 10 minutes tonight" in text
    assert "Your next visit: 8 December 2026" in text


def test_every_section_red_flag_and_number_is_printed(chest_sheet):
    _, _, pages = chest_sheet
    text = " ".join(pages)
    assert plain(CARE["title"]) in text
    missing = [heading for heading in SECTION.values() if heading not in text]
    assert not missing
    missing = [item for item in RED_FLAG_ITEMS if item not in text]
    assert not missing
    assert plain(FLAGS["heading"]) in text
    assert f"Call the emergency number: {CLINIC['emergency_number']}" in text
    assert CLINIC["phone"] in text and norm(CLINIC["out_of_hours"]) in text
    assert text.count(plain(FLAGS["heading"])) == 1, "the warning signs are printed once"


def test_the_chest_warning_comes_first(chest_sheet):
    _, _, pages = chest_sheet
    first = pages[0]
    assert CHEST_WARNING in first
    warning = first.index(CHEST_WARNING)
    assert warning < " ".join(pages).index(SECTION["what-is-normal"])
    assert warning < first.index("Your visit")
    # Straight after the personal line: the red flags box (emergency items included) is on page 1.
    assert warning < first.index(plain(FLAGS["emergency"][0]))
    assert SECTION["near-the-chest"] in " ".join(pages)


def test_the_aftercare_sheet_is_recorded_as_printed(chest_sheet):
    folder, pdf, _ = chest_sheet
    with sqlite3.connect(folder / "records.db") as conn:
        conn.row_factory = sqlite3.Row
        rows = [dict(r) for r in conn.execute("SELECT * FROM documents")]
    assert len(rows) == 1
    row = rows[0]
    assert row["channel"] == "printed" and row["kind"] == "aftercare"
    assert row["patient_name"] == "Ana Lima" and row["patient_id"] == "P-1042"
    assert row["sha256"] == hashlib.sha256(pdf.read_bytes()).hexdigest()
    assert row["file_name"] == str(pdf) and row["content_version"] == CONTENT["version"]
    assert row["recipient"] is None and row["server_response"] is None
    checked = run(folder, "verify", pdf)
    assert checked.returncode == 0 and checked.stdout.startswith("UNCHANGED"), checked.stdout


# --- not near the chest ----------------------------------------------------------------------------------------------


def test_chest_region_no_gets_no_chest_warning(tmp_path):
    _, pages = aftercare(tmp_path, "--chest-region", "no", "--areas", "calf (right)", "--areas", "lower back")
    text = " ".join(pages)
    assert "calf (right)" in text and "lower back" in text
    assert "Electrical stimulation was not used." in text
    assert CHEST_WARNING not in text and "You had needling near your chest" not in text
    assert plain(FLAGS["chest_warning_areas_unknown"]) not in text
    assert SECTION["near-the-chest"] not in text
    # The warning signs are still there, on page 1, before the advice.
    assert all(item in pages[0] for item in RED_FLAG_ITEMS)
    assert pages[0].index(plain(FLAGS["heading"])) < text.index(SECTION["what-is-normal"])
    assert f"Call the emergency number: {CLINIC['emergency_number']}" in pages[0]


def test_a_hyphenated_shoulder_blade_only_suggests_the_chest_region(tmp_path):
    result = run(tmp_path, "aftercare", *ANA, "--areas", "shoulder-blade (left)", "-o", tmp_path / "a.pdf")
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith("Hint: The areas mention 'shoulder-blade (left)': did you needle near the chest")
    first = page_texts(tmp_path / "a.pdf")[0]
    assert plain(FLAGS["chest_warning_areas_unknown"]) in first and CHEST_WARNING not in first


def test_a_next_visit_before_this_visit_is_refused(tmp_path):
    out = tmp_path / "aftercare.pdf"
    result = run(tmp_path, "aftercare", *ANA, "--date", "2026-12-01", "--next-visit", "2025-12-08", "-o", out)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "next visit" in result.stderr and not out.exists()


# --- near_chest, with the content's own list of terms -------------------------------------------------------------


@pytest.mark.parametrize("area", ["Neck (L)", "upper trapezius", "R shoulder", "pec minor", "T-spine",
                                  "thoracic paraspinals", "chest wall", "upper back (left)", "SCAPULA",
                                  "neck/shoulder", "levator scapulae (right)",
                                  # what therapists write: muscles, plurals, spinal levels
                                  "anterior deltoid", "suboccipitals", "splenius capitis", "SCM (L)",
                                  "interscapular", "T4 paraspinals", "paraspinals T4-T8", "ribcage", "subclavius",
                                  "Pec-Major", "lats",
                                  # missed by the list before (content review 2.4)
                                  "T6 multifidus", "multifidus T4-T6", "thoracolumbar junction",
                                  "iliocostalis thoracis", "costovertebral", "subscap", "quadratus lumborum",
                                  "L4 quadratus lumborum", "C7 paraspinals"])
def test_areas_near_the_chest(area):
    assert near_chest([area], CHEST_AREAS)


@pytest.mark.parametrize("area", ["calf", "gluteus medius", "lumbar", "forearm", "knee", "hamstring",
                                  "lower back", "back (lower)", "Achilles tendon", "lateral knee", "hamstrings",
                                  # bare spinal muscles only suggest the chest when qualified (thoracic, T4)
                                  "lumbar paraspinals", "erector spinae (lumbar)", "L5 multifidus"])
def test_areas_away_from_the_chest(area):
    assert not near_chest([area], CHEST_AREAS)


def test_one_area_near_the_chest_among_others_is_enough():
    assert near_chest(["calf (right)", "lower back", "neck (left)"], CHEST_AREAS)
    assert not near_chest([], CHEST_AREAS)


@pytest.mark.parametrize("area", ["shoulder-blade (left)", "upper-back", "mid-back", "T spine",
                                  "mid-thoracic paraspinals"])
def test_hyphen_and_space_spellings_are_near_the_chest(area):
    assert near_chest([area], CHEST_AREAS)


# --- patient text is printed as it was typed ------------------------------------------------------------------------


def test_patient_text_is_printed_literally(tmp_path):
    pdf, pages = aftercare(tmp_path, "--areas", "</p><h1>x", "--areas", "{{ 7*7 }}",
                           "--note", "Use **ice** & rest {% if 1 %}now{% endif %} <b>x</b>")
    text = " ".join(pages)
    assert "</p><h1>x" in text
    assert "{{ 7*7 }}" in text
    assert "Use **ice** & rest {% if 1 %}now{% endif %} <b>x</b>" in text
    assert CHEST_WARNING not in text
    assert pdf.stat().st_size > 0


def test_a_next_visit_on_the_same_day_is_refused(tmp_path):
    out = tmp_path / "same.pdf"
    result = run(tmp_path, "aftercare", *ANA, "--date", "2026-12-01", "--next-visit", "2026-12-01", "-o", out)
    assert result.returncode == 2
    assert "next visit 2026-12-01 is not after this visit (2026-12-01)" in result.stderr and not out.exists()

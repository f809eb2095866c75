"""The chest warning is the therapist's decision, never the words of the areas (issue 10, F-1).

``--chest-region yes|no`` (and the appointment list's ``chest_region`` column) decides. Not stated,
the warning is printed, worded "if needles were used near ..."; "You had needling near your
chest" only ever after a yes. The words of --areas may only suggest a yes, on the screen.
Called in this process through the use cases, as the web page calls them, and through the CLI.
"""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

import pdfplumber
import pytest
import yaml
from conftest import TODAY_EPOCH, copy_project, norm, page_texts, run_cli
from helpers_docs import content

from patientdocs.load.config import load_config
from patientdocs.usecases.documents import (
    DocumentRequest,
    VisitInput,
    document_hints,
    make_document,
    preview_document,
)

REPO = Path(__file__).resolve().parents[1]
# The content as the product loads it: placeholders ({fact:...}) already replaced by their numbers.
CARE = dataclasses.asdict(content())["aftercare"]
FLAGS = CARE["red_flags"]


def plain(text: str) -> str:
    return norm(text.replace("*", ""))


KNOWN = plain(FLAGS["chest_warning"])
UNKNOWN = plain(FLAGS["chest_warning_areas_unknown"])
CLAIM = "You had needling near your chest"
TELL_CHEST = "Tell them you had dry needling near your chest on 1 December 2026."
TELL = "Tell them you had dry needling on 1 December 2026, and where the needles went."
SECTION = plain(next(s["heading"] for s in CARE["sections"] if s["id"] == "near-the-chest"))

# Areas the old word list missed (content review 2.4), and one only ever lumbar.
THORACIC = ["T6 multifidus", "thoracolumbar", "iliocostalis thoracis", "subscap", "quadratus lumborum"]
LUMBAR = "lumbar paraspinals"


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", TODAY_EPOCH)
    return load_config(copy_project(tmp_path))


def sheet(config, area: str | None, chest_region: str | None, **more) -> tuple[str, tuple[str, ...], list[str]]:
    visit = VisitInput(patient="Ana Lima", therapist="Sam Patel", date="2026-12-01",
                       areas=(area,) if area else (), chest_region=chest_region, **more)
    saved = make_document(config, DocumentRequest(kind="aftercare", visit=visit))
    pages = page_texts(saved.path)
    return " ".join(pages), saved.hints, pages


@pytest.mark.parametrize("area", [*THORACIC, LUMBAR])
def test_without_an_answer_every_sheet_warns_and_claims_nothing(config, area):
    text, hints, pages = sheet(config, area, None)
    assert UNKNOWN in pages[0] and SECTION in text
    assert KNOWN not in text and CLAIM not in text and TELL_CHEST not in text
    assert TELL in pages[0]
    assert len(hints) == 1


@pytest.mark.parametrize("area", THORACIC)
def test_the_words_suggest_yes_on_the_screen(config, area):
    _, hints, _ = sheet(config, area, None)
    assert hints == (f"The areas mention '{area}': did you needle near the chest wall, upper back, neck or "
                     "shoulder? Use --chest-region yes|no (the sheet now has the chest warning for 'if needles "
                     "were used near ...')",)


def test_lumbar_only_without_an_answer_is_asked_plainly(config):
    _, hints, _ = sheet(config, LUMBAR, None)
    assert hints == ("Chest region not stated: the sheet has the chest warning for 'if needles were used near "
                     "...'. Use --chest-region yes|no",)


@pytest.mark.parametrize("area", [*THORACIC, LUMBAR])
def test_yes_says_so_and_tells_the_emergency_service(config, area):
    text, hints, pages = sheet(config, area, "yes")
    assert KNOWN in pages[0] and UNKNOWN not in text and SECTION in text
    assert TELL_CHEST in pages[0]
    assert hints == ()


def test_lumbar_only_with_no_has_no_chest_warning(config):
    text, hints, pages = sheet(config, LUMBAR, "no")
    assert KNOWN not in text and UNKNOWN not in text and SECTION not in text and CLAIM not in text
    assert TELL in pages[0]
    assert hints == ()


@pytest.mark.parametrize("area", THORACIC)
def test_no_against_the_words_is_pointed_out_but_obeyed(config, area):
    text, hints, _ = sheet(config, area, "no")
    assert KNOWN not in text and UNKNOWN not in text
    assert hints == (f"The areas mention '{area}', but the chest region was answered no, so the sheet has no "
                     "chest warning. If a needle went near the chest wall, upper back, neck or shoulder, make it "
                     "again with --chest-region yes",)


@pytest.mark.parametrize("typed", ["Y", "yes", "TRUE", "1", " yes "])
def test_yes_may_be_typed_many_ways(config, typed):
    text, _, _ = sheet(config, "neck (left)", typed)
    assert KNOWN in text


@pytest.mark.parametrize("typed", ["N", "no", "false", "0"])
def test_no_may_be_typed_many_ways(config, typed):
    text, _, _ = sheet(config, "neck (left)", typed)
    assert KNOWN not in text and UNKNOWN not in text


def test_empty_is_not_stated(config):
    text, _, _ = sheet(config, "neck (left)", "")
    assert UNKNOWN in text and CLAIM not in text


def test_the_web_preview_gets_the_same_sheet_and_hint(config):
    request = DocumentRequest(kind="aftercare", visit=VisitInput(patient="Ana Lima", areas=("T6 multifidus",)))
    text = " ".join(page_texts(preview_document(config, request)))
    assert UNKNOWN in text and CLAIM not in text
    assert document_hints(config, request) == make_document(config, request).hints
    assert document_hints(config, request)[0].startswith("The areas mention 'T6 multifidus'")
    info = DocumentRequest(kind="info", visit=VisitInput(patient="Ana Lima", areas=("T6 multifidus",)))
    assert document_hints(config, info) == ()


def test_a_bad_answer_names_the_field(config):
    from patientdocs.errors import PatientDocsError

    with pytest.raises(PatientDocsError) as caught:
        sheet(config, "neck", "maybe")
    assert caught.value.field == "chest_region"
    assert str(caught.value) == "chest region 'maybe' is not yes or no (write yes or no, or leave it empty)"
    assert not config.output_dir.exists() or not list(config.output_dir.iterdir())


def test_electrical_stimulation_adds_the_skin_check(config):
    _, _, pages = sheet(config, "calf", "no", estim=True)
    assert plain(FLAGS["call_clinic_estim"]) in pages[0]
    without, _, _ = sheet(config, "calf", "no")
    assert plain(FLAGS["call_clinic_estim"]) not in without


def test_every_red_flag_the_review_asks_for_is_on_page_1(config):
    _, _, pages = sheet(config, "calf", "no", estim=True)
    first = pages[0]
    for needed in ("Do not drive yourself", "do not call the clinic first", "Show them this sheet",
                   "Keep this sheet for a week", "lasts more than a few hours", "A bruise that keeps getting bigger",
                   "Pain that gets worse after the first day", "the same day",
                   "where the electrical stimulation clips were"):
        assert needed in first, needed


# --- the CLI ---------------------------------------------------------------------------------------------

def test_the_cli_hints_on_stderr_and_refuses_a_bad_answer(tmp_path):
    config = copy_project(tmp_path)
    out = tmp_path / "a.pdf"
    result = run_cli("aftercare", "--patient", "Ana Lima", "--areas", "T6 multifidus", "-o", out, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ("Hint: The areas mention 'T6 multifidus': did you needle near the chest wall, upper "
                             "back, neck or shoulder? Use --chest-region yes|no (the sheet now has the chest "
                             "warning for 'if needles were used near ...')\n")
    bad = tmp_path / "b.pdf"
    result = run_cli("aftercare", "--patient", "Ana Lima", "--chest-region", "perhaps", "-o", bad, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == ("Error: chest region 'perhaps' is not yes or no (write yes or no, or leave it "
                             "empty)\n")
    assert not bad.exists() and config.exists()


# --- the appointment list --------------------------------------------------------------------------------

def test_the_chest_region_column_decides_each_row(tmp_path):
    copy_project(tmp_path)
    listing = tmp_path / "day.csv"
    with listing.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([
            ["date", "time", "patient_name", "documents", "chest_region"],
            ["2026-12-01", "08:00", "Ana Yes", "aftercare", "Y"],
            ["2026-12-01", "08:20", "Bo No", "aftercare", "n"],
            ["2026-12-01", "08:40", "Cy Blank", "aftercare", ""],
            ["2026-12-01", "09:00", "Di True", "aftercare", "true"],
            ["2026-12-01", "09:20", "Ed Bad", "aftercare", "sometimes"],
        ])
    out = tmp_path / "day"
    result = run_cli("batch", listing, "-o", out, "--workers", "1", cwd=tmp_path)
    assert result.returncode == 1, (result.stdout, result.stderr)
    texts = {}
    for pdf in out.glob("*.pdf"):
        if pdf.name != "print-all.pdf":
            text = " ".join(page_texts(pdf))
            texts[next(n for n in ("Ana Yes", "Bo No", "Cy Blank", "Di True") if n in text)] = text
    assert sorted(texts) == ["Ana Yes", "Bo No", "Cy Blank", "Di True"]
    assert KNOWN in texts["Ana Yes"] and KNOWN in texts["Di True"]
    assert KNOWN not in texts["Bo No"] and UNKNOWN not in texts["Bo No"]
    assert UNKNOWN in texts["Cy Blank"] and CLAIM not in texts["Cy Blank"]
    report = (out / "report.txt").read_text(encoding="utf-8")
    assert ("line 6: Ed Bad: SKIPPED: chest region 'sometimes' is not yes or no (write yes or no, or leave it "
            "empty)") in report


def test_a_changed_chest_region_remakes_the_file(tmp_path):
    copy_project(tmp_path)
    listing = tmp_path / "day.csv"
    out = tmp_path / "day"

    def run_with(answer: str) -> str:
        listing.write_text(f"date,patient_name,documents,chest_region\n2026-12-01,Ana Lima,aftercare,{answer}\n",
                           encoding="utf-8")
        result = run_cli("batch", listing, "-o", out, "--workers", "1", cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        (pdf,) = [p for p in out.glob("*.pdf") if p.name != "print-all.pdf"]
        return " ".join(page_texts(pdf))

    assert KNOWN in run_with("yes")
    assert KNOWN not in run_with("no")


# --- the red-flag box on page 1 ----------------------------------------------------------------------------

@pytest.mark.parametrize("size", [12, 16])
@pytest.mark.parametrize("paper", ["A4", "Letter"])
@pytest.mark.parametrize("chest_region", ["yes", "no", None])
def test_the_red_flag_box_is_on_page_1(tmp_path, monkeypatch, paper, chest_region, size):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", TODAY_EPOCH)
    path = copy_project(tmp_path)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data.setdefault("document", {})["paper"] = paper
    data["document"]["font_size"] = size
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    config = load_config(path)
    visit = VisitInput(patient="Ana Lima", areas=("calf (right)", "neck (left)"), estim=True,
                       note="Heat for 10 minutes tonight", next_visit="2026-12-08", chest_region=chest_region)
    saved = make_document(config, DocumentRequest(kind="aftercare", visit=visit))
    # At 12 pt the whole box; at 16 pt at least its heading, emergency signs and number.
    assert_red_flags_on_page_1(saved.path, config.clinic.emergency_number, whole_box=size == 12)


def assert_red_flags_on_page_1(pdf: Path, emergency_number: str, *, whole_box: bool = True) -> None:
    """The box's heading, emergency signs and number on page 1 (at 12 pt, the whole box)."""
    with pdfplumber.open(pdf) as doc:
        first = norm(doc.pages[0].extract_text())
        rest = norm(" ".join(page.extract_text() for page in doc.pages[1:]))
    assert plain(FLAGS["heading"]) in first
    assert all(plain(item) in first for item in FLAGS["emergency"])
    assert f"Call the emergency number: {emergency_number}" in first
    if whole_box:
        assert plain(FLAGS["call_clinic"][-1]) in first and plain(FLAGS["keep_sheet"]) in first
    assert plain(FLAGS["heading"]) not in rest

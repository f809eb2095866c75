"""End to end: ``generate.py info`` makes the information sheet a patient reads."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import PAGE_OF, VISIT, copy_project, norm, page_texts, replace_line, run_cli
from pypdf import PdfReader

from patientdocs.load.config import load_config
from patientdocs.render.context import cited, risk_rows
from patientdocs.render.pipeline import Pipeline

PATIENT = "Zoë O'Brien & Sons <Ltd>"


@dataclass
class Made:
    folder: Path
    pdf: Path
    stdout: str
    stderr: str
    returncode: int
    pages: list[str]  # normalised text of each page
    text: str
    config: object
    content: object
    fingerprint: str


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Made:
    folder = tmp_path_factory.mktemp("info")
    config_path = copy_project(folder)
    result = run_cli("info", "--patient", PATIENT, *VISIT, "-o", "zoe.pdf", cwd=folder)
    pdf = folder / "zoe.pdf"
    pages = page_texts(pdf) if pdf.exists() else []
    config = load_config(config_path)
    pipeline = Pipeline(config, on_date=dt.date(2026, 12, 1))
    loaded = pipeline.content("dry-needling", "en")
    return Made(folder, pdf, result.stdout, result.stderr, result.returncode, pages, " ".join(pages), config,
                loaded.data, pipeline.fingerprint(loaded))


def test_info_exits_0_and_says_where_the_file_is(made: Made) -> None:
    assert made.returncode == 0, made.stderr
    assert made.stderr == ""
    assert made.pdf.is_file()
    assert made.stdout.strip() == f"Saved zoe.pdf ({len(made.pages)} pages)"


def test_info_has_2_to_6_pages(made: Made) -> None:
    # Four risk tables (counted two ways), a key-points box, a before-your-appointment list and
    # questions to ask (issue 10) made it longer than the four pages it was; still short.
    assert 2 <= len(made.pages) <= 6


def test_personal_line_prints_name_date_and_therapist_exactly(made: Made) -> None:
    assert f"Prepared for {PATIENT}, 1 December 2026, by Sam Patel." in made.pages[0]
    assert "Date of birth: 9 March 1984" in made.pages[0]
    # Escaping must not show through.
    assert "&amp;" not in made.text and "&lt;" not in made.text


def test_every_page_shows_the_clinic_from_config(made: Made) -> None:
    clinic = made.config.clinic
    assert clinic.name == "Riverside Physio & Sports Clinic"  # the values really come from config.yaml
    # Page 1 carries the letterhead; the pages after it a running header with the clinic's name.
    first, *later = made.pages
    assert clinic.name in first and ", ".join(clinic.address) in first and clinic.phone in first
    assert later
    for text in later:
        assert clinic.name in text
        assert ", ".join(clinic.address) not in text
    assert "14 Mill Lane, Northbridge NB4 7QT" in made.pages[0]
    assert "01632 960 418" in made.pages[0]


def test_pages_are_numbered_page_x_of_n(made: Made) -> None:
    n = len(made.pages)
    for number, text in enumerate(made.pages, start=1):
        assert PAGE_OF.findall(text) == [(str(number), str(n))], text[-200:]
    assert f"Page 1 of {n}" in made.pages[0]
    assert f"Page {n} of {n}" in made.pages[-1]


def test_footer_shows_content_version_review_date_and_fingerprint(made: Made) -> None:
    assert made.content.version == "2026.11"
    assert re.fullmatch(r"[0-9a-f]{12}", made.fingerprint)
    footer = f"Version {made.content.version} · Review by 20 November 2027 · Ref {made.fingerprint}"
    for text in made.pages:
        assert footer in text


def test_every_risk_is_printed_with_its_number_and_band_word_in_catalogue_order(made: Made) -> None:
    rows = [row for table in risk_rows(made.content) for row in table["rows"]]
    assert len(rows) == len(made.content.risks)
    position = 0
    for row in rows:
        wanted = f"{row['how_many']} {row['band_word']}"
        found = made.text.find(wanted, position)
        assert found >= 0, f"{row['id']}: '{wanted}' missing (or out of order)"
        assert norm(row["effect"]) in made.text
        position = found + len(wanted)


@pytest.mark.parametrize("phrase, band", [
    ("about 52 in 100 people", "very common"),
    ("about 98 in 100,000 treatments", "rare"),
    ("fewer than 1 in 100,000 treatments", "at most very rare"),  # an upper bound: at most
    ("about 5 to 16 in 100 treatments", "very common"),
    ("about 1 to 3 in 1,000 treatments", "uncommon"),
    ("fewer than 40 in 100,000 treatments", "at most rare"),
])
def test_known_risk_numbers_print_with_their_band(made: Made, phrase: str, band: str) -> None:
    assert f"{phrase} {band}" in made.text


def test_risk_tables_have_their_titles_and_column_heads(made: Made) -> None:
    for title in ("Mild side effects", "Serious problems"):
        assert title in made.text
    assert made.text.count("Effect How many How often Source") >= 2


def test_sources_heading_lists_every_cited_source_at_the_end(made: Made) -> None:
    # Twelve full citations may run over two pages; the list starts after everything else.
    assert "Sources" in made.pages[-1] or "Sources" in made.pages[-2]
    after = made.text[made.text.rindex("Sources"):]
    for number, source in enumerate(cited(made.content, "info"), start=1):
        assert f"{number}. {norm(source['cite'])}" in after


def test_closing_adds_the_clinic_phone(made: Made) -> None:
    assert "Call us on 01632 960 418." in made.text


def test_pdf_is_a4_by_default(made: Made) -> None:
    for page in PdfReader(made.pdf).pages:
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)


@pytest.fixture(scope="module")
def letter(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("letter")
    replace_line(copy_project(folder), "paper: A4", "paper: Letter")
    result = run_cli("info", "--patient", "Ana Lima", *VISIT, "-o", "letter.pdf", cwd=folder)
    assert result.returncode == 0, result.stderr
    return folder / "letter.pdf"


def test_letter_paper_from_config(letter: Path) -> None:
    pages = PdfReader(letter).pages
    for page in pages:
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (612, 792)
    texts = page_texts(letter)
    assert "Prepared for Ana Lima, 1 December 2026, by Sam Patel." in texts[0]
    assert f"Page {len(texts)} of {len(texts)}" in texts[-1]


def test_letter_info_sheet_has_2_to_6_pages(letter: Path) -> None:
    assert 2 <= len(PdfReader(letter).pages) <= 6


def test_a_long_name_on_letter_paper_adds_no_page(letter: Path) -> None:
    """Letter is 18 mm shorter than A4; a name over two lines must not push the sheet onto another page."""
    name = "Maria Fernanda Gonzalez Rodriguez de la Cruz y Bartholomew-Maximilian von Hohenzollern-Sigmaringen"
    result = run_cli("info", "--patient", name, *VISIT, "--patient-id", "RP-1023456", "-o", "long.pdf",
                     cwd=letter.parent)
    assert result.returncode == 0, result.stderr
    assert len(PdfReader(letter.parent / "long.pdf").pages) == len(PdfReader(letter).pages)


# ---- patient text is data, and the default file name is safe -------------------------------------

HOSTILE_NAMES = ["{{ 7*7 }}", "</p><h1>x", "&amp;", "../../etc/passwd", "**bold**"]


@pytest.fixture(scope="module")
def default_named(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[object, list[Path], Path]]:
    """Each hostile name rendered without -o, in its own project copy."""
    made = {}
    for i, name in enumerate(HOSTILE_NAMES):
        folder = tmp_path_factory.mktemp(f"hostile{i}")
        copy_project(folder)
        result = run_cli("info", "--patient", name, *VISIT, cwd=folder)
        made[name] = (result, sorted(folder.rglob("*.pdf")), folder)
    return made


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_patient_name_prints_literally(default_named, name: str) -> None:
    result, pdfs, _folder = default_named[name]
    assert result.returncode == 0, result.stderr
    assert len(pdfs) == 1
    first = page_texts(pdfs[0])[0]
    assert f"Prepared for {name}, 1 December 2026, by Sam Patel." in first


def test_template_syntax_in_a_name_is_not_evaluated(default_named) -> None:
    _result, pdfs, _folder = default_named["{{ 7*7 }}"]
    first = page_texts(pdfs[0])[0]
    personal = first[first.index("Prepared for"):first.index("Sam Patel.")]
    assert personal == "Prepared for {{ 7*7 }}, 1 December 2026, by "
    assert "49" not in personal


def test_markup_in_a_name_does_not_make_a_heading(default_named) -> None:
    _result, pdfs, _folder = default_named["</p><h1>x"]
    first = page_texts(pdfs[0])[0]
    # The whole name stays inside the personal line, followed by the date as usual.
    assert "</p><h1>x, 1 December 2026" in first


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_default_file_name_is_a_safe_slug_inside_the_output_folder(default_named, name: str) -> None:
    result, pdfs, folder = default_named[name]
    assert result.returncode == 0, result.stderr
    out = (folder / "out").resolve()
    assert [p.resolve().parent for p in pdfs] == [out]
    file_name = pdfs[0].name
    assert re.fullmatch(r"2026-12-01_[a-z0-9-]+_info\.pdf", file_name), file_name
    assert ".." not in file_name and "/" not in file_name
    assert f"Saved out/{file_name} (" in result.stdout or f"Saved {folder / 'out' / file_name} (" in result.stdout


def test_path_in_a_name_creates_nothing_outside_the_output_folder(default_named) -> None:
    _result, pdfs, folder = default_named["../../etc/passwd"]
    assert pdfs[0].name == "2026-12-01_etc-passwd_info.pdf"
    assert not (folder / "etc").exists() and not (folder.parent / "etc").exists()
    made_here = {p.name for p in folder.iterdir()}
    assert made_here <= {"config.yaml", "handouts", "templates", "certs", "out", "records.db", "records.db-wal",
                         "records.db-shm"}, made_here  # certs/: the demo seal, copied with the project


def test_default_file_names_of_two_non_latin_patients_do_not_collide(tmp_path: Path) -> None:
    # Regression: slug() once dropped every non-ASCII letter, so all Greek and Cyrillic patients of a
    # day got '<date>_patient_info.pdf' and each replaced the one before.
    copy_project(tmp_path)
    names = ("Νίκος Παπαδόπουλος", "Сергей Ёлкин")
    for name in names:
        result = run_cli("info", "--patient", name, "--date", "2026-12-01", cwd=tmp_path)
        assert result.returncode == 0, result.stderr
    pdfs = sorted((tmp_path / "out").glob("*.pdf"))
    assert len(pdfs) == 2, [p.name for p in pdfs]
    for pdf in pdfs:
        assert re.fullmatch(r"2026-12-01_[a-z0-9-]+_info\.pdf", pdf.name), pdf.name
        assert "_patient_" not in pdf.name
    printed = {name for name in names for pdf in pdfs if f"Prepared for {name}," in page_texts(pdf)[0]}
    assert printed == set(names)


# ---- large print -------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def large_print(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    folder = tmp_path_factory.mktemp("large")
    replace_line(copy_project(folder), "font_size: 12", "font_size: 18")
    made = {}
    for kind in ("info", "consent"):
        result = run_cli(kind, "--patient", "Ana Lima", *VISIT, "-o", f"{kind}.pdf", cwd=folder)
        assert result.returncode == 0, result.stderr
        made[kind] = page_texts(folder / f"{kind}.pdf")
    return made


# The consent form has no risk table since it became two pages (icon arrays instead); its large
# print is checked in test_consent_form.py.
@pytest.mark.parametrize("kind", ["info"])
def test_large_print_never_breaks_a_frequency_word(large_print: dict[str, list[str]], kind: str) -> None:
    text = " ".join(large_print[kind])
    for broken in ("very co mmon", "commo n", "uncom mon", "Brady 2 014", "Tolbert 2 025"):
        assert broken not in text
    for word in ("very common", "uncommon", "very rare"):
        assert word in text


# The consent form has no risk table since it became two pages (icon arrays instead); its large
# print is checked in test_consent_form.py.
@pytest.mark.parametrize("kind", ["info"])
def test_a_table_title_starts_on_the_page_of_its_first_row(large_print: dict[str, list[str]], kind: str) -> None:
    # Each table's title and intro (unique text), and its first row.
    first_rows = {"What people said about the first day after People were asked": "Soreness in the treated muscle",
                  "What therapists recorded at the visit Therapists wrote": "Side effects of any kind",
                  "Serious problems These problems are serious": "Collapsed lung",
                  "Less common side effects These happen less often": "Your usual symptoms get worse"}
    for title, first_row in first_rows.items():
        pages = [page for page in large_print[kind] if title in page]
        assert pages, title
        assert first_row in pages[0], (title, pages[0][-300:])

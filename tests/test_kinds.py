"""One registry of document kinds: a fourth kind, added the way a clinic adds one (config.yaml
``kinds:``, its template, its content section; tests/fixtures/exercise), goes through ``list``,
the single-document command, a batch row, ``validate`` and ``email`` with no code change."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from conftest import FIXTURES, VISIT, cli, copy_project, page_texts

EXERCISE = FIXTURES / "exercise"


def add_exercise(folder: Path, *, config: bool = True, content: bool = True, template: bool = True) -> Path:
    project = copy_project(folder)
    if config:
        with project.open("a", encoding="utf-8") as handle:
            handle.write((EXERCISE / "config.yaml").read_text(encoding="utf-8"))
    if content:
        with (folder / "handouts" / "dry-needling" / "en.yaml").open("a", encoding="utf-8") as handle:
            handle.write((EXERCISE / "content.yaml").read_text(encoding="utf-8"))
    if template:
        shutil.copy(EXERCISE / "exercise.xml.j2", folder / "templates" / "exercise.xml.j2")
    return project


@pytest.fixture
def clinic(tmp_path: Path) -> Path:
    add_exercise(tmp_path)
    return tmp_path


def test_list_shows_the_clinics_own_kind(clinic: Path) -> None:
    result = cli("list", cwd=clinic)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    documents = lines[lines.index("Documents:") + 1:]
    assert [line.split()[0] for line in documents] == ["info", "consent", "aftercare", "exercise", "packet"]
    assert "  exercise   the home exercise sheet" in documents


def test_the_single_document_command_makes_it(clinic: Path) -> None:
    result = cli("make", "exercise", "--patient", "Ana Lima", *VISIT, cwd=clinic)
    assert result.returncode == 0, result.stderr
    pdf = clinic / "out" / "2026-12-01_ana-lima_exercise.pdf"
    assert result.stdout == f"Saved {Path('out') / pdf.name} (1 page)\n"
    (page,) = page_texts(pdf)
    for text in ("Your home exercises", "Prepared for Ana Lima", "Stretches for the neck",
                 "Chin tucks, 10 times", "Stop any exercise that causes sharp pain.", "Sources", "Brady S"):
        assert text in page, text
    history = cli("history", "--json", cwd=clinic)
    assert '"kind": "exercise"' in history.stdout


def test_a_batch_row_asks_for_it(clinic: Path) -> None:
    day = clinic / "day.csv"
    with day.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([["date", "time", "patient_name", "documents"],
                                      ["2026-12-01", "08:30", "Ana Lima", "exercise"],
                                      ["2026-12-01", "09:00", "Ben Ode", "Exercise info"]])
    result = cli("batch", day, "-o", "day", "--workers", "1", cwd=clinic)
    assert result.returncode == 0, result.stderr
    ana, ben = (clinic / "day" / "2026-12-01_0830_ana-lima.pdf"), (clinic / "day" / "2026-12-01_0900_ben-ode.pdf")
    assert "Your home exercises" in page_texts(ana)[0]
    ben_pages = page_texts(ben)
    # In the registry's order: the information sheet first, then the clinic's own sheet.
    assert "Dry needling: information for you" in ben_pages[0]
    assert "Your home exercises" in ben_pages[-1]
    report = (clinic / "day" / "report.txt").read_text(encoding="utf-8")
    assert "line 2: 08:30 Ana Lima: exercise -> 2026-12-01_0830_ana-lima.pdf (1 page)" in report
    assert "line 3: 09:00 Ben Ode: info + exercise -> 2026-12-01_0900_ben-ode.pdf" in report


def test_validate_and_email_know_it(clinic: Path) -> None:
    result = cli("validate", cwd=clinic)
    assert result.returncode == 0, result.stderr
    assert ("OK  dry-needling/en exercise (1 page; tagged: yes, text all tagged, fonts embedded)"
            in result.stdout.splitlines())
    sent = cli("email", "exercise", "--to", "ana@example.org", "--patient", "Ana Lima", *VISIT, "--dry-run",
               cwd=clinic)
    assert sent.returncode == 0, sent.stderr
    assert "Dry run: nothing was sent." in sent.stdout


def test_the_section_is_refused_when_no_kind_needs_it(tmp_path: Path) -> None:
    add_exercise(tmp_path, config=False)
    result = cli("info", "--patient", "Ana Lima", *VISIT, cwd=tmp_path)
    assert result.returncode == 2
    assert "unknown key 'exercise' (check the spelling)" in result.stderr
    assert cli("make", "exercise", "--patient", "Ana Lima", *VISIT, cwd=tmp_path).stderr == (
        "Error: unknown document: 'exercise' is not one of 'info', 'consent', 'aftercare', 'packet'\n")
    assert "Traceback" not in result.stderr


def test_a_kind_without_its_section_or_template_is_a_clear_error(tmp_path: Path) -> None:
    add_exercise(tmp_path / "a", content=False)
    result = cli("make", "exercise", "--patient", "Ana Lima", *VISIT, cwd=tmp_path / "a")
    assert result.returncode == 2
    assert result.stderr.endswith("en.yaml: the dry-needling content has no 'exercise' section\n"), result.stderr
    add_exercise(tmp_path / "b", template=False)
    result = cli("make", "exercise", "--patient", "Ana Lima", *VISIT, cwd=tmp_path / "b")
    assert result.returncode == 2
    assert result.stderr.startswith("Error: template 'exercise.xml.j2' not found in "), result.stderr
    assert not list((tmp_path / "b").rglob("*.pdf"))


@pytest.mark.parametrize(("name", "says"), [
    ("consent", "kinds: 'consent' is a built-in kind; choose another name"),
    ("packet", "kinds: 'packet' is a built-in kind; choose another name"),
    ("../x", "kinds: '../x' must be a plain name (letters, digits, - and _); choose another name"),
])
def test_a_kind_may_not_take_a_built_in_name(tmp_path: Path, name: str, says: str) -> None:
    config = copy_project(tmp_path)
    with config.open("a", encoding="utf-8") as handle:
        handle.write(f'\nkinds:\n  "{name}":\n    label: mine\n')
    result = cli("list", cwd=tmp_path)
    assert result.returncode == 2
    assert says in result.stderr, result.stderr


def test_an_unknown_document_names_the_registered_ones(clinic: Path) -> None:
    result = cli("make", "letter", "--patient", "Ana Lima", cwd=clinic)
    assert result.returncode == 2
    assert result.stderr == ("Error: unknown document: 'letter' is not one of 'info', 'consent', 'aftercare', "
                             "'exercise', 'packet'\n")

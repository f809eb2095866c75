"""``validate`` checks everything a run needs: when it says "All checks passed", ``info`` and ``batch``
work. Each setting below once passed validate and then failed the run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import REPO, cli, error_lines, line_of, replace_line, run_cli

CONTENT = Path("handouts/dry-needling/en.yaml")


def validate(project: Path) -> list[str]:
    result = cli("validate", cwd=project)
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert "All checks passed" not in result.stdout
    return error_lines(result)


@pytest.mark.parametrize(("old", "new", "message"), [
    ("templates: templates", "templates: nothing", "paths.templates: folder 'nothing' not found"),
    ("handouts: handouts", "handouts: nothing", "paths.handouts: folder 'nothing' not found"),
    ("language: en", "language: xx", "defaults.language: 'xx' has no content for dry-needling (found: en, es)"),
    ("treatment: dry-needling", "treatment: nope",
     "defaults.treatment: 'nope' has no content in 'handouts' (found: dry-needling)"),
    ("records: records.db", "records: handouts", "paths.records: records database 'handouts' is a folder, not a file"),
    ("records: records.db", "records: /dev/null",
     "paths.records: records database '/dev/null' is not a file (a device or a pipe); set paths.records to a file"),
    ("records: records.db", "records: /etc/passwd",
     "paths.records: '/etc/passwd' is not a readable records database (file is not a database)"),
    ("records: records.db", "records: missing/records.db",
     "paths.records: cannot create records database 'missing/records.db': the folder does not exist"),
    ('date_formats: ["%d/%m/%Y"]', 'date_formats: ["%Q"]',
     "batch.date_formats: '%Q' is not a date format with day, month and year (for example %d/%m/%Y for 01/12/2026)"),
])
def test_validate_refuses_what_a_run_would_fail_on(project: Path, old: str, new: str, message: str) -> None:
    config = project / "config.yaml"
    line = replace_line(config, old, new)
    got = validate(project)
    assert got == [f"Error: config.yaml:{line}: {message}"], got
    assert not (project / "records.db").exists()


def test_validate_refuses_a_templates_folder_with_no_templates(project: Path) -> None:
    (project / "empty").mkdir()
    line = replace_line(project / "config.yaml", "templates: templates", "templates: empty")
    assert validate(project) == [f"Error: config.yaml:{line}: paths.templates: no templates in 'empty' "
                                 "(expected info.xml.j2, consent.xml.j2, aftercare.xml.j2)"]


def test_validate_refuses_two_batch_fields_read_from_one_column(project: Path) -> None:
    replace_line(project / "config.yaml", "    time: time", "    time: date")
    line = line_of(project / "config.yaml", "  columns:")
    assert validate(project) == [f"Error: config.yaml:{line}: batch.columns: date and time are both read from the "
                                 "column 'date'; each needs its own column"]


def test_validate_makes_the_cover_sheet(project: Path) -> None:
    replace_line(project / CONTENT, "cover_done: Done", "")
    template_line = line_of(project / "templates" / "cover.xml.j2", "labels.cover_done")
    assert validate(project) == [f"Error: templates/cover.xml.j2:{template_line}: template uses something undefined: "
                                 "'dict object' has no attribute 'cover_done'"]


def test_validate_passes_and_names_the_cover_sheet(project: Path) -> None:
    result = cli("validate", cwd=project)
    assert result.returncode == 0, result.stderr
    assert "OK  dry-needling/en cover sheet of a print run (1 page)" in result.stdout
    assert result.stdout.rstrip().endswith("All checks passed.")
    assert not (project / "records.db").exists()


def test_a_batch_without_a_cover_label_stops_before_any_work(project: Path) -> None:
    replace_line(project / CONTENT, "cover_done: Done", "")
    shutil.copy(REPO / "examples" / "appointments-2026-12-01.csv", project / "day.csv")
    result = run_cli("batch", "day.csv", "-o", "day", cwd=project)
    assert result.returncode == 2, (result.stdout, result.stderr)
    template_line = line_of(project / "templates" / "cover.xml.j2", "labels.cover_done")
    assert error_lines(result) == [f"Error: templates/cover.xml.j2:{template_line}: template uses something "
                                   "undefined: 'dict object' has no attribute 'cover_done'"]
    assert not (project / "day").exists()
    assert not list(project.rglob("*.pdf"))


def test_a_list_whose_day_is_far_from_today_is_warned_about(project: Path) -> None:
    # A US export (MM/DD/YYYY) read as DD/MM/YYYY: every date reads both ways, 11 months apart.
    (project / "day.csv").write_text("date,patient_name,dob\n12/01/2026,Ana Lima,1990-05-02\n"
                                     "12/01/2026,Ben Okafor,1971-02-03\n", encoding="utf-8")
    result = run_cli("batch", "day.csv", "-o", "day", cwd=project)
    assert result.returncode == 0, result.stderr
    warning = ("Warning: day.csv: the list's day is 2026-01-12, 323 days before today (2026-12-01); if that is not "
               "the day, check the dates of the export against the formats read (YYYY-MM-DD, DD/MM/YYYY: "
               "batch.date_formats in config.yaml), or the file chosen")
    assert warning in result.stderr.splitlines()
    assert warning.removeprefix("Warning: ") in (project / "day" / "report.txt").read_text(encoding="utf-8")


def test_a_list_for_today_or_next_week_has_no_such_warning(project: Path) -> None:
    (project / "day.csv").write_text("date,patient_name,dob\n2026-12-08,Ana Lima,1990-05-02\n", encoding="utf-8")
    result = run_cli("batch", "day.csv", "-o", "day", cwd=project)
    assert result.returncode == 0 and "Warning" not in result.stderr, result.stderr

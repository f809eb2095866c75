"""The small things a hostile test found: each one message the user sees, with its exit code."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import VISIT, cli, error_lines, replace_line, run_cli


def only_error(result) -> str:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    (line,) = error_lines(result)
    return line


def test_a_logo_that_is_a_folder_is_not_called_missing(project: Path) -> None:
    (project / "logo.png").mkdir()
    line = replace_line(project / "config.yaml", "logo: null", "logo: logo.png")
    assert only_error(cli("list", cwd=project)) == \
        f"Error: config.yaml:{line}: clinic.logo: file 'logo.png' is a folder, not a file"


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_a_pipe_or_a_device_as_settings_is_refused_at_once(project: Path, kind: str) -> None:
    path = "/dev/zero" if kind == "device" else str(project / "settings.yaml")
    if kind == "fifo":
        os.mkfifo(path)
    assert only_error(cli("--config", path, "list", cwd=project)) == \
        f"Error: {path}: is not a regular file (a device or a pipe)"


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_a_pipe_or_a_device_as_the_day_list_is_refused_at_once(project: Path, kind: str) -> None:
    path = "/dev/zero" if kind == "device" else str(project / "day.csv")
    if kind == "fifo":
        os.mkfifo(path)
    assert only_error(run_cli("batch", path, "-o", "day", cwd=project)) == \
        f"Error: appointments file '{path}' is not a regular file (a device or a pipe)"
    assert not (project / "day").exists()


def test_a_huge_settings_file_is_refused_without_reading_it_whole(project: Path) -> None:
    with (project / "config.yaml").open("a", encoding="utf-8") as handle:
        handle.write("# " + "x" * (11 * 1024 * 1024) + "\n")
    assert only_error(cli("list", cwd=project)) == \
        "Error: config.yaml: is larger than 10 MB; is it the right file?"


def visit_args(*extra: str) -> tuple[str, ...]:
    return ("info", "--patient", "Ana Lima", *VISIT, "-o", "out.pdf", *extra)


def test_a_next_visit_years_away_is_refused(project: Path) -> None:
    result = cli("aftercare", "--patient", "Ana Lima", *VISIT, "--next-visit", "9999-12-31", "-o", "out.pdf",
                 cwd=project)
    assert only_error(result) == ("Error: next visit 9999-12-31 is more than a year after this visit (2026-12-01); "
                                  "check the date")
    assert not (project / "out.pdf").exists()


def test_an_empty_date_is_refused_not_taken_for_today(project: Path) -> None:
    result = cli("info", "--patient", "Ana Lima", "--dob", "1984-03-09", "--date", "", "-o", "out.pdf",
                 cwd=project)
    assert only_error(result) == ("Error: date is empty; give the visit's date as YYYY-MM-DD, or leave it out "
                                  "for today")
    assert not (project / "out.pdf").exists()


def test_dash_as_output_is_refused_not_a_file_named_dash(project: Path) -> None:
    result = cli("info", "--patient", "Ana Lima", *VISIT, "-o", "-", cwd=project)
    assert only_error(result) == ("Error: cannot write '-': the document is saved as a file; give a file name "
                                  "ending in .pdf")
    assert not (project / "-").exists()


def test_a_very_long_date_is_not_echoed_in_full(project: Path) -> None:
    result = cli("info", "--patient", "Ana Lima", "--dob", "1984-03-09", "--date", "1" * 5000, "-o", "out.pdf",
                 cwd=project)
    line = only_error(result)
    assert line.startswith("Error: date '1111") and len(line) < 200, line


@pytest.mark.skipif(not Path("/usr/share/zoneinfo/Pacific/Auckland").exists(), reason="needs the time zone files")
@pytest.mark.parametrize(("zone", "epoch", "day"), [
    ("America/New_York", "1796083200", "30 November 2026"),  # 2026-12-01 00:00 UTC is still 30 November there
    ("Pacific/Auckland", "1796040000", "1 December 2026"),  # 2026-11-30 12:00 UTC is already 1 December there
])
def test_today_is_the_local_day(project: Path, zone: str, epoch: str, day: str) -> None:
    from conftest import page_texts

    result = cli("info", "--patient", "Ana Lima", "--dob", "1984-03-09", "-o", "out.pdf", cwd=project,
                 env={"TZ": zone, "SOURCE_DATE_EPOCH": epoch})
    assert result.returncode == 0, result.stderr
    assert f"Prepared for Ana Lima, {day}" in page_texts(project / "out.pdf")[0]


def test_numeric_true_and_empty_keys_are_shown_as_typed_at_their_line(project: Path) -> None:
    line = replace_line(project / "config.yaml", 'phone: "01632 960 418"',
                        'phone: "01632 960 418"\n  7: seven\n  ~: nothing\n  true: yes')
    result = cli("list", cwd=project)
    assert result.returncode == 2
    tail = "a key is a name, not a number, true/false or empty (check the spelling)"
    assert error_lines(result) == [f"Error: config.yaml:{line + 1}: unknown key '7' in 'clinic': {tail}",
                                   f"Error: config.yaml:{line + 2}: unknown key '~ (an empty key)' in 'clinic': {tail}",
                                   f"Error: config.yaml:{line + 3}: unknown key 'true' in 'clinic': {tail}"]


@pytest.mark.parametrize(("colour", "ratio"), [("#ffffff", "1.00"), ("#777777", "4.48")])
def test_a_brand_colour_too_light_to_read_is_refused(project: Path, colour: str, ratio: str) -> None:
    line = replace_line(project / "config.yaml", 'brand_colour: "#1f5f8b"', f'brand_colour: "{colour}"')
    assert only_error(cli(*visit_args(), cwd=project)) == (
        f"Error: config.yaml:{line}: clinic.brand_colour: '{colour}' is too light to read on white paper (contrast "
        f"{ratio}:1, at least 4.5:1 is needed); choose a darker colour, like #1f5f8b")


def test_a_clinic_name_too_long_for_the_header_is_refused(project: Path) -> None:
    line = replace_line(project / "config.yaml", "name: Riverside Physio & Sports Clinic",
                        "name: Riverside Physio & Sports Clinic of the Greater Northbridge Area and Surroundings")
    assert only_error(cli(*visit_args(), cwd=project)) == (
        f"Error: config.yaml:{line}: clinic.name is too long for the page header: 194 mm wide, and 140 mm fit "
        "on A4 paper; shorten it")
    assert not (project / "out.pdf").exists()


def test_many_address_lines_that_would_run_off_the_header_are_refused(project: Path) -> None:
    replace_line(project / "config.yaml", "    - Northbridge NB4 7QT",
                 "    - Northbridge NB4 7QT\n    - Unit 5, The Old Mill Buildings\n"
                 "    - Second floor, above the bakery\n    - United Kingdom of Great Britain and Northern Ireland")
    result = cli("validate", cwd=project)
    assert result.returncode == 2
    assert ("config.yaml:6: clinic.address (printed on one line) is too long for the page header: 225 mm wide, "
            "and 180 mm fit on A4 paper; shorten it") in result.stderr


def test_verify_calls_a_truncated_file_of_ours_incomplete(project: Path) -> None:
    made = cli(*visit_args(), cwd=project)
    assert made.returncode == 0, made.stderr
    whole = (project / "out.pdf").read_bytes()
    (project / "cut.pdf").write_bytes(whole[: len(whole) // 2])
    result = cli("verify", "cut.pdf", cwd=project)
    assert result.returncode == 1, result.stderr
    assert result.stdout.strip().startswith("CHANGED: cut.pdf is incomplete: it stops before the end of a PDF "
                                            "(cut short while it was copied or saved?), so it matches no document "
                                            "in the records."), result.stdout
    assert result.stdout.strip().endswith("Find the original, or make it again.")


def test_verify_knows_a_print_run_is_ours_but_not_a_patients_document(project: Path) -> None:
    (project / "day.csv").write_text("date,patient_name,dob\n2026-12-01,Ana Lima,1990-05-02\n", encoding="utf-8")
    assert run_cli("batch", "day.csv", "-o", "day", cwd=project).returncode == 0
    result = cli("verify", "day/print-all.pdf", cwd=project)
    assert result.returncode == 1
    assert result.stdout.strip() == ("NOT RECORDED: print-all.pdf was made by this program, but it is not one "
                                     "patient's document (a day's print-all.pdf and the passphrase slip are not "
                                     "recorded); verify each appointment's own file instead.")


def test_history_and_verify_need_no_write_access_to_the_records(project: Path) -> None:
    from conftest import can_drop_root_powers

    if not can_drop_root_powers():
        pytest.skip("needs setpriv to act as a normal user")
    made = cli(*visit_args(), cwd=project)
    assert made.returncode == 0, made.stderr
    database = project / "records.db"
    for extra in project.glob("records.db-*"):
        extra.unlink()  # as after the last writer closed it
    database.chmod(0o400)
    project.chmod(0o500)  # no new file (journal, -shm) can be made beside it
    try:
        history = run_cli("history", cwd=project, as_normal_user=True)
        verified = run_cli("verify", "out.pdf", cwd=project, as_normal_user=True)
    finally:
        project.chmod(0o700)
        database.chmod(0o600)
    assert history.returncode == 0, history.stderr
    assert "Ana Lima" in history.stdout and history.stdout.rstrip().endswith("1 document(s).")
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.startswith("UNCHANGED: out.pdf was made by this clinic")


def test_records_name_a_file_by_its_full_path_whatever_folder_the_command_ran_in(project: Path) -> None:
    import sqlite3

    (project / "sub").mkdir()
    first = cli("info", "--patient", "Ana Lima", *VISIT, cwd=project)
    second = cli("--config", "../config.yaml", "info", "--patient", "Ana Lima", *VISIT, cwd=project / "sub")
    assert first.returncode == 0 and second.returncode == 0, (first.stderr, second.stderr)
    made = sorted((project / "out").glob("*.pdf"))
    assert len(made) == 1  # the same patient's document replaced, not piled up as -2
    with sqlite3.connect(project / "records.db") as conn:
        names = [row[0] for row in conn.execute("SELECT file_name FROM documents ORDER BY id")]
    assert names == [str(made[0].resolve())] * 2


def test_mixed_qualifiers_in_one_risk_are_refused_not_dropped(project: Path) -> None:
    facts = project / "handouts" / "dry-needling" / "facts.yaml"
    text = facts.read_text(encoding="utf-8")
    old = "{count: 16, per: 100, unit: treatment, source: boyce2020}"  # bleeding's second estimate
    assert text.count(old) == 1
    facts.write_text(text.replace(old, "{count: 16, per: 100, unit: treatment, qualifier: fewer_than, "
                                       "source: boyce2020}"), encoding="utf-8")
    bleeding = text.index("  - id: bleeding")
    line = text[:bleeding].count("\n") + 3  # the risk's estimates: key
    number = text[:bleeding].count("  - id: ") + 1
    assert only_error(cli(*visit_args(), cwd=project)) == (
        f"Error: handouts/dry-needling/facts.yaml:{line}: risks[{number}].estimates: qualifier 'about' and "
        "'fewer_than' are mixed, but one phrase is printed for them all; give every estimate of this risk the same "
        "qualifier, or split the risk")

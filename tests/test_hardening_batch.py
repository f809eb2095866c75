"""Day lists: what the hostile tests found in reading them."""

from __future__ import annotations

from pathlib import Path

from conftest import TODAY_EPOCH, error_lines, run_cli


def test_a_stray_nul_is_one_bad_row_not_a_utf16_file(project: Path) -> None:
    (project / "day.csv").write_bytes(b"date,patient_name,dob\n2026-12-01,Ana\x00 Lima,1990-05-02\n"
                                      b"2026-12-01,Ben Okafor,1971-02-03\n")
    result = run_cli("batch", "day.csv", "-o", "day", cwd=project)
    assert result.returncode == 1, result.stderr
    assert "Made 1 of 2 appointments; 1 not made" in result.stdout
    report = (project / "day" / "report.txt").read_text(encoding="utf-8")
    assert ("line 2: Ana? Lima: SKIPPED: patient name contains characters that cannot be printed: U+0000; "
            "retype it, or copy it from somewhere else") in report


def test_utf16_without_its_mark_is_still_recognised(project: Path) -> None:
    (project / "day.csv").write_bytes("date,patient_name,dob\n2026-12-01,Ana Lima,1990-05-02\n".encode("utf-16-le"))
    result = run_cli("batch", "day.csv", "-o", "day", cwd=project)
    assert result.returncode == 2
    assert error_lines(result) == ["Error: cannot read day.csv: it looks like UTF-16 text without a byte-order "
                                   "mark; save it as CSV UTF-8"]


def test_one_row_with_a_wrong_year_does_not_set_the_runs_dates(project: Path) -> None:
    (project / "day.csv").write_text("date,patient_name,dob\n2026-12-01,Ana Lima,1990-05-02\n"
                                     "2025-12-01,Ben Okafor,1971-02-03\n2026-12-01,Cara Diaz,1980-03-04\n",
                                     encoding="utf-8")
    result = run_cli("batch", "day.csv", cwd=project)
    assert result.returncode == 1, result.stderr
    assert "Made 2 of 3 appointments; 1 not made" in result.stdout
    assert "several days" not in result.stderr
    folder = project / "out" / "2026-12-01"  # the list's day, not the stray row's
    report = (folder / "report.txt").read_text(encoding="utf-8")
    assert ("line 3: Ben Okafor: SKIPPED: date 2025-12-01 is far from the list's day 2026-12-01; check the year "
            "and the month") in report
    assert not (project / "out" / "2025-12-01").exists()


def test_a_row_dated_9999_does_not_stretch_the_cover_to_9999(project: Path) -> None:
    from conftest import page_texts

    (project / "day.csv").write_text("date,patient_name,dob\n2026-12-01,Ana Lima,1990-05-02\n"
                                     "9999-12-31,Ben Okafor,1971-02-03\n", encoding="utf-8")
    result = run_cli("batch", "day.csv", "-o", "day", cwd=project)
    assert result.returncode == 1, result.stderr
    assert "several days" not in result.stderr
    cover = page_texts(project / "day" / "print-all.pdf")[0]
    assert "Print run: 1 December 2026" in cover and "9999" not in cover.split("Not made")[0]


def test_a_full_disk_at_the_end_still_says_what_was_made(project: Path, monkeypatch) -> None:
    import errno
    import os

    from click.testing import CliRunner

    from patientdocs import cli
    from patientdocs.deliver import printrun

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    # print-all.pdf is begun before the rows are made: the disk is full from its first byte.
    monkeypatch.setattr(printrun._Writer, "_emit", full)
    monkeypatch.chdir(project)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", TODAY_EPOCH)
    (project / "day.csv").write_text("date,patient_name,dob\n2026-12-01,Ana Lima,1990-05-02\n"
                                     "2026-12-01,Ben Okafor,1971-02-03\n", encoding="utf-8")
    result = CliRunner().invoke(cli.main, ["batch", "day.csv", "-o", "day", "--workers", "1"])
    assert result.exit_code == 1, result.output
    assert result.stdout.strip() == "Made 2 of 2 appointments."
    assert result.stderr.strip() == ("Error: cannot write day/print-all.pdf (No space left on device); every "
                                     "appointment's file made is complete and listed in day/report.txt; fix this and "
                                     "run the same command again to make print-all.pdf")
    assert len(list((project / "day").glob("2026-12-01_*.pdf"))) == 2
    assert not (project / "day" / "print-all.pdf").exists()
    assert not list((project / "day").glob(".patientdocs-*"))

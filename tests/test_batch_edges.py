"""The print run when things around it go wrong: folders that cannot be written, a full disk,
an earlier run's files, lists that span several days, and the small words of the summary."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import NO_OVERRIDE, can_drop_root_powers, page_texts
from test_batch import HEADER, batch_here, cli_env, command, make_config, run, write_csv

from patientdocs import cli
from patientdocs.batch import run as runner
from patientdocs.batch.appointments import AppointmentList, RowProblem

ANA = ["2026-12-01", "08:30", "Ana Lima", "1990-05-02", "RP-1", "Sam Patel", "info"]
BEN = ["2026-12-01", "09:00", "Ben Ode", "1981-01-02", "RP-2", "Sam Patel", "aftercare"]


def pdfs(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob("*.pdf") if p.is_file())


@pytest.mark.skipif(not can_drop_root_powers(), reason="root may write into any folder, and setpriv is missing")
def test_a_read_only_output_folder_stops_before_any_work(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        args = command(write_csv(tmp_path / "day.csv", [ANA]), locked, config)
        result = run([*NO_OVERRIDE, *args] if os.geteuid() == 0 else args, tmp_path)
    finally:
        locked.chmod(0o755)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == f"Error: cannot write in {locked}: no permission to write there ('{locked}')"
    assert pdfs(locked) == []


def test_a_folder_named_print_all_is_refused_before_any_work(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    out = tmp_path / "day"
    (out / "print-all.pdf").mkdir(parents=True)
    result = batch_here(write_csv(tmp_path / "day.csv", [ANA]), out, config, cwd=tmp_path)  # one job: no workers
    assert result.returncode == 2, result.stderr
    assert "print-all.pdf' is a folder; move or rename it" in result.stderr
    assert "Traceback" not in result.stderr and pdfs(out) == []


def test_an_earlier_runs_print_all_never_survives_a_new_run(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    out = tmp_path / "day"
    out.mkdir()
    (out / "print-all.pdf").write_bytes(b"%PDF-1.4 yesterday's patients")
    (out / "report.txt").write_text("yesterday")
    # Every row is bad: nothing to print, but yesterday's pile must still be gone.
    bad = ["2026-12-01", "08:30", "", "", "", "", ""]
    result = batch_here(write_csv(tmp_path / "day.csv", [bad]), out, config, cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert b"yesterday" not in (out / "print-all.pdf").read_bytes()
    assert "yesterday" not in (out / "report.txt").read_text()


def test_a_full_disk_while_joining_keeps_the_report_and_says_what_to_do(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    config = make_config(tmp_path)
    out = tmp_path / "day"
    day = write_csv(tmp_path / "day.csv", [ANA, BEN])

    from patientdocs.deliver import printrun

    add = printrun.Joiner.add
    calls = []

    def full(self: printrun.Joiner, *args: object, **kwargs: object) -> None:
        # The disk fills while the rows are still being made: the first row's file is joined, not the second.
        calls.append(args)
        if len(calls) > 1:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        add(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(printrun.Joiner, "add", full)
    for key, value in cli_env().items():
        monkeypatch.setenv(key, value)
    result = CliRunner().invoke(cli.main, ["batch", str(day), "-o", str(out), "--config", str(config),
                                           "--workers", "1"])
    # The files were made (exit 2 would say nothing was): a summary, then the problem, exit 1.
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Made 2 of 2 appointments.")
    assert f"cannot write {out / 'print-all.pdf'} (No space left on device)" in result.output
    assert "run the same command again to make print-all.pdf" in result.output
    assert len(pdfs(out)) == 2 and not (out / "print-all.pdf").exists()
    assert "2 made, 0 not made, out of 2 rows." in (out / "report.txt").read_text()
    assert not list(out.glob(".*.part"))
    assert len(calls) == 2  # the cover was not joined once the disk was full


def test_a_list_over_several_days_says_so_on_the_cover(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    out = tmp_path / "run"
    later = ["2026-12-02", *BEN[1:]]
    result = run(command(write_csv(tmp_path / "days.csv", [later, ANA]), out, config), tmp_path)
    assert result.returncode == 0, result.stderr
    warning = (f"Warning: {tmp_path / 'days.csv'}: the list holds appointments on 2 different days "
               "(2026-12-01 to 2026-12-02); the cover sheet gives each row's date")
    assert result.stderr.strip() == warning
    assert warning in (out / "report.txt").read_text().splitlines()
    cover = page_texts(out / "print-all.pdf")[0]
    assert "Print run: 1 December 2026 to 2 December 2026" in cover
    assert cover.index("1 December 2026 08:30 Ana Lima") < cover.index("2 December 2026 09:00 Ben Ode")


def test_one_appointment_is_one_appointment(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    out = tmp_path / "day"
    result = batch_here(write_csv(tmp_path / "day.csv", [ANA]), out, config, cwd=tmp_path)  # one job: no workers
    assert result.returncode == 0, result.stderr
    assert f"Made 1 of 1 appointment. Print {out / 'print-all.pdf'}." in result.stdout
    assert "1 appointment " in page_texts(out / "print-all.pdf")[0]
    assert (out / "report.txt").read_text().endswith("1 made, 0 not made, out of 1 row.\n")


def test_report_and_cover_list_rows_in_the_order_of_the_file(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    out = tmp_path / "day"
    rows = [["2026-12-01", "08:00", f"Person {i}", "", "", "", "info"] for i in range(11)]
    rows[0][2] = rows[9][2] = ""  # lines 2 and 11: no name
    rows[4][0] = "9999-12-31"     # line 6: a year nobody books
    result = run(command(write_csv(tmp_path / "day.csv", rows, header=HEADER), out, config), tmp_path)
    assert result.returncode == 1, result.stderr
    report = (out / "report.txt").read_text().splitlines()
    numbered = [int(line.split(":")[0].split()[1]) for line in report if line.startswith("line ")]
    assert numbered == list(range(2, 13))
    assert any(line.startswith("line 6: 08:00 Person 4: NOT MADE: date 9999-12-31 is not a likely visit date")
               for line in report), report
    cover = page_texts(out / "print-all.pdf")[0]
    assert cover.index("line 2:") < cover.index("line 6: Person 4:") < cover.index("line 11:")


def test_not_made_sorts_lines_as_numbers() -> None:
    listing = AppointmentList(source=Path("day.csv"))
    listing.problems = [RowProblem(10, "patient name is empty"), RowProblem(2, "date is empty", "Ana")]
    assert runner.not_made(listing, runner.BatchResult()) == [
        (2, "line 2: Ana: date is empty"), (10, "line 10: patient name is empty")]


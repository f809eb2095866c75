"""Two print runs into one folder: the second says another run is making that folder and stops
(exit 2) before it clears or makes anything; the first run's files are untouched."""

from __future__ import annotations

import fcntl
import os
import shutil
from pathlib import Path

from conftest import REPO, error_lines, run_cli

DAY = REPO / "examples" / "appointments-2026-12-01.csv"


def test_a_second_run_into_the_same_folder_stops_before_any_work(project: Path) -> None:
    shutil.copy(DAY, project / "day.csv")
    folder = project / "day"
    folder.mkdir()
    # What a first run has in the folder while it works: its temporary file and last run's results.
    partial = folder / ".patientdocs-print-all.pdf.123.part"
    partial.write_bytes(b"%PDF-1.7 half")
    (folder / "print-all.pdf").write_bytes(b"%PDF-1.7 earlier")
    lock = os.open(folder / ".patientdocs-run.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # the first run, still going
        result = run_cli("batch", "day.csv", "-o", "day", cwd=project)
    finally:
        os.close(lock)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert error_lines(result) == ["Error: another run is making day now; wait until it has finished, or choose "
                                   "another folder with -o"]
    assert partial.read_bytes() == b"%PDF-1.7 half"
    assert (folder / "print-all.pdf").read_bytes() == b"%PDF-1.7 earlier"
    assert sorted(p.name for p in folder.iterdir()) == [".patientdocs-print-all.pdf.123.part",
                                                       ".patientdocs-run.lock", "print-all.pdf"]
    assert not (project / "records.db").exists() or _records(project) == 0


def test_once_the_first_run_has_finished_the_folder_is_free(project: Path) -> None:
    shutil.copy(DAY, project / "day.csv")
    first = run_cli("batch", "day.csv", "-o", "day", cwd=project)
    assert first.returncode == 0, first.stderr
    again = run_cli("batch", "day.csv", "-o", "day", cwd=project)
    assert again.returncode == 0, again.stderr
    assert "Made 5 of 5 appointments" in again.stdout
    assert not (project / "day" / ".patientdocs-run.lock").exists()  # removed when the run ends


def _records(project: Path) -> int:
    import sqlite3

    with sqlite3.connect(project / "records.db") as conn:
        return conn.execute("SELECT count(*) FROM documents").fetchone()[0]

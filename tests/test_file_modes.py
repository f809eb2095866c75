"""Patient files are for the clinic's account only, whatever the umask; other programs' files are left alone.

Every PDF, email in the outbox, report.txt, print-all.pdf and the records database is 0600, and a
folder the tool creates is 0700, under umask 022 (the usual default) and 000 alike. A folder that
already existed keeps its mode. Only the tool's own temporary files (.patientdocs-*.part) are
ever cleared from a folder it writes to.
"""

from __future__ import annotations

import csv
import os
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers_docs import GENERATE, PATIENT, cli_env, write_config

UMASKS = [0o022, 0o000]
VISIT = ("--date", "2026-12-01")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def run_with_umask(umask: int, *args: str | Path, config: Path) -> subprocess.CompletedProcess[str]:
    """The CLI in a subprocess started with ``umask``."""
    return subprocess.run([sys.executable, str(GENERATE), *map(str, args), "--config", str(config)],
                          cwd=config.parent, env=cli_env(), capture_output=True, text=True, encoding="utf-8",
                          timeout=180, check=False, stdin=subprocess.DEVNULL,
                          preexec_fn=lambda: os.umask(umask))


def write_day(path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([
            ["date", "time", "patient_name", "dob", "patient_id", "therapist", "documents"],
            ["2026-12-01", "08:00", "Ana Lima", "1990-05-02", "P-1042", "Sam Patel", "packet"],
            ["2026-12-01", "08:20", "Bo Ek", "1971-02-03", "P-1043", "Sam Patel", "aftercare"],
        ])
    return path


def other_programs_file(folder: Path) -> Path:
    """Another program's hidden temporary file, old enough that age alone would not save it."""
    folder.mkdir(parents=True, exist_ok=True)
    thesis = folder / ".thesis.tex.part"
    thesis.write_text("\\chapter{Results}", encoding="utf-8")
    hours_ago = time.time() - 7200
    os.utime(thesis, (hours_ago, hours_ago))
    return thesis


@pytest.mark.parametrize("umask", UMASKS, ids=["umask022", "umask000"])
def test_a_single_document_its_folder_and_the_records_are_private(tmp_path, umask):
    config = write_config(tmp_path)
    result = run_with_umask(umask, "aftercare", *PATIENT, *VISIT, config=config)
    assert result.returncode == 0, (result.stdout, result.stderr)
    out = tmp_path / "out"
    (pdf,) = out.glob("*.pdf")
    assert str(pdf) in result.stdout
    assert mode(out) == 0o700, oct(mode(out))
    assert mode(pdf) == 0o600, oct(mode(pdf))
    assert mode(tmp_path / "records.db") == 0o600, oct(mode(tmp_path / "records.db"))
    # Made again: the file that replaces it is private too.
    again = run_with_umask(umask, "aftercare", *PATIENT, *VISIT, config=config)
    assert again.returncode == 0, again.stderr
    assert list(out.glob("*.pdf")) == [pdf] and mode(pdf) == 0o600


@pytest.mark.parametrize("umask", UMASKS, ids=["umask022", "umask000"])
def test_an_output_file_replacing_a_readable_one_is_private(tmp_path, umask):
    config = write_config(tmp_path)
    target = tmp_path / "ana.pdf"
    target.write_bytes(b"an older copy")
    target.chmod(0o644)
    result = run_with_umask(umask, "info", *PATIENT, *VISIT, "-o", target, config=config)
    assert result.returncode == 0, (result.stdout, result.stderr)
    assert target.read_bytes().startswith(b"%PDF") and mode(target) == 0o600, oct(mode(target))


@pytest.mark.parametrize("umask", UMASKS, ids=["umask022", "umask000"])
def test_the_outbox_email_and_saved_pdfs_are_private(tmp_path, umask):
    config = write_config(tmp_path)
    result = run_with_umask(umask, "email", "aftercare", "--to", "ana@example.org", *PATIENT, *VISIT, "--dry-run",
                            config=config)
    assert result.returncode == 0, (result.stdout, result.stderr)
    outbox = tmp_path / "outbox"
    (eml,) = outbox.glob("*.eml")
    assert mode(outbox) == 0o700, oct(mode(outbox))
    assert mode(eml) == 0o600, oct(mode(eml))
    (pdf,) = (tmp_path / "out").glob("*.pdf")
    assert mode(pdf) == 0o600 and mode(tmp_path / "out") == 0o700
    assert mode(tmp_path / "records.db") == 0o600


@pytest.mark.parametrize("umask", UMASKS, ids=["umask022", "umask000"])
def test_a_batch_run_is_private(tmp_path, umask):
    config = write_config(tmp_path)
    out = tmp_path / "runs" / "2026-12-01"  # neither folder exists yet
    result = run_with_umask(umask, "batch", write_day(tmp_path / "day.csv"), "-o", out, config=config)
    assert result.returncode == 0, (result.stdout, result.stderr)
    assert mode(tmp_path / "runs") == 0o700, oct(mode(tmp_path / "runs"))
    assert mode(out) == 0o700, oct(mode(out))
    files = sorted(out.iterdir())
    names = {p.name for p in files}
    assert {"print-all.pdf", "report.txt"} <= names and len(names) == 4, names
    loose = {p.name: oct(mode(p)) for p in files if mode(p) != 0o600}
    assert not loose, loose
    assert mode(tmp_path / "records.db") == 0o600


def test_a_folder_the_user_made_keeps_its_mode(tmp_path):
    config = write_config(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    out.chmod(0o755)  # shared on purpose by the clinic: not for the tool to change
    result = run_with_umask(0o022, "info", *PATIENT, *VISIT, config=config)
    assert result.returncode == 0, (result.stdout, result.stderr)
    assert mode(out) == 0o755
    (pdf,) = out.glob("*.pdf")
    assert mode(pdf) == 0o600


def test_the_records_journal_files_are_private_too(tmp_path):
    """The -wal and -shm files exist while the records are open, the -journal one during a write."""
    from patientdocs.records.store import Records

    db = tmp_path / "records.db"
    previous = os.umask(0)
    try:
        records = Records(db)
        try:
            with records.transaction() as conn:
                conn.execute("CREATE TABLE t (x)")
            side_files = [Path(f"{db}-wal"), Path(f"{db}-shm")]
            assert all(p.exists() for p in side_files)
            assert {p.name: mode(p) for p in [db, *side_files]} == {p.name: 0o600 for p in [db, *side_files]}
        finally:
            records.close()
        conn = sqlite3.connect(db, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=DELETE")
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO t VALUES (1)")
            journal = Path(f"{db}-journal")
            assert journal.exists() and mode(journal) == 0o600, oct(mode(journal))
            conn.execute("COMMIT")
        finally:
            conn.close()
    finally:
        os.umask(previous)


def test_another_programs_part_file_survives_a_single_document(tmp_path):
    config = write_config(tmp_path)
    out = tmp_path / "out"
    thesis = other_programs_file(out)
    beside_o = other_programs_file(tmp_path / "letters")
    ours = out / ".patientdocs-2026-11-30_ana-lima_info.pdf.k1ll3d.part"  # left by a killed run
    ours.write_bytes(b"%PDF-1.4 half a file")
    os.utime(ours, (time.time() - 7200, time.time() - 7200))
    for args in (("info", *PATIENT, *VISIT), ("info", *PATIENT, *VISIT, "-o", tmp_path / "letters" / "ana.pdf")):
        result = run_with_umask(0o022, *args, config=config)
        assert result.returncode == 0, (result.stdout, result.stderr)
    assert thesis.read_text(encoding="utf-8") == "\\chapter{Results}"
    assert beside_o.is_file()
    assert not ours.exists()


def test_another_programs_part_file_survives_a_batch(tmp_path):
    config = write_config(tmp_path)
    out = tmp_path / "day"
    thesis = other_programs_file(out)
    result = run_with_umask(0o022, "batch", write_day(tmp_path / "day.csv"), "-o", out, config=config)
    assert result.returncode == 0, (result.stdout, result.stderr)
    assert thesis.read_text(encoding="utf-8") == "\\chapter{Results}"
    assert not [p.name for p in out.glob(".patientdocs-*")], "the tool's own temporary files are gone"

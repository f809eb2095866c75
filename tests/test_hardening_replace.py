"""A run killed while it replaced an earlier file (between moving it aside and committing its
record) leaves nothing behind for long: the next run puts the earlier file back, or tidies up."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from conftest import VISIT, cli

GONE_PID = 4194305  # above Linux's largest process id: no such process


def make(project: Path, name: str) -> Path:
    result = cli("info", "--patient", name, *VISIT, cwd=project)
    assert result.returncode == 0, result.stderr
    return project / result.stdout.split("Saved ", 1)[1].split(" (", 1)[0]


def test_the_earlier_file_is_put_back_when_the_run_died_before_placing_the_new_one(project: Path) -> None:
    earlier = make(project, "Ana Lima")
    data = earlier.read_bytes()
    aside = earlier.with_name(f".patientdocs-{earlier.name}.{GONE_PID}.old")
    earlier.rename(aside)  # where a run killed at that moment left it
    make(project, "Ben Okafor")  # any next run into the folder
    assert earlier.read_bytes() == data
    assert not aside.exists()
    assert not [p.name for p in earlier.parent.iterdir() if p.name.startswith(".")]


def test_a_new_file_never_recorded_gives_way_to_the_earlier_one(project: Path) -> None:
    earlier = make(project, "Ana Lima")
    data = earlier.read_bytes()
    aside = earlier.with_name(f".patientdocs-{earlier.name}.{GONE_PID}.old")
    earlier.rename(aside)
    earlier.write_bytes(b"%PDF-1.7 placed, but its record was never committed")
    make(project, "Ben Okafor")
    assert earlier.read_bytes() == data and not aside.exists()


def test_the_copy_aside_is_removed_when_the_new_file_was_recorded(project: Path) -> None:
    earlier = make(project, "Ana Lima")
    aside = earlier.with_name(f".patientdocs-{earlier.name}.{GONE_PID}.old")
    aside.write_bytes(b"%PDF-1.7 the earlier copy")
    recorded = earlier.read_bytes()
    make(project, "Ben Okafor")
    assert earlier.read_bytes() == recorded and not aside.exists()
    with sqlite3.connect(project / "records.db") as conn:
        assert conn.execute("SELECT count(*) FROM documents").fetchone()[0] == 2

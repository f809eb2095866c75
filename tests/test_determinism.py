"""Reproducible builds: with SOURCE_DATE_EPOCH set, the same input gives the same bytes."""

from __future__ import annotations

from pathlib import Path

from conftest import cli, copy_project, page_texts
from support import BUILD_EPOCH

EPOCH = {"SOURCE_DATE_EPOCH": BUILD_EPOCH}  # 2025-12-01T00:00:00Z


def test_two_runs_give_byte_identical_files(tmp_path: Path) -> None:
    copy_project(tmp_path)
    outputs = []
    for run in (1, 2):
        target = f"run{run}.pdf"
        # No --date: the visit date comes from SOURCE_DATE_EPOCH too.
        result = cli("info", "--patient", "Zoë O'Brien", "--dob", "1984-03-09", "--patient-id", "DEMO-1",
                     "--therapist", "Sam Patel", "-o", target, cwd=tmp_path, env=EPOCH)
        assert result.returncode == 0, result.stderr
        outputs.append((tmp_path / target).read_bytes())
    first, second = outputs
    assert first[:5] == b"%PDF-"
    assert first == second
    assert b"D:20251201000000" in first  # creation date from the epoch, not the clock
    pages = page_texts(first)
    assert "Prepared for Zoë O'Brien, 1 December 2025, by Sam Patel." in pages[0]


"""Day lists: what the hostile tests found in reading them."""

from __future__ import annotations

from pathlib import Path

from conftest import error_lines, run_cli


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

"""Dates typed at the desk or read from an export: ISO always, a clinic's own formats when set, never a guess."""

from __future__ import annotations

import datetime as dt

import pytest

from patientdocs.errors import PatientDocsError
from patientdocs.visit import parse_date


@pytest.mark.parametrize(("typed", "expected"), [
    ("2026-12-01", dt.date(2026, 12, 1)),
    ("  2026-12-01 ", dt.date(2026, 12, 1)),
    ("2026-1-5", dt.date(2026, 1, 5)),
    ("2028-02-29", dt.date(2028, 2, 29)),
])
def test_iso_dates(typed: str, expected: dt.date) -> None:
    assert parse_date(typed, "--date") == expected


@pytest.mark.parametrize("typed", ["2026-13-45", "2026-02-30", "2027-02-29", "0000-01-01", "20261201",
                                   "2026-12-01T09:00", "2026-12", "01/12/2026", "1 December 2026", ""])
def test_anything_else_is_refused_with_the_expected_form(typed: str) -> None:
    with pytest.raises(PatientDocsError) as caught:
        parse_date(typed, "--date")
    assert str(caught.value) == f"--date: '{typed.strip()}' is not a real date (use YYYY-MM-DD)"


def test_a_clinic_format_is_used_only_when_configured() -> None:
    assert parse_date("02/12/2026", "date", ("%d/%m/%Y",)) == dt.date(2026, 12, 2)
    assert parse_date("2026-12-02", "date", ("%d/%m/%Y",)) == dt.date(2026, 12, 2)  # ISO still works
    with pytest.raises(PatientDocsError, match=r"not a real date \(use YYYY-MM-DD or DD/MM/YYYY\)"):
        parse_date("31/02/2026", "date", ("%d/%m/%Y",))

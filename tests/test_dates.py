"""Dates typed at the desk or read from an export: ISO always, a clinic's own formats when set, never a guess."""

from __future__ import annotations

import datetime as dt

import pytest

from patientdocs.errors import PatientDocsError
from patientdocs.load.visit import make_visit, parse_date


@pytest.mark.parametrize(("typed", "expected"), [
    ("2026-12-01", dt.date(2026, 12, 1)),
    ("  2026-12-01 ", dt.date(2026, 12, 1)),
    ("2026-1-5", dt.date(2026, 1, 5)),
    ("2028-02-29", dt.date(2028, 2, 29)),
])
def test_iso_dates(typed: str, expected: dt.date) -> None:
    assert parse_date(typed, "--date") == expected


@pytest.mark.parametrize("typed", ["2026-13-45", "2026-02-30", "2027-02-29", "0000-01-01"])
def test_a_date_that_is_not_in_the_calendar_is_refused(typed: str) -> None:
    with pytest.raises(PatientDocsError) as caught:
        parse_date(typed, "--date")
    assert str(caught.value) == f"--date '{typed.strip()}' is not a real date"


@pytest.mark.parametrize("typed", ["20261201", "2026-12-01T09:00", "2026-12", "01/12/2026", "1 December 2026", ""])
def test_anything_else_is_refused_with_the_expected_form(typed: str) -> None:
    with pytest.raises(PatientDocsError) as caught:
        parse_date(typed, "--date")
    assert str(caught.value) == f"--date '{typed.strip()}' is not in an accepted date format (use YYYY-MM-DD)"


def test_a_clinic_format_is_used_only_when_configured() -> None:
    assert parse_date("02/12/2026", "date", ("%d/%m/%Y",)) == dt.date(2026, 12, 2)
    assert parse_date("2026-12-02", "date", ("%d/%m/%Y",)) == dt.date(2026, 12, 2)  # ISO still works
    with pytest.raises(PatientDocsError, match=r"^date '31/02/2026' is not a real date$"):
        parse_date("31/02/2026", "date", ("%d/%m/%Y",))
    with pytest.raises(PatientDocsError, match=r"^date '2026\.12\.02' is not in an accepted date format \(use "
                                               r"YYYY-MM-DD or DD/MM/YYYY\)$"):
        parse_date("2026.12.02", "date", ("%d/%m/%Y",))


@pytest.mark.parametrize("typed", ["0001-01-01", "1999-12-31", "2100-01-01", "9999-12-31"])
def test_a_visit_in_an_unlikely_year_is_refused(typed: str) -> None:
    with pytest.raises(PatientDocsError, match=rf"date {typed} is not a likely visit date \(check the year"):
        make_visit(patient="Ana Lima", date=typed)


def test_a_birth_date_more_than_125_years_before_the_visit_is_refused() -> None:
    assert make_visit(patient="Ana Lima", date="2026-12-01", dob="1902-01-01").dob == dt.date(1902, 1, 1)
    with pytest.raises(PatientDocsError, match="date of birth 1900-12-01 is more than 125 years ago"):
        make_visit(patient="Ana Lima", date="2026-12-01", dob="1900-12-01")


@pytest.mark.parametrize(("name", "described"), [
    ("Ana\u200bLima", "ZERO WIDTH SPACE (U+200B)"),
    ("Ana\u2028Lima", "LINE SEPARATOR (U+2028)"),
    ("Ana\tLima", "a tab"),
    ("Ana\u202eLima", "RIGHT-TO-LEFT OVERRIDE (U+202E)"),
])
def test_invisible_characters_are_named_so_staff_can_find_them(name: str, described: str) -> None:
    with pytest.raises(PatientDocsError) as caught:
        make_visit(patient=name, date="2026-12-01")
    assert str(caught.value) == (f"patient name contains characters that cannot be printed: {described}; "
                                 "retype it, or copy it from somewhere else")

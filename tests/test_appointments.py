"""The appointment-list reader: real exports, bad rows with their line numbers, fatal files."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import unicodedata
from pathlib import Path

import pytest
import support
from conftest import copy_project, run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from patientdocs.batch.appointments import (
    FIELD_LIMIT,
    Appointment,
    RowProblem,
    appointment_key,
    human_format,
    is_email,
    parse_time,
    read_appointments,
)
from patientdocs.errors import PatientDocsError
from patientdocs.load.visit import make_visit, parse_date

FIXTURES = support.FIXTURES / "appointments"
DAY = support.TODAY
KEY = re.compile(r"[a-z0-9_-]+")
EXAMPLES = int(os.environ.get("APPOINTMENTS_EXAMPLES", "300"))   # more for a longer hunt


def read(path: Path, columns: dict[str, str] | None = None, date_formats: list[str] | None = None, **kwargs):
    kwargs.setdefault("known_languages", {"en", "pl"})
    return read_appointments(path, columns=columns or {}, date_formats=date_formats or [], **kwargs)


def write(tmp_path: Path, text: str, name: str = "appointments.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def one_problem(result) -> RowProblem:
    assert len(result.problems) == 1, result.problems
    return result.problems[0]


# -- the realistic day ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def day():
    return read(FIXTURES / "day-40.csv")


class TestDay40:
    def test_counts_and_format(self, day):
        raw = (FIXTURES / "day-40.csv").read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")
        assert day.delimiter == ";"
        assert len(day.rows) == 37
        assert len(day.problems) == 3
        assert day.warnings == []

    def test_problems_have_physical_lines_and_reasons(self, day):
        assert [(p.line, p.patient, p.reason) for p in day.problems] == [
            (13, None, "patient name is empty"),
            (25, "Stefan Nowak", "date '2026-02-30' is not a real date"),
            (32, "Hannah Schmidt", "unknown document 'xray' (known: aftercare, consent, info, packet)"),
        ]
        source = FIXTURES / "day-40.csv"
        assert str(day.problems[0]) == f"{source}:13: patient name is empty"
        assert str(day.problems[1]) == f"{source}:25: Stefan Nowak: date '2026-02-30' is not a real date"
        error = day.problems[2].as_error()
        assert isinstance(error, PatientDocsError)
        assert str(error).startswith(f"{source}:32: Hannah Schmidt: unknown document 'xray'")

    def test_good_rows(self, day):
        by_line = {a.line: a for a in day.rows}
        assert all(a.date == DAY for a in day.rows)
        assert [a.line for a in day.rows] == sorted(by_line)
        assert by_line[2] == Appointment(
            line=2, date=DAY, patient_name="Anna Kowalska", time="08:00", dob=dt.date(1984, 3, 9),
            patient_id="RP-10234", therapist="Sam Patel", language="en", email="anna.kowalska@example.com",
            documents=("info", "consent"), key="2026-12-01_0800_anna-kowalska_rp-10234")
        # spaces around values, empty language/email/documents -> defaults
        zoe = by_line[5]
        assert (zoe.patient_name, zoe.time, zoe.patient_id, zoe.therapist, zoe.language, zoe.email,
                zoe.documents) == ("Zoë Brontë-Smith", "08:20", "RP-10237", "Joanna Lis", "en", None,
                                   ("info", "consent"))
        assert by_line[6].language == "en"                          # "EN"
        assert by_line[10].patient_name == "Smith, John"             # comma inside quotes
        assert by_line[8].patient_name == "Seán O'Brien"
        assert by_line[20].patient_name == 'Mary "Molly" Jones'     # lines 9, 19 and 34 are blank
        assert by_line[4].patient_name == "Γιώργος Παπαδόπουλος"
        assert by_line[6].patient_name == "Дмитрий Иванов"
        assert by_line[7].patient_name == "Nguyễn Thị Minh Khai"
        assert by_line[15].documents == ("info", "consent")          # "Info + Consent"
        assert by_line[18].documents == ("info", "consent", "aftercare")
        assert by_line[29].documents == ("info", "consent")          # "info, consent"
        assert by_line[4].documents == ("aftercare",)
        assert by_line[38].patient_id is None
        assert by_line[40].dob is None
        assert by_line[41].therapist is None
        assert by_line[44].time == "17:40"
        assert {a.therapist for a in day.rows} == {"Sam Patel", "Joanna Lis", "Chris Okoye", None}

    def test_names_are_nfc(self, day):
        assert all(unicodedata.is_normalized("NFC", a.patient_name) for a in day.rows)

    def test_keys_unique_and_file_safe(self, day):
        keys = [a.key for a in day.rows]
        assert len(set(keys)) == len(keys)
        assert all(KEY.fullmatch(k) for k in keys)
        anna = [a for a in day.rows if a.patient_name == "Anna Kowalska"]
        assert [a.key for a in anna] == ["2026-12-01_0800_anna-kowalska_rp-10234",
                                         "2026-12-01_1440_anna-kowalska_rp-10234"]
        # a Greek name is transliterated, so the file name still shows who it is for
        assert next(a.key for a in day.rows if a.line == 4) == "2026-12-01_0820_giorgos-papadopoylos_rp-10236"

    def test_visit_kwargs_make_visits(self, day):
        for appointment in day.rows:
            visit = make_visit(**appointment.visit_kwargs())
            assert (visit.patient, visit.date, visit.dob, visit.patient_id, visit.therapist) == (
                appointment.patient_name, appointment.date, appointment.dob, appointment.patient_id,
                appointment.therapist)


# -- other exports ----------------------------------------------------------------------------------

def test_comma_file_without_bom():
    result = read(FIXTURES / "comma.csv")
    assert result.delimiter == ","
    assert result.problems == []
    names = [(a.line, a.patient_name, a.time, a.documents) for a in result.rows]
    assert names == [
        (2, "Okafor, Ngozi", "08:00", ("info", "consent")),
        (3, "Renée Laurent", "08:20", ("info", "aftercare")),
        (4, "=cmd|' /C calc'!A0", "08:40", ("consent",)),    # a spreadsheet formula is only text
    ]
    assert all(KEY.fullmatch(a.key) for a in result.rows)
    assert result.rows[2].key == "2026-12-01_0840_cmd-c-calc-a0_rp-3"


MAPPED = {"patient_name": "Patient", "date": "Appt Date", "time": "Start", "dob": "DOB", "patient_id": "MRN",
          "therapist": "Clinician"}


def test_mapped_columns_with_date_format():
    result = read(FIXTURES / "clinic-export.csv", MAPPED, ["%d/%m/%Y"])
    assert result.problems == []
    assert result.columns == {"patient_name": "Patient", "date": "Appt Date", "time": "Start", "dob": "DOB",
                              "patient_id": "MRN", "therapist": "Clinician"}
    first = result.rows[0]
    assert (first.patient_name, first.date, first.time, first.dob, first.patient_id, first.therapist) == (
        "Anna Kowalska", DAY, "08:00", dt.date(1984, 3, 9), "MRN-001", "Sam Patel")
    assert [a.patient_name for a in result.rows] == ["Anna Kowalska", "José Álvarez", "Γιώργος Παπαδόπουλος"]


def test_mapping_is_case_and_space_insensitive():
    columns = {"patient_name": "  patient ", "date": "APPT DATE", "dob": "dob", "time": "start"}
    result = read(FIXTURES / "clinic-export.csv", columns, ["%d/%m/%Y"])
    assert len(result.rows) == 3 and result.problems == []
    assert result.rows[0].dob == dt.date(1984, 3, 9)


def test_dates_are_never_guessed():
    result = read(FIXTURES / "clinic-export.csv", MAPPED)
    assert result.rows == []
    assert [p.line for p in result.problems] == [2, 3, 4]
    assert result.problems[0].reason == (
        "date '01/12/2026' is not in an accepted date format (use YYYY-MM-DD, or a format set in config.yaml "
        "under batch.date_formats); date of birth '09/03/1984' is not in an accepted date format (use "
        "YYYY-MM-DD, or a format set in config.yaml under batch.date_formats)")


def test_us_dates_with_month_first():
    columns = {"date": "Appointment Date", "time": "Start Time", "patient_name": "Patient Name",
               "dob": "Date of Birth", "therapist": "Provider"}
    result = read(FIXTURES / "us-export.csv", columns, ["%m/%d/%Y"])
    assert result.problems == []
    assert [(a.patient_name, a.date, a.time, a.dob) for a in result.rows] == [
        ("Johnson, Mary", DAY, "08:00", dt.date(1984, 3, 9)),
        ("Robert Brown", DAY, "13:30", dt.date(1979, 11, 23)),
        ("Lucía Hernández", DAY, "12:15", None),
    ]


US_COLUMNS = {"date": "Appointment Date", "time": "Start Time", "patient_name": "Patient Name",
              "dob": "Date of Birth", "therapist": "Provider"}


def test_month_first_file_read_with_day_first_settings_is_refused():
    # 12/01/2026 (1 December) would silently be 12 January: the date of birth 11/23/1979 gives it away
    path = FIXTURES / "us-export.csv"
    with pytest.raises(PatientDocsError) as caught:
        read(path, US_COLUMNS, ["%d/%m/%Y"])
    assert str(caught.value) == (
        f"{path}:3: date of birth '11/23/1979' has the month first, but batch.date_formats in config.yaml reads "
        "DD/MM/YYYY, so other dates in this file would be read wrongly; set batch.date_formats to the export's "
        "format (for example %m/%d/%Y)")
    assert caught.value.exit_code == 2


def test_day_first_file_read_with_month_first_settings_is_refused(tmp_path):
    path = write(tmp_path, "patient_name;date\nAna;01.12.2026\nBen;01.12.2026\nCy;13.12.2026\nDee;14.12.2026\n")
    with pytest.raises(PatientDocsError) as caught:
        read(path, date_formats=["%Y/%m/%d", "%m.%d.%Y"])
    assert str(caught.value) == (
        f"{path}:4: date '13.12.2026' has the day first, but batch.date_formats in config.yaml reads MM.DD.YYYY, "
        "so other dates in this file would be read wrongly; set batch.date_formats to the export's format "
        "(for example %d.%m.%Y)")


@pytest.mark.parametrize(("cell", "formats"), [
    ("31/02/2026", ["%d/%m/%Y"]),               # no reading either way: only this row is wrong
    ("13/13/2026", ["%d/%m/%Y"]),
    ("12/13/2026", ["%d/%m/%Y", "%m/%d/%Y"]),   # both orders configured: the month-first one reads it
    ("2026-13-12", ["%d/%m/%Y"]),               # ISO is not a configured format
    ("12/2026/13", ["%d/%m/%Y"]),
])
def test_no_day_month_clash(tmp_path, cell, formats):
    path = write(tmp_path, f"patient_name,date\nAna,{cell}\nBen,01/12/2026\n")
    result = read(path, date_formats=formats)
    assert len(result.rows) + len(result.problems) == 2


def test_day_month_clash_is_found_after_the_rows_are_read(tmp_path):
    # the clash on line 4 wins over a fatal-looking problem nowhere: every row is read first
    path = write(tmp_path, "patient_name,date,dob\nAna,01/12/2026,\n,02/12/2026,\nCy,01/12/2026,12/31/1980\n"
                           "Dee,01/12/2026,12/30/1980\n")
    with pytest.raises(PatientDocsError, match=r":4: date of birth '12/31/1980' has the month first"):
        read(path, date_formats=["%d/%m/%Y"])


def test_overlapping_formats_are_an_error_not_a_guess(tmp_path):
    path = write(tmp_path, "patient_name,date\nAna,01/12/2026\nBen,13/12/2026\n")
    result = read(path, date_formats=["%d/%m/%Y", "%m/%d/%Y"])
    assert [a.date for a in result.rows] == [dt.date(2026, 12, 13)]
    assert one_problem(result).reason == (
        "date '01/12/2026' could be 2026-12-01 (DD/MM/YYYY) or 2026-01-12 (MM/DD/YYYY) "
        "(two of the formats in batch.date_formats read it differently)")


def test_configured_optional_column_not_found_is_a_warning(tmp_path):
    path = write(tmp_path, "patient_name;date\nAna Lima;2026-12-01\n")
    result = read(path, {"therapist": "Clinician", "email": "email"})
    assert len(result.rows) == 1
    assert result.warnings == [f"{path}:1: no column 'Clinician' (set in batch.columns for therapist); "
                               f"therapist left empty"]


# -- line numbers ---------------------------------------------------------------------------------

def test_multiline_quoted_values_keep_line_numbers_right():
    result = read(FIXTURES / "multiline.csv")
    assert [(a.line, a.patient_name) for a in result.rows] == [(2, "Ana Lima"), (4, "Ben Okafor"),
                                                               (11, "Eli Cohen")]
    assert [(p.line, p.reason) for p in result.problems] == [
        (5, "patient name contains a line break"),
        (8, "date '2026-13-01' is not a real date"),
        (12, "time '25:99' is not a real time"),
    ]


def test_blank_lines_before_header_and_old_mac_line_ends(tmp_path):
    path = write(tmp_path, "\r\n ; \r\npatient_name;date\r\rAna;2026-12-01\rBen;2026-02-30\r")
    result = read(path)
    assert [(a.line, a.patient_name) for a in result.rows] == [(5, "Ana")]
    assert one_problem(result).line == 6


def test_excel_sep_line(tmp_path):
    path = write(tmp_path, "sep=,\npatient_name,date,documents\nAna,2026-12-01,info;aftercare\n")
    result = read(path)
    assert result.delimiter == ","
    assert [(a.line, a.documents) for a in result.rows] == [(3, ("info", "aftercare"))]


def test_tab_delimited(tmp_path):
    path = write(tmp_path, "patient_name\tdate\ttime\nAna, Lima\t2026-12-01\t9:05\n")
    result = read(path)
    assert result.delimiter == "\t"
    assert [(a.patient_name, a.time) for a in result.rows] == [("Ana, Lima", "09:05")]


def test_unquoted_delimiter_in_a_value_is_a_row_problem(tmp_path):
    path = write(tmp_path, "patient_name,date,time\nO'Brien, Pat,2026-12-01,08:00\nAna,2026-12-01,\n")
    result = read(path)
    assert [a.patient_name for a in result.rows] == ["Ana"]
    problem = one_problem(result)
    assert problem.line == 2
    assert problem.reason.startswith("the line has 4 values but the header has 3 columns "
                                     "(a comma inside a value must be in double quotes)")


def test_trailing_empty_cells_and_short_rows_are_fine(tmp_path):
    path = write(tmp_path, "patient_name;date;time;;\nAna;2026-12-01;;;;\nBen;2026-12-01\n")
    result = read(path)
    assert result.problems == []
    assert [(a.patient_name, a.time) for a in result.rows] == [("Ana", None), ("Ben", None)]


@pytest.mark.parametrize("text", ["\ufeffpatient_name;date\r\n\r\n", "patient_name,date",
                                  "sep=;\npatient_name;date\n;;\n \n"])
def test_header_only_is_an_error(tmp_path, text):
    path = write(tmp_path, text)
    with pytest.raises(PatientDocsError) as caught:
        read(path)
    assert str(caught.value) == f"{path} has no appointments: only the header line"
    assert caught.value.exit_code == 2


@pytest.mark.parametrize(("text", "message"), [
    ("patient_name,date\n\n", "{path} has no appointments: only the header line"),
    ("patient_name,date,dob\nAna,12/01/2026,\nBen,12/01/2026,11/23/1979\n",
     "{path}:3: date of birth '11/23/1979' has the month first, but batch.date_formats in config.yaml reads "
     "DD/MM/YYYY, so other dates in this file would be read wrongly; set batch.date_formats to the export's "
     "format (for example %m/%d/%Y)"),
])
def test_unusable_lists_exit_2_through_the_cli(tmp_path, text, message):
    config = copy_project(tmp_path)             # its batch.date_formats is ["%d/%m/%Y"]
    path = write(tmp_path, text, name="day.csv")
    result = run_cli("batch", path, "-o", tmp_path / "out", "--config", config, cwd=tmp_path)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stderr.strip().splitlines() == [f"Error: {message.format(path=path)}"]
    assert not list(tmp_path.rglob("*.pdf"))


def test_a_row_with_a_problem_is_not_an_empty_list(tmp_path):
    result = read(write(tmp_path, "patient_name,date\n,2026-12-01\n"))
    assert result.rows == [] and one_problem(result).reason == "patient name is empty"


# -- stray carriage returns -------------------------------------------------------------------------

HEADER = "date,time,patient_name,dob,patient_id,therapist,language,email,documents"


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_stray_carriage_return_inside_a_row_is_a_space(tmp_path, newline):
    rows = [HEADER, "2026-12-01,08:30,Ana\rLima,,,,,,aftercare", '2026-12-01,09:00,"Ben\r Okafor",,,,,,',
            "2026-12-01,09:30,Cy,,,,,,info"]
    path = write(tmp_path, newline.join(rows) + newline, name="day.csv")
    result = read(path)
    assert result.problems == []
    assert [(a.line, a.patient_name, a.documents) for a in result.rows] == [
        (2, "Ana Lima", ("aftercare",)), (3, "Ben  Okafor", ("info", "consent")), (4, "Cy", ("info",))]
    assert result.warnings == [f"{path}:2: a stray carriage return inside a row was read as a space",
                               f"{path}:3: a stray carriage return inside a row was read as a space"]


def test_stray_carriage_returns_keep_the_lines_of_later_problems(tmp_path):
    path = write(tmp_path, "patient_name,date\nAna\r\rLima,2026-12-01\n\nBen,2026-02-30\r\n")
    result = read(path)
    assert [(a.line, a.patient_name) for a in result.rows] == [(2, "Ana  Lima")]
    assert one_problem(result).line == 4
    assert result.warnings == [f"{path}:2: a stray carriage return inside a row was read as a space"]


def test_old_mac_line_ends_are_still_line_ends(tmp_path):
    path = write(tmp_path, "patient_name;date\rAna;2026-12-01\r\rBen;2026-02-30\r")
    result = read(path)
    assert [(a.line, a.patient_name) for a in result.rows] == [(2, "Ana")]
    assert one_problem(result).line == 4
    assert result.warnings == []


# -- Excel's ="..." ---------------------------------------------------------------------------------

def test_excel_text_wrapper_is_unwrapped(tmp_path):
    path = write(tmp_path, 'patient_name,date,time,patient_id,language\n'
                           'Ana,="2026-12-01",="08:30",="00123",="PL"\n'
                           '"Ben","=""2026-12-01""",,"=""""",=""\n'
                           'Cy,2026-12-01,,=" 007 ",\n')
    result = read(path)
    assert result.problems == []
    assert [(a.patient_name, a.date, a.time, a.patient_id, a.language) for a in result.rows] == [
        ("Ana", DAY, "08:30", "00123", "pl"), ("Ben", DAY, None, None, "en"), ("Cy", DAY, None, "007", "en")]


@pytest.mark.parametrize("cell", ['="a"b"', '= "00123"', '=00123', '"="00123"" x"', "=SUM(A1)"])
def test_only_the_exact_excel_wrapper_is_unwrapped(tmp_path, cell):
    path = write(tmp_path, f"patient_name;date;patient_id\nAna;2026-12-01;{cell}\n")
    (row,) = read(path).rows
    expected = next(csv.reader([cell], delimiter=";", skipinitialspace=True))[0]
    assert row.patient_id == expected and row.patient_id.startswith(("=", '="'))


# -- fatal files ----------------------------------------------------------------------------------

def test_missing_file(tmp_path):
    with pytest.raises(PatientDocsError) as caught:
        read(tmp_path / "x.csv")
    assert str(caught.value) == f"appointments file '{tmp_path / 'x.csv'}' not found"


def test_folder_instead_of_file(tmp_path):
    with pytest.raises(PatientDocsError, match="is a folder"):
        read(tmp_path)


def test_latin1_file():
    path = FIXTURES / "latin1.csv"
    assert "é".encode("latin-1") in path.read_bytes()
    with pytest.raises(PatientDocsError) as caught:
        read(path)
    assert str(caught.value) == f"cannot read {path}: it is not UTF-8 text (save it as CSV UTF-8)"
    assert caught.value.exit_code == 2


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_file_with_byte_order_mark_is_read(tmp_path, encoding):
    # Excel's "Unicode Text": UTF-16 with a byte-order mark, tab-delimited, CR LF
    text = "\ufeffpatient_name\tdate\tpatient_id\r\nZoë Brontë\t2026-12-01\t00123\r\nΓιώργος\t2026-12-01\t\r\n"
    result = read(write(tmp_path, text, encoding=encoding))
    assert result.delimiter == "\t" and result.problems == []
    assert [(a.line, a.patient_name, a.patient_id) for a in result.rows] == [
        (2, "Zoë Brontë", "00123"), (3, "Γιώργος", None)]


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_file_without_byte_order_mark(tmp_path, encoding):
    path = write(tmp_path, "patient_name\tdate\nAna\t2026-12-01\n", encoding=encoding)
    with pytest.raises(PatientDocsError) as caught:
        read(path)
    assert str(caught.value) == (f"cannot read {path}: it looks like UTF-16 text without a byte-order mark; "
                                 "save it as CSV UTF-8")
    assert caught.value.exit_code == 2


def test_nul_in_a_utf8_file_with_its_mark_is_a_row_problem(tmp_path):
    result = read(write(tmp_path, "\ufeffpatient_name;date\nAna\x00;2026-12-01\nBen;2026-12-01\n"))
    assert [a.patient_name for a in result.rows] == ["Ben"]
    assert one_problem(result).line == 2


# -- values too long for Python's csv -----------------------------------------------------------------

def test_huge_unused_column_does_not_reject_the_file(tmp_path):
    huge = "x" * 200_000
    path = write(tmp_path, f"patient_name;date;notes\nAna;2026-12-01;{huge}\n{'B' * 200_000};2026-12-01;\n"
                           f"Cy;2026-12-01;\n")
    result = read(path)
    assert [(a.line, a.patient_name) for a in result.rows] == [(2, "Ana"), (4, "Cy")]
    assert (one_problem(result).line, one_problem(result).reason) == (3, "patient name is longer than 200 characters")


def test_value_over_16_million_characters(tmp_path):
    path = write(tmp_path, f"patient_name,date,notes\nAna,2026-12-01,ok\nBen,2026-12-01,{'x' * (FIELD_LIMIT + 1)}\n")
    with pytest.raises(PatientDocsError) as caught:
        read(path)
    assert str(caught.value) == f"{path}:3: a value is longer than 16 million characters; check the export"


@pytest.mark.parametrize("text", ["", "\ufeff", "\r\n\r\n", " ; ; \n,,\n", "sep=;\n"])
def test_empty_file(tmp_path, text):
    path = write(tmp_path, text) if text else FIXTURES / "empty.csv"
    with pytest.raises(PatientDocsError, match=r"is empty: (after the 'sep=' line )?it needs a header line"):
        read(path)


def test_missing_required_column_names_found_and_expected():
    path = FIXTURES / "missing-column.csv"
    with pytest.raises(PatientDocsError) as caught:
        read(path, {"patient_name": "Patient"})
    message = str(caught.value)
    assert message == (
        f"{path}:1: missing column(s) Patient (for patient_name); found: Name, Date, Time; "
        "expected: Patient (for patient_name), date (and optional: time, dob, patient_id, therapist, language, "
        "email, documents, chest_region, large_print, condition, estim_planned, risk_factors, risks_discussed); "
        "the column names are set in config.yaml under batch.columns")


def test_missing_both_required_columns(tmp_path):
    path = write(tmp_path, "Name,When\nAna,2026-12-01\n")
    with pytest.raises(PatientDocsError, match=r"missing column\(s\) patient_name, date; found: Name, When;"):
        read(path)


@pytest.mark.parametrize(("header", "row", "column", "where", "field"), [
    ("patient_name;date;Date", "Ana;2026-12-01;2026-12-02", "date", "2, 3", "date"),
    # the same column spelled two ways is a duplicate too
    ("Patient Name;patient_name;date", "Ana;Ben;2026-12-01", "Patient Name", "1, 2", "patient_name"),
])
def test_duplicate_column_that_is_read(tmp_path, header, row, column, where, field):
    path = write(tmp_path, f"{header}\n{row}\n")
    with pytest.raises(PatientDocsError) as caught:
        read(path)
    assert str(caught.value) == (f"{path}:1: the column '{column}' appears 2 times (columns {where}); rename or "
                                 f"remove the extra one(s) so that {field} is read from one column")


@pytest.mark.parametrize("name", ["Patient Name", "patient-name", "PATIENT_NAME", " patient  name ", "Patient_Name",
                                  "patientname"])
def test_header_ignores_case_spaces_underscores_and_hyphens(tmp_path, name):
    path = write(tmp_path, f"{name};Date;Patient ID;date-of-birth\nAna;2026-12-01;P-1;1984-03-09\n")
    result = read(path, {"dob": "Date of Birth"})
    assert result.columns["patient_name"] == " ".join(name.split())
    assert [(a.patient_name, a.patient_id, a.dob) for a in result.rows] == [("Ana", "P-1", dt.date(1984, 3, 9))]
    assert result.warnings == []


def test_mapped_column_ignores_underscores_and_hyphens(tmp_path):
    path = write(tmp_path, "client_name,APPT-DATE\nAna,2026-12-01\n")
    result = read(path, {"patient_name": "Client Name", "date": "Appt Date", "patient_id": "patient-id"})
    assert result.columns == {"patient_name": "client_name", "date": "APPT-DATE"}
    assert [a.patient_name for a in result.rows] == ["Ana"]
    assert result.warnings == []          # patient-id is only the default name spelled differently


def test_duplicate_column_that_is_not_read_is_ignored(tmp_path):
    path = write(tmp_path, "patient_name;date;Notes;Notes\nAna;2026-12-01;a;b\n")
    assert len(read(path).rows) == 1


def test_unclosed_quote_is_fatal(tmp_path):
    path = write(tmp_path, 'patient_name,date\nAna,2026-12-01\n"Ben,2026-12-01\nCai,2026-12-01\nDee,2026-12-01\n')
    with pytest.raises(PatientDocsError) as caught:
        read(path)
    assert str(caught.value) == (f'{path}:3: a double quote (") opened on this line is never closed, so lines 3-5 '
                                 "would be read as one value; remove the stray quote or close it")


def test_quote_inside_an_unquoted_value_is_text(tmp_path):
    path = write(tmp_path, 'patient_name,date\nAna "Nan" Lima,2026-12-01\n Bo, 2026-12-01\n "Cy, Di" ,2026-12-01\n')
    result = read(path)
    assert [a.patient_name for a in result.rows] == ['Ana "Nan" Lima', "Bo", "Cy, Di"]


@pytest.mark.parametrize(("columns", "formats", "message"), [
    ({"nmae": "Name"}, [], "batch.columns: unknown field(s) nmae"),
    ({"date": "When", "time": "when"}, [], "batch.columns: date and time are both read from the column 'When'"),
    ({"patient_id": "Client-ID", "therapist": "client id"}, [],
     "batch.columns: patient_id and therapist are both read from the column 'Client-ID'"),
    ({"therapist": "Patient Name"}, [],
     "batch.columns: patient_name and therapist are both read from the column 'patient_name'"),
    ({}, ["%Q"], "batch.date_formats: '%Q' is not a date format"),
    ({}, ["%m/%Y"], "batch.date_formats: '%m/%Y' is not a date format with day, month and year"),
])
def test_bad_settings(columns, formats, message):
    with pytest.raises(PatientDocsError, match=re.escape(message)):
        read(FIXTURES / "comma.csv", columns, formats)


# -- row values -----------------------------------------------------------------------------------

def rows_of(tmp_path: Path, header: str, *lines: str, **kwargs):
    return read(write(tmp_path, "\n".join([header, *lines]) + "\n"), **kwargs)


@pytest.mark.parametrize(("cell", "expected"), [
    ("", ("info", "consent")),
    ("packet", ("info", "consent")),
    ("PACKET", ("info", "consent")),
    ("aftercare", ("aftercare",)),
    ("consent info", ("info", "consent")),
    ("Aftercare+Info", ("info", "aftercare")),
    ("info; info , consent", ("info", "consent")),
    ("packet aftercare info", ("info", "consent", "aftercare")),
    (" + ", ("info", "consent")),
])
def test_documents(tmp_path, cell, expected):
    result = rows_of(tmp_path, "patient_name|date|documents".replace("|", "\t"), f"Ana\t2026-12-01\t{cell}")
    assert [a.documents for a in result.rows] == [expected]


def test_unknown_documents_are_listed(tmp_path):
    result = rows_of(tmp_path, "patient_name;date;documents", "Ana;2026-12-01;info xray MRI xray")
    assert one_problem(result).reason == "unknown documents 'xray', 'mri' (known: aftercare, consent, info, packet)"


def test_default_and_known_documents_are_settings(tmp_path):
    result = rows_of(tmp_path, "patient_name;date;documents", "Ana;2026-12-01;", "Ben;2026-12-01;packet",
                     known_documents={"info", "exercises"}, default_documents=("info",))
    assert [a.documents for a in result.rows] == [("info",)]
    assert one_problem(result).reason == "unknown document 'packet' (known: exercises, info)"


def test_language(tmp_path):
    result = rows_of(tmp_path, "patient_name;date;language", "Ana;2026-12-01;", "Ben;2026-12-01;PL",
                     "Cy;2026-12-01;de", default_language="pl")
    assert [a.language for a in result.rows] == ["pl", "pl"]
    assert one_problem(result).reason == "unknown language 'de' (known: en, pl)"


@pytest.mark.parametrize(("cell", "ok"), [
    ("ana@example.com", True), ("ana.lima+physio@mail.example.co.uk", True), ("zoë@exämple.de", True),
    ("ana@example", False), ("ana example@x.com", False), ("ana@@x.com", False), ("Ana <ana@x.com>", False),
    ("a@x.com, b@x.com", False), ("@x.com", False), ("ana@.com", False), ("ana@x..com", False),
    (".ana@x.com", False), ("ana@x.123", False), ("ana@-x.com", False),
])
def test_email(tmp_path, cell, ok):
    assert is_email(cell) is ok
    result = rows_of(tmp_path, "patient_name\tdate\temail", f"Ana\t2026-12-01\t{cell}")
    if ok:
        assert [a.email for a in result.rows] == [cell]
    else:
        assert one_problem(result).reason == f"email '{cell}' is not an email address"


def test_dob_after_the_appointment(tmp_path):
    result = rows_of(tmp_path, "patient_name;date;dob", "Ana;2026-12-01;2026-12-02", "Ben;2026-12-01;2026-12-01")
    assert [a.patient_name for a in result.rows] == ["Ben"]
    assert one_problem(result).reason == "date of birth 2026-12-02 is after the appointment date 2026-12-01"


def test_several_problems_in_one_row_are_reported_together(tmp_path):
    result = rows_of(tmp_path, "patient_name;date;time;language;email", ";2026-12-32;7pm;fr;nope")
    problem = one_problem(result)
    assert problem.line == 2 and problem.patient is None
    assert problem.reason == ("patient name is empty; date '2026-12-32' is not a real date; "
                              "unknown language 'fr' (known: en, pl); email 'nope' is not an email address")


def test_hostile_names(tmp_path):
    long_name = "A" * 201
    result = rows_of(
        tmp_path, "patient_name;date",
        "\"=cmd|' /C calc'!A0\";2026-12-01",
        "'+SUM(A1:A9);2026-12-01",
        '"Lee; Min-jun";2026-12-01',
        "محمد عبد الله;2026-12-01",
        "山田 太郎;2026-12-01",
        f"{long_name};2026-12-01",
        "Ana\x07Lima;2026-12-01",
        "Ana\u202eLima;2026-12-01",
        f"{'B' * 200};2026-12-01",
    )
    assert [a.patient_name for a in result.rows] == [
        "=cmd|' /C calc'!A0", "'+SUM(A1:A9)", "Lee; Min-jun", "محمد عبد الله", "山田 太郎", "B" * 200]
    assert all(KEY.fullmatch(a.key) for a in result.rows)
    assert [p.line for p in result.problems] == [7, 8, 9]
    assert result.problems[0].reason == "patient name is longer than 200 characters"
    for problem, code in zip(result.problems[1:], ["U+0007", "U+202E"], strict=True):
        # (the exact wording is clean_text's, in visit.py)
        assert problem.reason.startswith("patient name contains characters that cannot be printed")
        assert code in problem.reason


def test_nfc_names(tmp_path):
    result = rows_of(tmp_path, "patient_name;date", "Zoe\u0308 Bronte\u0308;2026-12-01")
    assert result.rows[0].patient_name == "Zoë Brontë"


@pytest.mark.parametrize(("cell", "expected"), [
    ("8:05", "08:05"), ("08:05", "08:05"), ("17:40", "17:40"), ("08:05:00", "08:05"), ("0805", "08:05"),
    ("805", "08:05"), ("8.05", "08:05"), ("8h05", "08:05"), ("8:05 AM", "08:05"), ("8:05pm", "20:05"),
    ("12:15 PM", "12:15"), ("12:15 a.m.", "00:15"), ("8am", "08:00"), ("12 pm", "12:00"), ("00:00", "00:00"),
    ("23:59", "23:59"),
])
def test_time(cell, expected):
    assert parse_time(cell) == expected


@pytest.mark.parametrize(("cell", "message"), [
    ("25:99", "time '25:99' is not a real time"),
    ("24:00", "time '24:00' is not a real time"),
    ("08:60", "time '08:60' is not a real time"),
    ("2599", "time '2599' is not a real time"),
    ("13:00 pm", "time '13:00 pm' is not a real time"),
    ("0 am", "time '0 am' is not a real time"),
    ("08:00:61", "time '08:00:61' is not a real time"),
    ("8", "time '8' is not a time (use HH:MM, for example 08:30)"),
    ("morning", "time 'morning' is not a time (use HH:MM, for example 08:30)"),
    ("08:00-08:40", "time '08:00-08:40' is not a time (use HH:MM, for example 08:30)"),
    ("08005", "time '08005' is not a time (use HH:MM, for example 08:30)"),
])
def test_bad_time(cell, message):
    with pytest.raises(PatientDocsError) as caught:
        parse_time(cell)
    assert str(caught.value) == message


def test_bad_time_is_a_row_problem(tmp_path):
    result = rows_of(tmp_path, "patient_name;date;time", "Ana;2026-12-01;25:99")
    assert one_problem(result) == RowProblem(2, "time '25:99' is not a real time", "Ana", result.source)


def test_dates():
    assert parse_date("2026-12-01", "date") == DAY
    assert parse_date("2026-12-1", "date") == DAY
    assert parse_date("1.12.2026", "date", ("%d.%m.%Y",)) == DAY
    assert parse_date("01-Dec-2026", "date", ("%d-%b-%Y",)) == DAY
    with pytest.raises(PatientDocsError, match=r"^date '31/11/2026' is not a real date$"):
        parse_date("31/11/2026", "date", ("%d/%m/%Y",))
    with pytest.raises(PatientDocsError, match=r"^date '13/13/2026' is not a real date$"):
        parse_date("13/13/2026", "date", ("%d/%m/%Y",))
    with pytest.raises(PatientDocsError, match=r"^date '2026-12-32' is not a real date$"):
        parse_date("2026-12-32", "date")
    with pytest.raises(PatientDocsError, match=r"^date '2026/12/01' is not in an accepted date format"):
        parse_date("2026/12/01", "date")
    with pytest.raises(PatientDocsError, match=r"\(use YYYY-MM-DD or DD/MM/YYYY\)$"):
        parse_date("Dec 1 2026", "date", ("%d/%m/%Y",))
    assert human_format("%d/%m/%Y") == "DD/MM/YYYY"
    assert human_format("%d-%b-%y") == "DD-Mon-YY"


# -- keys -----------------------------------------------------------------------------------------

def test_same_patient_same_slot_gets_numbered_keys(tmp_path):
    result = rows_of(tmp_path, "patient_name;date;time;patient_id",
                     "Ana Lima;2026-12-01;;", "Ben;2026-12-01;09:00;B1", "ana lima;2026-12-01;;",
                     "Ana Lima;2026-12-01;;", "Ben;2026-12-01;9:00;B1", "Ben;2026-12-01;09:00;")
    assert [a.key for a in result.rows] == [
        "2026-12-01_ana-lima", "2026-12-01_0900_ben_b1", "2026-12-01_ana-lima-2", "2026-12-01_ana-lima-3",
        "2026-12-01_0900_ben_b1-2", "2026-12-01_0900_ben"]


def test_numbered_key_never_takes_another_rows_key(tmp_path):
    # the third row's own key is what "-2" would give the second row
    result = rows_of(tmp_path, "patient_name;date;patient_id", "Ana;2026-12-01;7", "Ana;2026-12-01;7",
                     "Ana;2026-12-01;7-2")
    keys = [a.key for a in result.rows]
    assert keys == ["2026-12-01_ana_7", "2026-12-01_ana_7-3", "2026-12-01_ana_7-2"]


def test_appointment_key_parts():
    assert appointment_key(DAY, "08:00", "Γιώργος", None) == "2026-12-01_0800_giorgos"
    assert appointment_key(DAY, "08:00", "王小明", None) == "2026-12-01_0800_patient"
    assert appointment_key(DAY, None, "Ana", "../../etc") == "2026-12-01_ana_etc"
    assert appointment_key(DAY, None, "Ana", "!!!") == "2026-12-01_ana_id"


# -- anything a spreadsheet can write ---------------------------------------------------------------

# A lone CR and a NUL are rules about the whole file (tested above), so they are left out here.
names = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\x00"), max_size=60)
name_lists = st.lists(st.one_of(names, st.sampled_from(["Ana", "O'Brien, Pat", 'Mary "Molly"', "=1+2", " ; ",
                                                        "Ana\r\nLima", '="00123"'])),
                      min_size=1, max_size=6)


# How spreadsheets write CSV: a value with a line break is always quoted (Python's writer only
# quotes the characters of its own line terminator, so "minimal" quoting is used with CRLF only).
styles = st.sampled_from([(csv.QUOTE_MINIMAL, "\r\n"), (csv.QUOTE_ALL, "\n"), (csv.QUOTE_ALL, "\r\n")])


def excel_unwrapped(value: str) -> str:
    excel = re.fullmatch(r'="([^"]*)"', value)
    return excel.group(1).strip() if excel else value


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(written=name_lists, delimiter=st.sampled_from([";", ",", "\t"]), bom=st.booleans(), style=styles)
def test_any_name_reads_back_or_is_a_row_problem(tmp_path, written, delimiter, bom, style):
    quoting, terminator = style

    def csv_text(rows: list[list[str]]) -> str:
        buffer = io.StringIO(newline="")
        csv.writer(buffer, delimiter=delimiter, quoting=quoting, lineterminator=terminator).writerows(rows)
        return buffer.getvalue()

    text = csv_text([["patient_name", "date", "time"]] + [[name, "2026-12-01", "08:00"] for name in written])
    path = tmp_path / "random.csv"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))

    # Where each row starts, counting line breaks the way a text editor does.
    starts, line = [], 2
    for name in written:
        starts.append(line)
        line += len(io.StringIO(csv_text([[name, "2026-12-01", "08:00"]]), newline="").readlines())

    result = read_appointments(path, columns={}, date_formats=[], known_languages={"en"})
    got = {a.line: a.patient_name for a in result.rows}
    bad = {p.line for p in result.problems}
    assert not set(got) & bad
    assert len(got) + len(bad) == len(written)
    for start, name in zip(starts, written, strict=True):
        if start in got:
            assert got[start] == excel_unwrapped(unicodedata.normalize("NFC", name).strip())
        else:
            assert start in bad
    assert len({a.key for a in result.rows}) == len(result.rows)
    assert all(KEY.fullmatch(a.key) for a in result.rows)


tokens = st.sampled_from([*';,\t"\r\n =\ufeff\x00é', "Ana", "2026-12-01", "01/12/2026", "08:00", "packet"])


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.lists(tokens, max_size=60).map("".join),
       header=st.sampled_from(["patient_name;date", "patient_name,date,time", '"date"\t"patient_name"', ""]))
def test_any_text_file_gives_a_result_or_a_user_message(tmp_path, body, header):
    path = tmp_path / "any.csv"
    path.write_bytes((header + "\n" + body).encode("utf-8"))
    try:
        result = read_appointments(path, columns={}, date_formats=["%d/%m/%Y"], known_languages={"en"})
    except PatientDocsError as exc:
        assert "\n" not in str(exc)
        return
    lines = len(io.StringIO(header + "\n" + body, newline="").readlines())
    assert all(1 < a.line <= lines for a in result.rows)
    assert all(1 < p.line <= lines for p in result.problems)
    assert len({a.key for a in result.rows}) == len(result.rows)


def test_fields_and_documents_match_the_rest_of_the_project(tmp_path):
    from patientdocs.batch.appointments import FIELDS
    from patientdocs.kinds import KINDS
    from patientdocs.load.config import BATCH_FIELDS

    assert set(FIELDS) == set(BATCH_FIELDS)
    # The documents a row may ask for are the registry's, in its order, and its packet.
    result = rows_of(tmp_path, "patient_name;date;documents", "Ana;2026-12-01;aftercare packet", "Ben;2026-12-01;")
    assert [a.documents for a in result.rows] == [KINDS.names(), KINDS.packet()] == [
        ("info", "consent", "aftercare"), ("info", "consent")]


@pytest.mark.parametrize(("typed", "shown"), [
    ("Ana\u200bLima", "Ana?Lima"),
    ("Ana\u202eLima\t", "Ana?Lima"),
    ("\u200b\u200b", None),
])
def test_a_refused_name_is_still_shown_so_staff_can_find_the_row(tmp_path: Path, typed: str,
                                                                 shown: str | None) -> None:
    result = read(write(tmp_path, f"date,patient_name\n2026-12-01,{typed}\n"))
    assert one_problem(result).patient == shown

"""The day's appointment list (a CSV export of the clinic's scheduling system): read and check.

Pure: this module only reads the file and checks each row. A problem with the file as a whole
(missing, not UTF-8, empty or only a header, required columns missing, dates written day and month
the other way round from the settings) is a PatientDocsError; a problem with one
row is a RowProblem, collected so that every good row can still be used and every bad row is
reported once with its physical line number in the file.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from patientdocs.deliver.naming import file_stem
from patientdocs.errors import PatientDocsError, shown, where
from patientdocs.kinds import KINDS, PACKET, Registry
from patientdocs.load.address import is_email
from patientdocs.load.config import batch_columns, column_key
from patientdocs.load.visit import clean_text, human_format, parse_date, parse_yes_no

REQUIRED_FIELDS = ("patient_name", "date")
OPTIONAL_FIELDS = ("time", "dob", "patient_id", "therapist", "language", "email", "documents", "chest_region",
                   "large_print", "condition", "estim_planned", "risk_factors", "risks_discussed")
FIELDS = REQUIRED_FIELDS + OPTIONAL_FIELDS

PACKET_DOCUMENTS = KINDS.packet()

DELIMITERS = (";", ",", "\t")
_DELIMITER_NAMES = {";": "semicolon", ",": "comma", "\t": "tab"}

_WHAT = {
    "patient_name": "patient name", "date": "date", "time": "time", "dob": "date of birth",
    "patient_id": "patient id", "therapist": "therapist", "language": "language", "email": "email",
    "documents": "documents", "chest_region": "chest region", "large_print": "large print",
    "condition": "condition", "estim_planned": "electrical stimulation planned", "risk_factors": "risk factors",
    "risks_discussed": "risks discussed",
}

_DOCUMENT_SPLIT = re.compile(r"[\s,;+]+")
_TIME = re.compile(
    r"(?P<h>\d{1,2})(?:[:.h](?P<m>\d{2})(?::(?P<s>\d{2}))?)?\s*(?P<ampm>[ap])?(?(ampm)\.?\s*m\.?)", re.IGNORECASE)
_TIME_DIGITS = re.compile(r"(?P<h>\d{1,2})(?P<m>\d{2})")
_DAY_MONTH_SWAP = {"%d": "%m", "%m": "%d"}
_ISO = "%Y-%m-%d"
_EXCEL_TEXT = re.compile(r'="([^"]*)"')       # Excel's ="00123", written to keep leading zeros
_LONE_CR = re.compile(r"\r(?!\n)")

# Python's csv refuses any value over 131,072 characters, and one huge column nobody reads (notes, a pasted
# picture) would reject the whole day. The checks on the columns we use still limit their length.
FIELD_LIMIT = 16 * 1024 * 1024
csv.field_size_limit(FIELD_LIMIT)


# -- results --------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)  # slots: a day's list can hold a thousand of these
class Appointment:
    """One good row of the appointment list, every value checked and normalised."""

    line: int                       # physical line in the file where the row starts (header = 1)
    date: dt.date
    patient_name: str               # trimmed, NFC, printable
    time: str | None = None         # "HH:MM" (24-hour)
    dob: dt.date | None = None
    patient_id: str | None = None
    therapist: str | None = None
    language: str = "en"            # one of known_languages (as spelled there)
    email: str | None = None
    documents: tuple[str, ...] = PACKET_DOCUMENTS   # canonical order, no duplicates
    key: str = ""                   # unique in the list; ASCII letters, digits, '-' and '_' only
    chest_region: bool | None = None  # the therapist's yes/no; None: not stated (the warning is printed)
    large_print: bool | None = None   # None: the clinic's setting (document.large_print)
    # The consent form's therapist box; None: blanks to write in.
    condition: str | None = None
    estim_planned: bool | None = None
    risk_factors: str | None = None
    risks_discussed: str | None = None

    def visit_kwargs(self) -> dict[str, object]:
        """Keyword arguments for ``patientdocs.load.visit.make_visit``."""
        return {
            "patient": self.patient_name,
            "date": self.date,
            "dob": self.dob.isoformat() if self.dob else None,   # ISO: make_visit always accepts it
            "patient_id": self.patient_id,
            "therapist": self.therapist,
            "chest_region": self.chest_region,
            "condition": self.condition, "estim_planned": self.estim_planned,
            "risk_factors": self.risk_factors, "risks_discussed": self.risks_discussed,
        }

    @property
    def label(self) -> str:
        """How the row is named in messages: the patient, and the time if there is one."""
        return f"{self.patient_name} ({self.time})" if self.time else self.patient_name


@dataclass(frozen=True)
class RowProblem:
    """A row that cannot be used, and why (all its problems, joined by '; ')."""

    line: int
    reason: str
    patient: str | None = None
    source: str | Path | None = None

    def __str__(self) -> str:
        text = f"{self.patient}: {self.reason}" if self.patient else self.reason
        prefix = where(self.source, self.line)
        return f"{prefix}: {text}" if prefix else text

    def as_error(self) -> PatientDocsError:
        """The same problem as an exception (e.g. for ``ProblemListError``)."""
        text = f"{self.patient}: {self.reason}" if self.patient else self.reason
        return PatientDocsError(text, source=self.source, line=self.line)


@dataclass
class AppointmentList:
    source: Path
    rows: list[Appointment] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    delimiter: str = ","
    # Our field name -> the column name as written in the file's header (only columns found).
    columns: dict[str, str] = field(default_factory=dict)
    # Things worth telling the user that stop nothing (e.g. a configured optional column not found).
    warnings: list[str] = field(default_factory=list)


# -- reading --------------------------------------------------------------------------------------

def read_appointments(path: Path, *, columns: Mapping[str, str], date_formats: Iterable[str],
                      known_languages: Collection[str],
                      known_documents: Collection[str] | None = None,
                      default_documents: tuple[str, ...] | None = None,
                      default_language: str = "en", kinds: Registry = KINDS) -> AppointmentList:
    """Read an appointments CSV; file-level problems raise PatientDocsError, row problems are listed.

    The documents a row may ask for are the kinds registered (``known_documents`` narrows them);
    an empty documents cell means the packet (or ``default_documents``)."""
    path = Path(path)
    formats = _check_formats(tuple(date_formats))
    wanted = _wanted_columns(columns)
    text, stray_lines = _without_stray_carriage_returns(_read_text(path))
    lines = io.StringIO(text, newline="").readlines()   # the same line breaks as the csv reader sees

    first = _first_content_line(lines)
    if first is None:
        raise PatientDocsError(
            f"{path} is empty: it needs a header line with the column names, then one line per appointment")
    delimiter, header_index = _delimiter(path, lines, first)
    _check_quotes_closed(path, lines, header_index, delimiter)

    reader = csv.reader(io.StringIO("".join(lines[header_index:]), newline=""), delimiter=delimiter,
                        skipinitialspace=True)
    offset = header_index            # physical line = offset + reader.line_num
    try:
        header = [_unwrap(h) for h in next(reader)]
    except csv.Error as exc:
        raise _unreadable(exc, "the header", path, offset + 1) from None
    header_line = offset + 1
    positions, found_names = _match_header(path, header_line, header, wanted)

    result = AppointmentList(source=path, delimiter=delimiter,
                             columns={f: found_names[i] for f, i in positions.items()})
    result.warnings.extend(f"{where(path, n)}: a stray carriage return inside a row was read as a space"
                           for n in stray_lines)
    for fld in OPTIONAL_FIELDS:
        if fld not in positions and column_key(wanted[fld]) != column_key(fld):
            result.warnings.append(
                f"{where(path, header_line)}: no column '{wanted[fld]}' (set in batch.columns for {fld}); "
                f"{_WHAT[fld]} left empty")

    checker = _RowChecker(formats=formats, known_languages=known_languages,
                          known_documents=kinds.names() if known_documents is None else known_documents,
                          default_documents=kinds.packet() if default_documents is None else default_documents,
                          default_language=default_language, kinds=kinds)
    width = len(header)
    end = reader.line_num
    while True:
        start = offset + end + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise _unreadable(exc, "this line", path, offset + reader.line_num) from None
        end = reader.line_num
        values = [_unwrap(c) for c in cells]
        if not any(values):
            continue                                  # blank line, or only delimiters and spaces
        row = {f: (values[i] if i < len(values) else "") for f, i in positions.items()}
        extra = [v for v in values[width:] if v]
        made = checker.check(start, row)
        if extra:
            name = _DELIMITER_NAMES[delimiter]
            more = (f"the line has {len(values)} values but the header has {width} columns "
                    f"(a {name} inside a value must be in double quotes)")
            if isinstance(made, RowProblem):
                made = replace(made, reason=f"{more}; {made.reason}")
            else:
                made = RowProblem(start, more, made.patient_name)
        if isinstance(made, RowProblem):
            result.problems.append(replace(made, source=path))
        else:
            result.rows.append(made)
    if checker.order_clash:
        raise checker.order_clash.error(path)
    if not result.rows and not result.problems:
        raise PatientDocsError(f"{path} has no appointments: only the header line")
    result.rows = _with_keys(result.rows)
    return result


def _unwrap(cell: str) -> str:
    """The value of a cell: spaces around it ignored, and Excel's ="00123" read as 00123."""
    value = cell.strip()
    excel = _EXCEL_TEXT.fullmatch(value)
    return excel.group(1).strip() if excel else value


def _unreadable(exc: csv.Error, what: str, path: Path, line: int) -> PatientDocsError:
    if "field larger than field limit" in str(exc):
        return PatientDocsError("a value is longer than 16 million characters; check the export",
                                source=path, line=line)
    return PatientDocsError(f"cannot read {what} ({exc})", source=path, line=line)


def appointment_key(date: dt.date, time: str | None, patient_name: str, patient_id: str | None) -> str:
    """``2026-12-01_0800_anna-kowalska_rp-10234`` (parts left out when empty); safe as a file name."""
    return file_stem(date, patient_name, patient_id, time=time)


def _with_keys(rows: list[Appointment]) -> list[Appointment]:
    """Give each row its key; the second and later rows with the same key get -2, -3 ... in file order."""
    natural = [appointment_key(r.date, r.time, r.patient_name, r.patient_id) for r in rows]
    taken = set(natural)
    seen: set[str] = set()
    keyed = []
    for row, key in zip(rows, natural, strict=True):
        if key in seen:
            n = 2
            while f"{key}-{n}" in taken:
                n += 1
            key = f"{key}-{n}"
            taken.add(key)
        seen.add(key)
        keyed.append(replace(row, key=key))
    return keyed


# -- the file -------------------------------------------------------------------------------------

_MAX_BYTES = 64 * 1024 * 1024  # a day's list is kilobytes; a device such as /dev/zero never ends


def _read_text(path: Path) -> str:
    try:
        if path.exists() and not path.is_file() and not path.is_dir():  # a pipe would wait forever
            raise PatientDocsError(f"appointments file '{path}' is not a regular file (a device or a pipe)")
        with path.open("rb") as handle:
            raw = handle.read(_MAX_BYTES + 1)
        if len(raw) > _MAX_BYTES:
            raise PatientDocsError(f"appointments file '{path}' is larger than {_MAX_BYTES // (1024 * 1024)} MB; "
                                   "is it the right file?")
    except FileNotFoundError:
        raise PatientDocsError(f"appointments file '{path}' not found") from None
    except IsADirectoryError:
        raise PatientDocsError(f"appointments file '{path}' is a folder, not a CSV file") from None
    except OSError as exc:
        raise PatientDocsError(f"cannot read {path} ({exc.strerror})") from None
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):     # Excel's "Unicode Text"
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            raise PatientDocsError(f"cannot read {path}: it starts like UTF-16 text but is damaged; "
                                   f"save it as CSV UTF-8") from None
    if not raw.startswith(codecs.BOM_UTF8) and _nul_every_other(raw[:1000]):
        # Without its mark, UTF-16 English text is valid UTF-8 with a NUL after every letter.
        raise PatientDocsError(f"cannot read {path}: it looks like UTF-16 text without a byte-order mark; "
                               f"save it as CSV UTF-8")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PatientDocsError(f"cannot read {path}: it is not UTF-8 text (save it as CSV UTF-8)") from None


def _nul_every_other(head: bytes) -> bool:
    """NULs in every other byte, as in UTF-16 English text; a stray NUL or two is not that."""
    return max(head[0::2].count(0), head[1::2].count(0)) > len(head) // 4


def _without_stray_carriage_returns(text: str) -> tuple[str, list[int]]:
    """The text with each stray carriage return (CR) read as a space, and the lines it was on.

    A lone CR in a file whose lines end in LF or CR LF was pasted into a cell, and the csv reader
    would end the row there. Lines are counted by LF, as the user's editor shows them. When lone
    CRs are most of the line ends (old Mac style) they are the line ends and are kept.
    """
    strays = [m.start() for m in _LONE_CR.finditer(text)]
    if not strays or len(strays) > text.count("\n"):
        return text, []
    lines: list[int] = []
    line, counted = 1, 0
    for position in strays:
        line += text.count("\n", counted, position)
        counted = position
        if not lines or lines[-1] != line:
            lines.append(line)
    return _LONE_CR.sub(" ", text), lines


def _check_quotes_closed(path: Path, lines: list[str], first: int, delimiter: str) -> None:
    """A double quote opened and never closed would swallow the rest of the file into one value.

    Follows the csv reader's rules: a quote only opens at the start of a value (after spaces),
    and "" inside quotes is a literal quote.
    """
    opened_at = 0
    state = "start"                    # start of a value, in an unquoted value, in quotes, quote seen in quotes
    ends = (delimiter, "\r", "\n")
    for number, line in enumerate(lines[first:], start=first + 1):
        for char in line:
            if state == "quoted":
                if char == '"':
                    state = "quote"
            elif state == "quote":
                state = "quoted" if char == '"' else ("start" if char in ends else "field")
            elif state == "start" and char == '"':
                state, opened_at = "quoted", number
            elif char in ends:
                state = "start"
            elif state == "start" and char == " ":
                pass
            else:
                state = "field"
    if state == "quoted":
        raise PatientDocsError(
            f"a double quote (\") opened on this line is never closed, so lines {opened_at}-{len(lines)} "
            f"would be read as one value; remove the stray quote or close it", source=path, line=opened_at)


def _is_blank(line: str) -> bool:
    return not line.strip(" \t\r\n;,\ufeff\u00a0")


def _first_content_line(lines: list[str]) -> int | None:
    return next((i for i, line in enumerate(lines) if not _is_blank(line)), None)


def _delimiter(path: Path, lines: list[str], first: int) -> tuple[str, int]:
    """The delimiter (from Excel's ``sep=;`` line, or counted in the header) and the header's index."""
    line = lines[first].strip().lstrip("\ufeff")
    directive = re.fullmatch(r"sep=(.)", line, re.IGNORECASE)
    if directive and directive.group(1) in DELIMITERS:
        following = _first_content_line(lines[first + 1:])
        if following is None:
            raise PatientDocsError(f"{path} is empty: after the 'sep=' line it needs a header line with the "
                                   f"column names, then one line per appointment")
        return directive.group(1), first + 1 + following
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])
    return (best if counts[best] else ","), first


def _wanted_columns(columns: Mapping[str, str]) -> dict[str, str]:
    return batch_columns(columns, FIELDS)


def _match_header(path: Path, line: int, header: list[str], wanted: dict[str, str]
                  ) -> tuple[dict[str, int], list[str]]:
    names = [" ".join(h.replace("\ufeff", "").split()) for h in header]
    index: dict[str, list[int]] = {}
    for i, name in enumerate(names):
        if name:
            index.setdefault(column_key(name), []).append(i)
    positions: dict[str, int] = {}
    missing = []
    for fld, column in wanted.items():
        found = index.get(column_key(column), [])
        if len(found) > 1:
            where_ = ", ".join(str(i + 1) for i in found)
            raise PatientDocsError(f"the column '{names[found[0]]}' appears {len(found)} times (columns {where_}); "
                                   f"rename or remove the extra one(s) so that {fld} is read from one column",
                                   source=path, line=line)
        if found:
            positions[fld] = found[0]
        elif fld in REQUIRED_FIELDS:
            missing.append(fld)
    if missing:
        def shown(fld: str) -> str:
            return wanted[fld] if column_key(wanted[fld]) == column_key(fld) else f"{wanted[fld]} (for {fld})"
        found_text = ", ".join(n for n in names if n) or "no column names"
        raise PatientDocsError(
            f"missing column(s) {', '.join(shown(f) for f in missing)}; found: {found_text}; "
            f"expected: {', '.join(shown(f) for f in REQUIRED_FIELDS)} "
            f"(and optional: {', '.join(shown(f) for f in OPTIONAL_FIELDS)}); "
            f"the column names are set in config.yaml under batch.columns", source=path, line=line)
    return positions, names


# -- one row --------------------------------------------------------------------------------------

class _RowChecker:
    def __init__(self, *, formats: tuple[str, ...], known_languages: Collection[str],
                 known_documents: Collection[str], default_documents: tuple[str, ...], default_language: str,
                 kinds: Registry):
        self.formats = formats
        self.languages = {lang.casefold(): lang for lang in known_languages}
        self.default_language = default_language
        self.documents = set(known_documents)
        self.document_names = set(self.documents)
        self.packet = kinds.packet()
        if self.packet and all(d in self.documents for d in self.packet):
            self.document_names.add(PACKET)
        self.order = {name: i for i, name in enumerate(kinds.names())}
        self.default_documents = self.canonical(default_documents)
        # The first date that only reads with day and month swapped: the file contradicts the settings.
        self.order_clash: _OrderClash | None = None

    def check(self, line: int, row: dict[str, str]) -> Appointment | RowProblem:
        problems: list[str] = []

        def text(fld: str, *, required: bool = False) -> str | None:
            value = row.get(fld, "")
            if "\n" in value or "\r" in value:
                problems.append(f"{_WHAT[fld]} contains a line break")
                return None
            try:
                return clean_text(value, _WHAT[fld], required=required)
            except PatientDocsError as exc:
                problems.append(exc.message)
                return None

        name = text("patient_name", required=True)
        date = self.date(line, row.get("date", ""), "date", problems, required=True)
        time = self.time(row.get("time", ""), problems)
        dob = self.date(line, row.get("dob", ""), "date of birth", problems)
        if dob and date and dob > date:
            problems.append(f"date of birth {dob.isoformat()} is after the appointment date {date.isoformat()}")
        patient_id = text("patient_id")
        therapist = text("therapist")
        language = self.language(row.get("language", ""), problems)
        email = self.email(text("email"), problems)
        documents = self.documents_of(row.get("documents", ""), problems)
        chest_region = self.yes_no(row, "chest_region", problems)
        large_print = self.yes_no(row, "large_print", problems)
        condition = text("condition")
        estim_planned = self.yes_no(row, "estim_planned", problems)
        risk_factors = text("risk_factors")
        risks_discussed = text("risks_discussed")
        if problems or name is None or date is None:
            # A refused name is still shown (its invisible characters as "?"), so staff can find the row.
            return RowProblem(line, "; ".join(problems), name or _visible(row.get("patient_name", "")) or None)
        return Appointment(line=line, date=date, patient_name=name, time=time, dob=dob, patient_id=patient_id,
                           therapist=therapist, language=language, email=email, documents=documents,
                           chest_region=chest_region, large_print=large_print, condition=condition,
                           estim_planned=estim_planned, risk_factors=risk_factors, risks_discussed=risks_discussed)

    def yes_no(self, row: dict[str, str], fld: str, problems: list[str]) -> bool | None:
        try:
            return parse_yes_no(row.get(fld, ""), _WHAT[fld])
        except PatientDocsError as exc:
            problems.append(exc.message)
            return None

    def date(self, line: int, value: str, what: str, problems: list[str], *,
             required: bool = False) -> dt.date | None:
        if not value:
            if required:
                problems.append(f"{what} is empty")
            return None
        try:
            return parse_date(value, what, self.formats, hint="" if self.formats else
                              ", or a format set in config.yaml under batch.date_formats")
        except PatientDocsError as exc:
            problems.append(exc.message)
            if self.order_clash is None:
                self.order_clash = _OrderClash.of(line, what, value, self.formats)
            return None

    def time(self, value: str, problems: list[str]) -> str | None:
        if not value:
            return None
        try:
            return parse_time(value)
        except PatientDocsError as exc:
            problems.append(exc.message)
            return None

    def language(self, value: str, problems: list[str]) -> str:
        if not value:
            return self.default_language
        found = self.languages.get(value.casefold())
        if found is None:
            known = ", ".join(sorted(self.languages.values())) or "none"
            problems.append(f"unknown language '{shown(value)}' (known: {known})")
            return self.default_language
        return found

    def email(self, value: str | None, problems: list[str]) -> str | None:
        if value and not is_email(value):
            problems.append(f"email '{shown(value)}' is not an email address")
            return None
        return value

    def documents_of(self, value: str, problems: list[str]) -> tuple[str, ...]:
        names = [n.casefold() for n in _DOCUMENT_SPLIT.split(value) if n]
        if not names:
            return self.default_documents
        unknown = [n for n in dict.fromkeys(names) if n not in self.document_names]
        if unknown:
            listed = ", ".join(f"'{shown(n)}'" for n in unknown)
            known = ", ".join(sorted(self.document_names))
            problems.append(f"unknown document{'s' if len(unknown) > 1 else ''} {listed} (known: {known})")
            return ()
        chosen: list[str] = []
        for n in names:
            chosen.extend(self.packet if n == PACKET else (n,))
        return self.canonical(chosen)

    def canonical(self, documents: Iterable[str]) -> tuple[str, ...]:
        """In the registry's order (then by name), without duplicates."""
        return tuple(sorted(dict.fromkeys(documents), key=lambda d: (self.order.get(d, len(self.order)), d)))


@dataclass(frozen=True)
class _OrderClash:
    """A date that no configured format reads, but one would with day and month swapped.

    Then the file writes day and month the other way round from batch.date_formats, and its
    dates that read both ways (12/01/2026) would silently be the wrong day: the file is refused.
    """

    line: int
    what: str
    value: str
    configured: str      # the format in batch.date_formats ...
    swapped: str         # ... and the same with day and month swapped, which reads the value

    @classmethod
    def of(cls, line: int, what: str, value: str, formats: tuple[str, ...]) -> _OrderClash | None:
        accepted = (_ISO, *formats)
        if any(_reads(value, fmt) for fmt in accepted):
            return None                     # read, but two formats disagree: already a row problem
        for fmt in formats:
            swapped = _swap_day_month(fmt)
            if swapped not in accepted and _reads(value, swapped):
                return cls(line, what, value, fmt, swapped)
        return None

    def error(self, path: Path) -> PatientDocsError:
        tokens = re.findall(r"%.", self.swapped)
        first = "month" if tokens.index("%m") < tokens.index("%d") else "day"
        return PatientDocsError(
            f"{self.what} '{shown(self.value)}' has the {first} first, but batch.date_formats in config.yaml "
            f"reads {human_format(self.configured)}, so other dates in this file would be read wrongly; "
            f"set batch.date_formats to the export's format (for example {self.swapped})",
            source=path, line=self.line)


def _swap_day_month(fmt: str) -> str:
    """``%d/%m/%Y`` -> ``%m/%d/%Y``; a format without both %d and %m comes back unchanged."""
    tokens = re.findall(r"%.", fmt)
    if "%d" not in tokens or "%m" not in tokens:
        return fmt
    return re.sub(r"%.", lambda m: _DAY_MONTH_SWAP.get(m.group(0), m.group(0)), fmt)


def _reads(value: str, fmt: str) -> bool:
    try:
        dt.datetime.strptime(value.strip(), fmt)
    except ValueError:
        return False
    return True


def _visible(value: str) -> str:
    """A value as it can be shown in a report: characters that do not print become "?"."""
    marked = "".join("?" if unicodedata.category(c)[0] in "CZ" and c != " " else c for c in value).strip(" ?")
    return shown(marked) if marked else ""


# -- values ---------------------------------------------------------------------------------------

def _check_formats(formats: tuple[str, ...]) -> tuple[str, ...]:
    probe = dt.date(2026, 12, 31)
    for fmt in formats:
        try:
            ok = dt.datetime.strptime(probe.strftime(fmt), fmt).date() == probe
        except ValueError:
            ok = False
        if not ok:
            raise PatientDocsError(f"batch.date_formats: '{fmt}' is not a date format with day, month and year "
                                   f"(for example %d/%m/%Y for 01/12/2026)")
    return formats


def parse_time(text: str) -> str:
    """``8:05``, ``08:05``, ``08:05:00``, ``0805``, ``8.05``, ``8:05 pm``, ``8am`` -> ``HH:MM`` (24-hour)."""
    value = text.strip()
    match = _TIME.fullmatch(value)
    if match and (match.group("m") or match.group("ampm")):
        hour, minute = int(match.group("h")), int(match.group("m") or 0)
        second = int(match.group("s") or 0)
        ampm = (match.group("ampm") or "").lower()
        if ampm:
            if not 1 <= hour <= 12:
                raise PatientDocsError(f"time '{shown(value)}' is not a real time")
            hour = hour % 12 + (12 if ampm == "p" else 0)
    elif (digits := _TIME_DIGITS.fullmatch(value)) and len(value) in (3, 4):
        hour, minute, second = int(digits.group("h")), int(digits.group("m")), 0
    else:
        raise PatientDocsError(f"time '{shown(value)}' is not a time (use HH:MM, for example 08:30)")
    if hour > 23 or minute > 59 or second > 59:
        raise PatientDocsError(f"time '{shown(value)}' is not a real time")
    return f"{hour:02d}:{minute:02d}"

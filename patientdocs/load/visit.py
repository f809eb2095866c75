"""Who the document is for and what happened: checked once, then treated as plain data."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from typing import TypeVar

from patientdocs.errors import PatientDocsError, shown
from patientdocs.frozen import frozen

T = TypeVar("T")

MAX_FIELD = 200
# A visit far outside these years is a typing or export error (0001-01-01, 9999-12-31, 2206).
FIRST_YEAR, LAST_YEAR = 2000, 2099
MAX_AGE = 125
MAX_NEXT_VISIT_DAYS = 366  # a follow-up is weeks away: years away is a typing slip
# What strptime's %Y-%m-%d accepts: four-digit year, month and day with or without a zero.
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")


_STRFTIME_HUMAN = {"%d": "DD", "%m": "MM", "%Y": "YYYY", "%y": "YY", "%b": "Mon", "%B": "Month", "%%": "%"}


def today() -> dt.date:
    """Today, or the day of SOURCE_DATE_EPOCH when it is set: in both cases the clinic's own (local)
    day, as the clock on the wall shows it, not the day in UTC."""
    import os

    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch)).date()
    return dt.date.today()


def now() -> dt.datetime:
    """This moment in UTC, or the reproducible build time when SOURCE_DATE_EPOCH is set (a seal's
    signing time, so a sealed file is byte-identical run to run)."""
    import os

    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC)
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def human_format(fmt: str) -> str:
    """``%d/%m/%Y`` -> ``DD/MM/YYYY``: how a date format is shown to front-desk staff."""
    return re.sub(r"%.", lambda m: _STRFTIME_HUMAN.get(m.group(0), m.group(0)), fmt)


def _shape(fmt: str) -> re.Pattern[str]:
    """What text written in ``fmt`` looks like, whatever the numbers: %d/%m/%Y -> \\d{1,2}/\\d{1,2}/\\d{4}."""
    parts = {"%d": r"\d{1,2}", "%m": r"\d{1,2}", "%Y": r"\d{4}", "%y": r"\d{2}", "%b": r"[^\W\d_]+",
             "%B": r"[^\W\d_]+", "%%": "%"}
    pieces = re.split(r"(%.)", fmt)
    return re.compile("".join(parts.get(p, r"(?!)") if p.startswith("%") and len(p) == 2 else re.escape(p)
                              for p in pieces), re.IGNORECASE)


def parse_date(text: str, what: str, formats: tuple[str, ...] = (), *, hint: str = "") -> dt.date:
    """A date typed at the desk or read from an export: ISO YYYY-MM-DD (always) or one of the
    clinic's formats. Never guessed: if two formats read the same text as different dates, that
    is an error too. ``hint`` follows the accepted formats in the message when none fits."""
    value = text.strip()
    results: dict[dt.date, str] = {}
    impossible = False
    iso = _ISO_DATE.fullmatch(value)
    if iso:
        try:
            results[dt.date(*map(int, iso.groups()))] = "%Y-%m-%d"
        except ValueError:
            impossible = True  # 2026-13-45: the shape of a date, but no such day
    for fmt in formats:  # strptime is loaded only for a clinic's own formats (it costs ~2 ms)
        try:
            results.setdefault(dt.datetime.strptime(value, fmt).date(), fmt)
        except ValueError as exc:
            # "time data ... does not match" / "unconverted data remains": not this format, unless the
            # digits are where the format has them (31/13/2026): then there is no such date. Anything
            # else ("day is out of range for month"): right shape, but no such date.
            impossible = (impossible or not str(exc).startswith(("time data", "unconverted data"))
                          or _shape(fmt).fullmatch(value) is not None)
    if len(results) == 1:
        return next(iter(results))
    if len(results) > 1:
        readings = " or ".join(f"{d.isoformat()} ({human_format(f)})" for d, f in results.items())
        raise PatientDocsError(f"{what} '{shown(value)}' could be {readings} (two of the formats in "
                               f"batch.date_formats read it differently)")
    if impossible:
        raise PatientDocsError(f"{what} '{shown(value)}' is not a real date")
    accepted = " or ".join(human_format(f) for f in ("%Y-%m-%d", *formats))
    raise PatientDocsError(f"{what} '{shown(value)}' is not in an accepted date format (use {accepted}{hint})")


# Controls, invisible format marks (zero-width space, direction overrides), surrogates, private
# use, unassigned, and the line and paragraph separators (U+2028, U+2029): none prints as text.
_UNPRINTABLE = frozenset(("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"))
_KNOWN_INVISIBLES = {"\t": "a tab", "\n": "a line break", "\r": "a line break", "\u00a0": "a no-break space"}


def _describe(char: str) -> str:
    """An invisible character as staff can understand it: "a tab", "ZERO WIDTH SPACE (U+200B)"."""
    if char in _KNOWN_INVISIBLES:
        return _KNOWN_INVISIBLES[char]
    name = unicodedata.name(char, "")
    return f"{name} (U+{ord(char):04X})" if name else f"U+{ord(char):04X}"


def _script_letter(char: str) -> bool:
    """A letter of Arabic (Persian, Urdu) or a script of India, where zero-width joiners matter."""
    return 0x0600 <= ord(char) <= 0x06FF or 0x0900 <= ord(char) <= 0x0DFF


def _joins(text: str, i: int) -> bool:
    """A zero-width (non-)joiner between two such letters: Persian writes می‌خواهم with one, and
    Indic spellings choose a conjunct's form with them. Anywhere else it is invisible junk."""
    return (text[i] in "\u200c\u200d" and 0 < i < len(text) - 1
            and _script_letter(text[i - 1]) and _script_letter(text[i + 1]))


def clean_text(value: str | None, what: str, *, required: bool = False,
               max_len: int = MAX_FIELD) -> str | None:
    """Trim, normalise to NFC and refuse control characters: they cannot be printed."""
    if value is None:
        if required:
            raise PatientDocsError(f"{what} is empty")
        return None
    text = unicodedata.normalize("NFC", value).strip()
    if not text:
        if required:
            raise PatientDocsError(f"{what} is empty")
        return None
    bad = sorted({c for i, c in enumerate(text) if unicodedata.category(c) in _UNPRINTABLE
                  and not _joins(text, i)})
    if bad:
        codes = ", ".join(_describe(c) for c in bad[:5]) + (f" and {len(bad) - 5} more" if len(bad) > 5 else "")
        raise PatientDocsError(f"{what} contains characters that cannot be printed: {codes}; "
                               "retype it, or copy it from somewhere else")
    if len(text) > max_len:
        raise PatientDocsError(f"{what} is longer than {max_len} characters")
    return text


# How a yes/no column or option may be written ("Y", "true", "1", ...); empty means not stated.
_YES = frozenset({"yes", "y", "true", "t", "1", "x", "ja", "oui", "si", "sí"})
_NO = frozenset({"no", "n", "false", "f", "0", "nein", "non"})


def parse_yes_no(value: str | bool | None, what: str) -> bool | None:
    """``yes``/``no`` as typed or exported (Y, N, true, 1, ...): True, False, or None when empty."""
    if value is None or isinstance(value, bool):
        return value
    text = value.strip().casefold()
    if not text:
        return None
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise PatientDocsError(f"{what} '{shown(value.strip())}' is not yes or no (write yes or no, or leave it empty)")


@frozen
class Visit:
    patient: str
    date: dt.date
    dob: dt.date | None = None
    patient_id: str | None = None
    therapist: str | None = None
    areas: tuple[str, ...] = ()
    estim: bool = False
    note: str | None = None
    next_visit: dt.date | None = None
    interpreter: str | None = None
    # The therapist's answer to "did you needle near the chest wall, upper back, neck or
    # shoulder?": None when not stated, and then the sheet warns as if they did.
    chest_region: bool | None = None
    # The consent form's therapist box (what this patient is agreeing to): printed as blanks to
    # write in when not given. estim_planned None: not stated, so its risk lines are printed.
    condition: str | None = None
    estim_planned: bool | None = None
    risk_factors: str | None = None
    risks_discussed: str | None = None

    def as_context(self) -> dict[str, object]:
        return {
            "patient": self.patient, "date": self.date, "dob": self.dob, "patient_id": self.patient_id,
            "therapist": self.therapist, "areas": list(self.areas), "estim": self.estim, "note": self.note,
            "next_visit": self.next_visit, "interpreter": self.interpreter,
            "chest_region": self.chest_region,
            "condition": self.condition, "estim_planned": self.estim_planned,
            "risk_factors": self.risk_factors, "risks_discussed": self.risks_discussed,
        }


def _tagged(field_name: str, check: Callable[[], T]) -> T:
    """``check()``, its error marked as being about the input ``field_name``."""
    try:
        return check()
    except PatientDocsError as exc:
        if exc.field is None:
            exc.field = field_name
        raise


def make_visit(*, patient: str | None, date: str | dt.date | None, dob: str | None = None,
               patient_id: str | None = None, therapist: str | None = None,
               areas: tuple[str, ...] = (), estim: bool = False, note: str | None = None,
               next_visit: str | None = None, interpreter: str | None = None,
               chest_region: str | bool | None = None,
               condition: str | None = None, estim_planned: str | bool | None = None,
               risk_factors: str | None = None, risks_discussed: str | None = None,
               today: dt.date | None = None, date_formats: tuple[str, ...] = ()) -> Visit:
    """Build a Visit from user text, with one clear error for the first bad value."""
    name = _tagged("patient", lambda: clean_text(patient, "patient name", required=True))
    assert name is not None
    if isinstance(date, dt.date):
        visit_date = date
    elif date:
        visit_date = _tagged("date", lambda: parse_date(date, "date", date_formats))
    elif date is not None:  # typed, but empty: not the same as leaving it out
        raise PatientDocsError("date is empty; give the visit's date as YYYY-MM-DD, or leave it out for today",
                               field="date")
    else:
        visit_date = today or dt.date.today()
    if not FIRST_YEAR <= visit_date.year <= LAST_YEAR:
        raise PatientDocsError(f"date {visit_date.isoformat()} is not a likely visit date "
                               f"(check the year: {FIRST_YEAR}-{LAST_YEAR})", field="date")
    birth = _tagged("dob", lambda: parse_date(dob, "date of birth", date_formats)) if dob else None
    if birth and birth.year < visit_date.year - MAX_AGE:
        raise PatientDocsError(f"date of birth {birth.isoformat()} is more than {MAX_AGE} years ago (check the year)",
                               field="dob")
    if birth and birth > visit_date:
        raise PatientDocsError(f"date of birth {birth.isoformat()} is after the visit date {visit_date.isoformat()}",
                               field="dob")
    following = (_tagged("next_visit", lambda: parse_date(next_visit, "next visit", date_formats))
                 if next_visit else None)
    if following and following <= visit_date:
        raise PatientDocsError(f"next visit {following.isoformat()} is not after this visit ({visit_date.isoformat()})",
                               field="next_visit")
    if following and (following - visit_date).days > MAX_NEXT_VISIT_DAYS:
        raise PatientDocsError(f"next visit {following.isoformat()} is more than a year after this visit "
                               f"({visit_date.isoformat()}); check the date", field="next_visit")
    return Visit(
        patient=name,
        date=visit_date,
        dob=birth,
        patient_id=_tagged("patient_id", lambda: clean_text(patient_id, "patient id")),
        therapist=_tagged("therapist", lambda: clean_text(therapist, "therapist")),
        areas=_tagged("areas", lambda: tuple(a for a in (clean_text(x, "area treated") for x in areas) if a)),
        estim=estim,
        note=_tagged("note", lambda: clean_text(note, "note", max_len=1000)),
        next_visit=following,
        interpreter=_tagged("interpreter", lambda: clean_text(interpreter, "interpreter")),
        chest_region=_tagged("chest_region", lambda: parse_yes_no(chest_region, "chest region")),
        condition=_tagged("condition", lambda: clean_text(condition, "condition")),
        estim_planned=_tagged("estim_planned", lambda: parse_yes_no(estim_planned, "electrical stimulation planned")),
        risk_factors=_tagged("risk_factors", lambda: clean_text(risk_factors, "risk factors", max_len=500)),
        risks_discussed=_tagged("risks_discussed", lambda: clean_text(risks_discussed, "risks discussed",
                                                                      max_len=500)),
    )

"""Treatment content (``handouts/<treatment>/<language>.yaml``): load, validate, cross-check.

One risk catalogue serves every document. Each risk's frequency band is computed here from
its numbers, so templates can only print what the numbers say.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import field
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from patientdocs.errors import PatientDocsError, ProblemListError
from patientdocs.load import frequency, loadcache, textfile
from patientdocs.load.schema import record, spec

if TYPE_CHECKING:
    from patientdocs.load.yamlsource import Document

BAND_KEYS = ("very_common", "common", "uncommon", "rare", "very_rare", "unknown")


@record
class Source:
    short: str = spec(min_length=1)
    cite: str = spec(min_length=1)


@record
class RiskTable:
    title: str
    per: int = spec(gt=0)
    intro: str = ""


@record
class Estimate:
    # Never 0: where none were seen, give the upper bound with qualifier fewer_than.
    count: float = spec(gt=0)
    per: int = spec(gt=0)
    of: str = spec(min_length=1)
    source: str = spec(min_length=1)
    count_high: float | None = spec(default=None, ge=0)
    qualifier: Literal["about", "fewer_than"] = "about"

    @property
    def high(self) -> float:
        return self.count_high if self.count_high is not None else self.count

    @property
    def rate(self) -> Fraction:
        return frequency.exact_rate(self.high, self.per)

    def problems(self) -> list[str]:
        if self.count_high is not None and self.count_high < self.count:
            return ["count_high must not be less than count"]
        if self.high > self.per:
            return [f"count {self.high:g} is more than per {self.per}"]
        return []


@record
class Risk:
    id: str
    table: str
    effect: str = spec(min_length=1)
    estimates: list[Estimate] = field(default_factory=list)
    reports_only: bool = False
    source: str | None = None
    note: str | None = None

    def problems(self) -> list[str]:
        if self.reports_only:
            if self.estimates:
                return ["a risk with reports_only: true has no estimates"]
            if not self.source:
                return ["a risk with reports_only: true needs a source"]
        elif not self.estimates:
            return ["needs at least one estimate (count, per, of, source) or reports_only: true"]
        # The estimates print as one phrase with the first one's qualifier: "about" and "fewer than"
        # mixed, one would be dropped without a word.
        qualifiers = list(dict.fromkeys(e.qualifier for e in self.estimates))
        if len(qualifiers) > 1:
            return [f"estimates: qualifier {' and '.join(repr(q) for q in qualifiers)} are mixed, but one phrase is "
                    "printed for them all; give every estimate of this risk the same qualifier, or split the risk"]
        return []

    @property
    def rate(self) -> Fraction | None:
        return None if self.reports_only else max(e.rate for e in self.estimates)

    @property
    def band(self) -> frequency.Band:
        return frequency.band(self.rate)

    @property
    def source_ids(self) -> list[str]:
        return [self.source] if self.source else [e.source for e in self.estimates]

    def phrase(self, table_per: int) -> frequency.Phrase | None:
        """The risk as one figure on the table's denominator: "about 5 to 16 in 100 treatments"."""
        if self.reports_only:
            return None
        first = self.estimates[0]
        low = min(frequency.exact_rate(e.count, e.per) for e in self.estimates)
        high = max(e.rate for e in self.estimates)
        denominator = frequency.denominator_for(low, table_per)
        low_count = frequency.round_count(low * denominator)
        high_count = frequency.round_count(high * denominator)
        return frequency.Phrase(first.qualifier, low_count, high_count if high_count != low_count else None,
                                denominator, first.of)


@record
class Section:
    id: str
    heading: str
    text: list[str] = field(default_factory=list)
    points: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)


@record
class InfoSheet:
    title: str
    sections: list[Section] = spec(min_length=1)
    intro: str = ""
    closing: str = ""


@record
class Question:
    id: str
    text: str
    kind: Literal["stop", "caution"] = "caution"


@record
class Screening:
    heading: str
    questions: list[Question] = spec(min_length=1)
    intro: str = ""


@record
class Declaration:
    heading: str
    statements: list[str] = spec(min_length=1)


@record
class ConsentForm:
    title: str
    sections: list[Section] = spec(min_length=1)
    screening: Screening
    declaration: Declaration
    signers: dict[str, str]
    intro: str = ""


@record
class RedFlags:
    heading: str
    emergency: list[str] = spec(min_length=1)
    chest_warning: str  # the therapist said the chest region was needled (--chest-region yes)
    # Not stated (no --chest-region, an empty chest_region column): the warning cannot say where
    # needles went, and is printed anyway, because a collapsed lung must never go unmentioned.
    chest_warning_areas_unknown: str
    call_clinic: list[str] = spec(min_length=1)
    emergency_intro: str = ""
    call_clinic_intro: str = ""
    emergency_actions: str = ""  # what to do and not do on the way to emergency care
    # What to tell the emergency service; {date} is the visit's date. The first only on "yes".
    tell_them_chest: str = ""
    tell_them: str = ""
    call_clinic_estim: str = ""  # an item of call_clinic, when electrical stimulation was used
    keep_sheet: str = ""


@record
class Aftercare:
    title: str
    sections: list[Section] = spec(min_length=1)
    red_flags: RedFlags
    # Words that make the tool ask the therapist about the chest region; they never decide.
    chest_areas: list[str] = spec(min_length=1)
    intro: str = ""


@record
class Change:
    """One entry of the content's change log: what a version changed, for patients who signed an
    earlier one (the print run shows it beside them)."""

    version: str = spec(min_length=1)
    text: str = spec(min_length=1)


@record
class Content:
    treatment: str
    language: str
    language_name: str
    name: str
    version: str = spec(min_length=1)
    reviewed: dt.date
    review_by: dt.date
    labels: dict[str, str]
    bands: dict[str, str]
    sources: dict[str, Source]
    risk_tables: dict[str, RiskTable]
    risks: list[Risk] = spec(min_length=1)
    info: InfoSheet | None = None
    consent: ConsentForm | None = None
    aftercare: Aftercare | None = None
    changes: list[Change] = field(default_factory=list)
    # Left to right or right to left; without it, the language decides (patientdocs/language.py).
    direction: Literal["ltr", "rtl"] | None = None
    # The sections of the clinic's own kinds of document (config.yaml ``kinds:``), by key: each
    # is a sheet like the information sheet (title, intro, sections, closing).
    sheets: dict[str, InfoSheet] = field(default_factory=dict, init=False)

    def section(self, name: str) -> InfoSheet | ConsentForm | Aftercare | None:
        """The content of one kind of document (see kinds.Kind.content_section), None if absent."""
        return getattr(self, name, None) if name in _SECTIONS else self.sheets.get(name)


_SECTIONS = ("info", "consent", "aftercare")  # the built-in kinds' sections, in their order


@record  # identity: one load, one cached view
class LoadedContent:
    """Validated content plus where it came from and a digest of its exact bytes."""

    data: Content
    path: Path
    digest: str
    # Every character above ASCII that the content holds, sorted: the fonts' subset seed.
    chars: str

    def expired(self, today: dt.date) -> bool:
        return today > self.data.review_by


REQUIRED_LABELS = ("about", "fewer_than", "to", "in", "reports_only")


def _cross_check(content: Content, doc: Document) -> list[PatientDocsError]:
    problems: list[PatientDocsError] = []
    if "months" in content.labels and len(content.labels["months"].split()) != 12:
        problems.append(doc.error("labels.months: give the twelve month names, separated by spaces",
                                  ("labels", "months")))
    for key in REQUIRED_LABELS:
        if key not in content.labels:
            problems.append(doc.error(f"labels: missing required label '{key}'", ("labels",)))
    for key in BAND_KEYS:
        if key not in content.bands:
            problems.append(doc.error(f"bands: missing the word for band '{key}'", ("bands",)))
    if content.reviewed > content.review_by:
        problems.append(doc.error(f"reviewed {content.reviewed.isoformat()} is after review_by "
                                  f"{content.review_by.isoformat()}; check the two dates", ("review_by",)))
    seen: set[str] = set()
    for i, risk in enumerate(content.risks):
        if risk.id in seen:
            problems.append(doc.error(f"risks[{i + 1}]: id '{risk.id}' is used twice", ("risks", i, "id")))
        seen.add(risk.id)
        if risk.table not in content.risk_tables:
            known = ", ".join(sorted(content.risk_tables))
            problems.append(doc.error(f"risks[{i + 1}].table: unknown table '{risk.table}' (known: {known})",
                                      ("risks", i, "table")))
        elif not risk.reports_only:
            # One denominator per table: a row that would read "0.3 in 100" belongs in a table
            # with a larger one, where it reads "3 in 1,000" like its neighbours.
            per = content.risk_tables[risk.table].per
            phrase = risk.phrase(per)
            if phrase is not None and phrase.denominator != per:
                problems.append(doc.error(
                    f"risks[{i + 1}]: '{risk.effect}' is fewer than 1 in {frequency.format_int(per)}, the "
                    f"denominator of table '{risk.table}'; put it in a table with per: "
                    f"{phrase.denominator} or more", ("risks", i, "table")))
        for j, source in enumerate(risk.source_ids):
            if source not in content.sources:
                loc = ("risks", i, "source") if risk.reports_only else ("risks", i, "estimates", j, "source")
                problems.append(doc.error(f"risks[{i + 1}]: unknown source '{source}'", loc))
    for kind in (*_SECTIONS, *content.sheets):
        part = content.section(kind)
        for j, section in enumerate(part.sections if part else []):
            for source in section.sources:
                if source not in content.sources:
                    problems.append(doc.error(f"{kind}.sections[{j + 1}]: unknown source '{source}'",
                                              (kind, "sections", j, "sources")))
    return problems


def available(handouts: Path) -> dict[str, list[str]]:
    """Treatments found under ``handouts/`` and the languages each is written in."""
    if not handouts.is_dir():
        return {}
    return {
        folder.name: sorted(p.stem for p in folder.glob("*.yaml"))
        for folder in sorted(handouts.iterdir())
        if folder.is_dir() and any(folder.glob("*.yaml"))
    }


def content_path(handouts: Path, treatment: str, language: str) -> Path:
    """The content file for a treatment and language, or an error that lists what exists."""
    found = available(handouts)
    if treatment not in found:
        names = ", ".join(found) or "none"
        raise PatientDocsError(f"unknown treatment '{treatment}' (available: {names})")
    if language not in found[treatment]:
        raise PatientDocsError(
            f"no '{language}' version of {treatment} (available languages: {', '.join(found[treatment])})")
    return handouts / treatment / f"{language}.yaml"


def _validate(text: str, path: Path, treatment: str, language: str, sheets: tuple[str, ...]) -> tuple[Content, str]:
    from patientdocs.load import (
        validation,  # only when the file is new or changed: see loadcache
        yamlsource,  # only when the file is new or changed: see loadcache
    )

    doc = yamlsource.parse(text, path)
    if not isinstance(doc.data, dict):
        raise doc.error("content must be a list of 'key: value' lines")
    content, found = validation.validate_with_parts(Content, doc, dict.fromkeys(sheets, InfoSheet))
    object.__setattr__(content, "sheets", found)
    problems = _cross_check(content, doc)
    if content.treatment != treatment:
        problems.append(doc.error(f"treatment '{content.treatment}' does not match the folder '{treatment}'",
                                  ("treatment",)))
    if content.language != language:
        problems.append(doc.error(f"language '{content.language}' does not match the file name '{language}'",
                                  ("language",)))
    if problems:
        raise ProblemListError(problems)
    chars = "".join(sorted({c for c in repr(dataclasses.asdict(content)) if ord(c) > 126}))
    return content, chars


def load_content(handouts: Path, treatment: str, language: str, sections: Iterable[str] = ()) -> LoadedContent:
    """The checked content. ``sections``: those of every kind of document registered
    (kinds.Registry.content_sections); the clinic's own are read as sheets, any other unknown key
    is an error."""
    path = content_path(handouts, treatment, language)
    raw, text = textfile.read(path)
    sheets = tuple(sorted(set(sections) - set(_SECTIONS)))
    # The key holds the path, so the folder and file name checks above are part of it; and which
    # sections are sheets, since that changes what the same bytes mean.
    content, chars = loadcache.remember("content" + "".join(f"+{s}" for s in sheets), path, raw, tuple,
                                        lambda: _validate(text, path, treatment, language, sheets))
    return LoadedContent(content, path, hashlib.sha256(raw).hexdigest(), chars)

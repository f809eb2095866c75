"""Treatment content: facts (``facts.yaml``) + words (``<language>.yaml``) + a locale overlay.

One risk catalogue serves every document. Its numbers and sources come from the treatment's
language-neutral facts file; the language file gives each risk, table and unit its words, and
prints numbers inside sentences through placeholders (see placeholders.py). Each risk's band is
computed here from its numbers, so templates can only print what the numbers say.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import field
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from patientdocs.errors import PatientDocsError, ProblemListError
from patientdocs.load import facts as facts_mod
from patientdocs.load import frequency, loadcache, textfile
from patientdocs.load.facts import FACTS_FILE, Facts
from patientdocs.load.schema import record, spec

if TYPE_CHECKING:
    from patientdocs.load.overlay import MergedDocument
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
    counted: str = ""  # one line on how the numbers were counted
    first: tuple[str, ...] = ()  # risk ids printed before the rest, whatever their frequency
    keep_together: bool = False


@record
class TableWords:
    title: str = spec(min_length=1)
    counted: str = spec(min_length=1)
    intro: str = ""


@record
class RiskWords:
    effect: str = spec(min_length=1)
    note: str | None = None


@record
class Estimate:
    # Never 0: where none were seen, give the upper bound with qualifier fewer_than.
    count: float = spec(gt=0)
    per: int = spec(gt=0)
    of: str = spec(min_length=1)
    source: str = spec(min_length=1)
    count_high: float | None = spec(default=None, ge=0)
    qualifier: Literal["about", "fewer_than"] = "about"
    unit: str = ""  # the facts file's unit id ("person"); ``of`` is its word in the language

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
    more_sources: tuple[str, ...] = ()  # of the facts its note prints

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
        own = [self.source] if self.source else [e.source for e in self.estimates]
        return list(dict.fromkeys([*own, *self.more_sources]))

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
class Box:
    """A short list under its own heading (key points, things to do, questions to ask)."""

    heading: str = spec(min_length=1)
    points: list[str] = spec(min_length=1)


@record
class InfoSheet:
    title: str
    sections: list[Section] = spec(min_length=1)
    intro: str = ""
    closing: str = ""
    key_points: Box | None = None  # page 1, before everything else
    before_appointment: Box | None = None
    questions_to_ask: Box | None = None
    other_formats: str = ""  # offers the documents in another language, large print or read aloud


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
class Words:
    """A language file: the words of every fact id, and the documents' text."""

    treatment: str
    language: str
    language_name: str
    name: str
    version: str = spec(min_length=1)
    reviewed: dt.date
    review_by: dt.date
    labels: dict[str, str]
    bands: dict[str, str]
    units: dict[str, str]
    risk_tables: dict[str, TableWords]
    risks: dict[str, RiskWords]
    words: dict[str, str] = field(default_factory=dict)
    direction: Literal["ltr", "rtl"] | None = None  # passed on to Content (see language.py)
    # A translation: the version of the English it was made from, and who reviewed it (a
    # native-speaking clinician); empty while nobody has, and the documents then say so.
    translated_from: str | None = None
    reviewed_by: str | None = None
    info: InfoSheet | None = None
    consent: ConsentForm | None = None
    aftercare: Aftercare | None = None
    changes: list[Change] = field(default_factory=list)


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
    translated_from: str | None = None  # the English version a translation was made from
    reviewed_by: str | None = None  # who reviewed the translation; empty: nobody yet
    words: dict[str, str] = field(default_factory=dict)  # shared phrases, after any locale overlay
    facts: Facts | None = None  # the language-neutral facts the numbers came from
    locale: str | None = None  # the overlay applied ("en-US"), None for the language file alone
    # The sources of the facts each part's sentences print (info, consent, ...; risk notes are
    # their risk's), so a document cites every number it prints.
    prose_sources: dict[str, list[str]] = field(default_factory=dict)
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


def _cross_check(content: Content, doc: Document | MergedDocument, facts_doc: Document) -> list[PatientDocsError]:
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
    # Ids, tables and sources of the risks were checked with the facts file (facts.py).
    for i, risk in enumerate(content.risks):
        if risk.table in content.risk_tables and not risk.reports_only:
            # One denominator per table: a row that would read "0.3 in 100" belongs in a table
            # with a larger one, where it reads "3 in 1,000" like its neighbours.
            per = content.risk_tables[risk.table].per
            phrase = risk.phrase(per)
            if phrase is not None and phrase.denominator != per:
                problems.append(facts_doc.error(
                    f"risks[{i + 1}]: '{risk.effect}' is fewer than 1 in {frequency.format_int(per)}, the "
                    f"denominator of table '{risk.table}'; put it in a table with per: "
                    f"{phrase.denominator} or more", ("risks", i, "table")))
    for kind in (*_SECTIONS, *content.sheets):
        part = content.section(kind)
        for j, section in enumerate(part.sections if part else []):
            for source in section.sources:
                if source not in content.sources:
                    problems.append(doc.error(f"{kind}.sections[{j + 1}]: unknown source '{source}'",
                                              (kind, "sections", j, "sources")))
    return problems


def available(handouts: Path) -> dict[str, list[str]]:
    """Treatments found under ``handouts/`` and the languages each is written in (the facts file
    and locale overlays such as en-US.yaml are not languages)."""
    from patientdocs.load.overlay import overlay_of

    if not handouts.is_dir():
        return {}
    found = {}
    for folder in sorted(handouts.iterdir()):
        if not folder.is_dir():
            continue
        stems = {p.stem for p in folder.glob("*.yaml") if p.name != FACTS_FILE}
        languages = sorted(s for s in stems if overlay_of(s) not in stems)
        if languages:
            found[folder.name] = languages
    return found


def label_of(path: Path, key: str) -> str:
    """One label of a language file, read from its own line (``  also_available: "..."``) without
    loading the file; "" when the file or the line is missing or the value is not plain text."""
    import re

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""
    found = re.search(rf"(?m)^  {re.escape(key)}:[ \t]*(\S.*)$", text)
    if found is None:
        return ""
    value = _simple_scalar(found.group(1))
    if value is None:
        import yaml  # about 8 ms of a cold run: only for a line the simple reading cannot take

        try:
            value = yaml.safe_load(found.group(1))
        except yaml.YAMLError:
            return ""
    return " ".join(value.split()) if isinstance(value, str) else ""


def _simple_scalar(line: str) -> str | None:
    """The string a one-line YAML value means, for the two common shapes (a double-quoted string
    without YAML-only escapes, and a single-quoted one); None for anything else, which PyYAML
    reads. Every English document reads these lines, and importing PyYAML for them alone would
    cost the cold start more than the rest of the content does."""
    import json

    line = line.rstrip()
    if len(line) >= 2 and line[0] == line[-1] == "'" and "'" not in line[1:-1].replace("''", ""):
        return line[1:-1].replace("''", "'")
    if len(line) >= 2 and line[0] == line[-1] == '"' and "\\" not in line:
        try:
            value = json.loads(line)
        except ValueError:
            return None
        return value if isinstance(value, str) else None
    return None


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


def _lookup(facts: Facts, data: dict, words: dict) -> Callable[[str, str], str | None]:
    """What each placeholder prints, from the facts and the language's own labels and words."""
    from patientdocs.load.facts import format_number, rate_phrase

    labels: dict[str, str] = data["labels"] if isinstance(data.get("labels"), dict) else {}
    language = data["language"] if isinstance(data.get("language"), str) else "en"
    units: dict[str, str] = data["units"] if isinstance(data.get("units"), dict) else {}
    tables = facts.tables
    risks = {r.id: r for r in facts.risks}

    def lookup(kind: str, name: str) -> str | None:
        try:
            if kind == "word":
                found = words.get(name)
                return found if isinstance(found, str) else None
            if kind == "fact" and name in facts.facts:
                fact = facts.facts[name]
                if fact.value is not None:
                    return format_number(fact.value, language=language)
                return rate_phrase(fact).text(labels, language=language).strip()
            if kind == "risk" and name in risks:
                risk = _risk(risks[name], {}, units)
                phrase = risk.phrase(tables[risk.table].per)
                return phrase.text(labels, language=language) if phrase else None
        except (KeyError, TypeError):  # a label missing: reported by the checks of labels
            return None
        return None

    return lookup


def _risk(found: facts_mod.RiskFacts, words: dict[str, RiskWords], units: dict,
          more: tuple[str, ...] = ()) -> Risk:
    wording = words.get(found.id)
    estimates = [Estimate(count=e.count, per=e.per, of=str(units.get(e.unit, e.unit)), source=e.source,
                          count_high=e.count_high, qualifier=e.qualifier, unit=e.unit) for e in found.estimates]
    return Risk(id=found.id, table=found.table, effect=wording.effect if wording else found.id,
                estimates=estimates, note=wording.note if wording else None, more_sources=more)


def _used_sources(data: Any, words: dict, facts: Facts) -> dict[tuple[Any, ...], list[str]]:
    """For each text, the sources of the facts and risks its placeholders print (through words too)."""
    from patientdocs.load.placeholders import PLACEHOLDER

    risks = {r.id: r for r in facts.risks}
    found: dict[tuple[Any, ...], list[str]] = {}

    def sources_of(text: str, depth: int = 0) -> list[str]:
        out: list[str] = []
        for match in PLACEHOLDER.finditer(text):
            kind, name = match.groups()
            if kind == "fact" and name in facts.facts:
                out.append(facts.facts[name].source)
            elif kind == "risk" and name in risks:
                out += [e.source for e in risks[name].estimates]
            elif kind == "word" and isinstance(words.get(name), str) and depth < 5:
                out += sources_of(words[name], depth + 1)
        return out

    def walk(value: Any, loc: tuple[Any, ...]) -> None:
        if isinstance(value, str):
            used = sources_of(value)
            if used:
                found[loc] = used
        elif isinstance(value, dict):
            for key, item in value.items():
                walk(item, (*loc, key))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                walk(item, (*loc, i))

    walk(data, ())
    return found


def _words_problems(words: Words, facts: Facts, doc: Document | MergedDocument) -> list[PatientDocsError]:
    """A language must give words to every fact id it prints, and only to ids that exist."""
    problems: list[PatientDocsError] = []
    ids = [r.id for r in facts.risks]
    for risk_id in ids:
        if risk_id not in words.risks:
            problems.append(doc.error(f"risks: no words for the risk '{risk_id}' of {FACTS_FILE}", ("risks",)))
    for risk_id in words.risks:
        if risk_id not in ids:
            problems.append(doc.error(f"risks.{risk_id}: no risk '{risk_id}' in {FACTS_FILE}", ("risks", risk_id)))
    for table_id in facts.tables:
        if table_id not in words.risk_tables:
            problems.append(doc.error(f"risk_tables: no words for the table '{table_id}' of {FACTS_FILE}",
                                      ("risk_tables",)))
    for table_id in words.risk_tables:
        if table_id not in facts.tables:
            problems.append(doc.error(f"risk_tables.{table_id}: no table '{table_id}' in {FACTS_FILE}",
                                      ("risk_tables", table_id)))
    for unit in sorted({e.unit for r in facts.risks for e in r.estimates}):
        if unit not in words.units:
            problems.append(doc.error(f"units: no word for the unit '{unit}' of {FACTS_FILE}", ("units",)))
    return problems


def _content(words: Words, facts: Facts, locale: str | None,
             used: dict[tuple[Any, ...], list[str]]) -> Content:
    risk_words = words.risks
    by_risk: dict[str, list[str]] = {}
    by_part: dict[str, list[str]] = {}
    for loc, found_sources in used.items():
        if loc[0] == "risks" and len(loc) > 1:
            by_risk.setdefault(str(loc[1]), []).extend(found_sources)
        elif loc[0] not in ("words", "risk_tables"):
            by_part.setdefault(str(loc[0]), []).extend(found_sources)
    tables = {table_id: RiskTable(title=words.risk_tables[table_id].title, per=table.per,
                                  intro=words.risk_tables[table_id].intro,
                                  counted=words.risk_tables[table_id].counted, first=tuple(table.first),
                                  keep_together=table.keep_together)
              for table_id, table in facts.tables.items() if table_id in words.risk_tables}
    sources = {key: Source(short=found.short, cite=found.cite) for key, found in facts.sources.items()}
    return Content(
        treatment=words.treatment, language=words.language, language_name=words.language_name, name=words.name,
        version=words.version, reviewed=words.reviewed, review_by=words.review_by, labels=words.labels,
        bands=words.bands, sources=sources, risk_tables=tables,
        risks=[_risk(r, risk_words, words.units, tuple(dict.fromkeys(by_risk.get(r.id, ())))) for r in facts.risks],
        info=words.info, consent=words.consent, aftercare=words.aftercare, changes=words.changes,
        words=words.words, facts=facts, locale=locale, direction=words.direction,
        translated_from=words.translated_from, reviewed_by=words.reviewed_by,
        prose_sources={part: list(dict.fromkeys(found)) for part, found in by_part.items()})


def typed_number_problems(data: Any, doc: Any, *, pending: bool,
                          sheets: tuple[str, ...] = ()) -> list[PatientDocsError]:
    """Numbers typed into prose (see typednumbers); ``pending``: only those of the sections still
    to be converted (validate warns of them), else only the others (an error). The clinic's own
    sheets (``sheets``: an exercise plan's "10 times") hold no facts of the treatment: not checked."""
    from patientdocs.load import typednumbers

    return [doc.error(typednumbers.message(loc, number), loc)
            for loc, number in typednumbers.typed_numbers(data)
            if typednumbers.pending(loc) == pending and loc[0] not in sheets]


def _validate(texts: tuple[str, str, str | None], paths: tuple[Path, Path, Path | None], treatment: str,
              language: str, sheets: tuple[str, ...], locale: str | None) -> tuple[Content, str]:
    from patientdocs.load import (
        facts as facts_loader,  # only when a file is new or changed: see loadcache
    )
    from patientdocs.load import (
        placeholders,
        validation,
        yamlsource,
    )
    from patientdocs.load.overlay import MergedDocument, merge

    text, facts_text, over_text = texts
    path, facts_path, over_path = paths
    facts, facts_doc = facts_loader.load_facts(facts_text, facts_path, treatment)
    base = yamlsource.parse(text, path)
    if not isinstance(base.data, dict):
        raise base.error("content must be a list of 'key: value' lines")
    doc: Document | MergedDocument = base
    problems = typed_number_problems(base.data, base, pending=False, sheets=sheets)
    if over_path is not None and over_text is not None:
        over = yamlsource.parse(over_text, over_path)
        if not isinstance(over.data, dict):
            raise over.error("an overlay must be a list of 'key: value' lines")
        problems += typed_number_problems(over.data, over, pending=False, sheets=sheets)
        doc = MergedDocument(merge(base.data, over.data), base, over)
    data = doc.data
    words_map = data.get("words") if isinstance(data.get("words"), dict) else {}
    resolved, unknown = placeholders.resolve(data, _lookup(facts, data, words_map))
    problems += [doc.error(f"{schema_dotted(loc)}: {message}", loc) for loc, message in unknown]
    checked = _Resolved(resolved, doc)
    words, found = validation.validate_with_parts(Words, checked, dict.fromkeys(sheets, InfoSheet))  # type: ignore[arg-type]
    problems += _words_problems(words, facts, doc)
    if not problems:
        content = _content(words, facts, locale if over_path is not None else None,
                           _used_sources(data, words_map, facts))
        object.__setattr__(content, "sheets", found)
        problems += _cross_check(content, doc, facts_doc)
        if content.treatment != treatment:
            problems.append(doc.error(f"treatment '{content.treatment}' does not match the folder '{treatment}'",
                                      ("treatment",)))
        if content.language != language:
            problems.append(doc.error(f"language '{content.language}' does not match the file name '{language}'",
                                      ("language",)))
    if problems:
        raise ProblemListError(sorted(problems, key=lambda e: (str(e.source), e.line or 0)))
    chars = "".join(sorted({c for c in repr(dataclasses.asdict(content)) if ord(c) > 126}))
    return content, chars


def schema_dotted(loc: tuple[Any, ...]) -> str:
    from patientdocs.load.schema import dotted

    return dotted(loc)


@dataclasses.dataclass(frozen=True)
class _Resolved:
    """The data after placeholders, with the errors of the file (or overlay) it came from."""

    data: Any
    origin: Any

    def error(self, message: str, loc: tuple[Any, ...] = ()) -> PatientDocsError:
        return self.origin.error(message, loc)


def load_content(handouts: Path, treatment: str, language: str, sections: Iterable[str] = (),
                 locale: str | None = None) -> LoadedContent:
    """The checked content. ``sections``: those of every kind of document registered
    (kinds.Registry.content_sections); the clinic's own are read as sheets, any other unknown key
    is an error. ``locale``: the clinic's (``en-US``), whose overlay is merged when there is one."""
    from patientdocs.load.overlay import overlay_path

    path = content_path(handouts, treatment, language)
    facts_path = path.parent / FACTS_FILE
    if not facts_path.is_file():
        raise PatientDocsError(f"{treatment} has no {FACTS_FILE}: the numbers and sources of every language "
                               "live there", source=path.parent)
    over_path = overlay_path(path.parent, language, locale)
    raw, text = textfile.read(path)
    facts_raw, facts_text = textfile.read(facts_path)
    over_raw, over_text = textfile.read(over_path) if over_path is not None else (b"", None)
    sheets = tuple(sorted(set(sections) - set(_SECTIONS)))
    every = b"\0".join((raw, facts_raw, over_raw, str(over_path).encode()))
    # The key holds the path, so the folder and file name checks above are part of it; and which
    # sections are sheets, since that changes what the same bytes mean.
    content, chars = loadcache.remember(
        "content" + "".join(f"+{s}" for s in sheets), path, every, tuple,
        lambda: _validate((text, facts_text, over_text), (path, facts_path, over_path), treatment, language,
                          sheets, locale))
    return LoadedContent(content, path, hashlib.sha256(every).hexdigest(), chars)

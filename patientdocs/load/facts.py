"""The language-neutral facts of a treatment (``handouts/<treatment>/facts.yaml``).

Every number a document prints lives here once, with its source: the risks (count, per, unit,
source), single study facts (a survey's size, how long soreness lasts) and the sources with
their full citations. A language file holds only words keyed by these ids, so a corrected
figure changes in one place for every language.
"""

from __future__ import annotations

from dataclasses import field
from fractions import Fraction
from typing import TYPE_CHECKING, Literal

from patientdocs.errors import PatientDocsError, ProblemListError
from patientdocs.load import frequency
from patientdocs.load.schema import record, spec

if TYPE_CHECKING:
    from pathlib import Path

    from patientdocs.load.yamlsource import Document

FACTS_FILE = "facts.yaml"

# How a table's numbers were counted; each language says it in one line (risk_tables.<id>.counted).
Counted = Literal["remembered_next_day", "recorded_at_visit"]
Unit = Literal["person", "treatment"]


@record
class SourceFacts:
    short: str = spec(min_length=1)
    authors: str = spec(min_length=1)
    title: str = spec(min_length=1)
    year: int = spec(ge=1900, le=2100)
    journal: str | None = None
    volume: str | None = None
    pages: str | None = None
    doi: str | None = None
    edition: str | None = None  # a guideline's version
    # Published online before its issue: no volume or pages yet, only the DOI.
    ahead_of_print: bool = False

    @property
    def cite(self) -> str:
        """Vancouver style without the title (kept in the facts file, to find the paper): authors.
        journal. year;volume:pages. doi. A guideline, which has no journal, keeps its title."""
        parts = [f"{self.authors}."]
        if self.journal:
            where = f"{self.journal}. {self.year}"
            where += f";{self.volume}" if self.volume else ""
            where += f":{self.pages}" if self.pages else ""
            parts.append(where + "." + (" Published online ahead of print." if self.ahead_of_print else ""))
        else:
            parts.append(f"{self.title}. {self.year}" + (f", {self.edition}" if self.edition else "") + ".")
        if self.doi:
            parts.append(f"doi:{self.doi}")
        return " ".join(parts)


@record
class TableFacts:
    per: int = spec(gt=0)
    counted: Counted
    first: list[str] = field(default_factory=list)
    keep_together: bool = False  # the whole table on one page


@record
class EstimateFacts:
    count: float = spec(gt=0)
    per: int = spec(gt=0)
    unit: Unit
    source: str = spec(min_length=1)
    count_high: float | None = spec(default=None, ge=0)
    qualifier: Literal["about", "fewer_than"] = "about"


@record
class RiskFacts:
    id: str = spec(min_length=1)
    table: str = spec(min_length=1)
    estimates: list[EstimateFacts] = spec(min_length=1)

    def problems(self) -> list[str]:
        # The estimates print as one phrase with the first one's qualifier: "about" and "fewer than"
        # mixed, one would be dropped without a word.
        qualifiers = list(dict.fromkeys(e.qualifier for e in self.estimates))
        if len(qualifiers) > 1:
            return [f"estimates: qualifier {' and '.join(repr(q) for q in qualifiers)} are mixed, but one phrase is "
                    "printed for them all; give every estimate of this risk the same qualifier, or split the risk"]
        return []


@record
class Fact:
    """A number (``value``) or a rate (``count`` in ``per``), with its source."""

    source: str = spec(min_length=1)
    value: float | None = None
    count: float | None = spec(default=None, gt=0)
    per: int | None = spec(default=None, gt=0)
    show_per: int | None = spec(default=None, gt=0)  # print the rate on this denominator
    qualifier: Literal["about", "fewer_than"] = "about"

    def problems(self) -> list[str]:
        if (self.value is None) == (self.count is None or self.per is None):
            return ["give either value, or count and per"]
        return []

    @property
    def rate(self) -> Fraction | None:
        return None if self.count is None or self.per is None else frequency.exact_rate(self.count, self.per)


@record
class Facts:
    treatment: str = spec(min_length=1)
    sources: dict[str, SourceFacts]
    tables: dict[str, TableFacts]
    risks: list[RiskFacts] = spec(min_length=1)
    facts: dict[str, Fact] = field(default_factory=dict)


def format_number(value: float, separator: str = ",", decimal: str = ".", language: str = "en") -> str:
    """1.5 stays 1.5, 7629.0 prints 7,629: as written, grouped by thousands. In another language
    than English, grouped and with the decimal sign of CLDR ("1,5" and "7.629" in Spanish)."""
    from patientdocs import language as lang

    if not lang.is_english(language):
        return lang.number(value, language)
    if float(value).is_integer():
        return frequency.format_int(int(value), separator)
    whole, _, fraction = repr(float(value)).partition(".")
    return frequency.format_int(int(whole), separator) + decimal + fraction


def rate_phrase(fact: Fact) -> frequency.Phrase:
    """A rate fact as "about 1 in 100" (no unit: the sentence names what was counted)."""
    assert fact.rate is not None
    # A chosen denominator is kept ("about 1 in 100", not "about 9 in 1,000").
    denominator = fact.show_per or frequency.denominator_for(fact.rate, fact.per or 1)
    return frequency.Phrase(fact.qualifier, frequency.round_count(fact.rate * denominator), None, denominator, "")


def _cross_check(facts: Facts, doc: Document) -> list[PatientDocsError]:
    problems: list[PatientDocsError] = []
    seen: set[str] = set()
    for i, risk in enumerate(facts.risks):
        if risk.id in seen:
            problems.append(doc.error(f"risks[{i + 1}]: id '{risk.id}' is used twice", ("risks", i, "id")))
        seen.add(risk.id)
        if risk.table not in facts.tables:
            known = ", ".join(sorted(facts.tables))
            problems.append(doc.error(f"risks[{i + 1}].table: unknown table '{risk.table}' (known: {known})",
                                      ("risks", i, "table")))
        for j, estimate in enumerate(risk.estimates):
            loc = ("risks", i, "estimates", j)
            if estimate.source not in facts.sources:
                problems.append(doc.error(f"risks[{i + 1}]: unknown source '{estimate.source}'", (*loc, "source")))
            high = estimate.count_high if estimate.count_high is not None else estimate.count
            if estimate.count_high is not None and estimate.count_high < estimate.count:
                problems.append(doc.error(f"risks[{i + 1}].estimates[{j + 1}]: count_high must not be less than "
                                          "count", (*loc, "count_high")))
            elif high > estimate.per:
                problems.append(doc.error(f"risks[{i + 1}].estimates[{j + 1}]: count {high:g} is more than per "
                                          f"{estimate.per}", (*loc, "count")))
    for table_id, table in facts.tables.items():
        for name in table.first:
            if name not in seen:
                problems.append(doc.error(f"tables.{table_id}.first: unknown risk '{name}'",
                                          ("tables", table_id, "first")))
    for name, fact in facts.facts.items():
        if fact.source not in facts.sources:
            problems.append(doc.error(f"facts.{name}: unknown source '{fact.source}'", ("facts", name, "source")))
    return problems


def load_facts(text: str, path: Path, treatment: str) -> tuple[Facts, Document]:
    """The checked facts file and its parsed document (for the lines of later errors)."""
    from patientdocs.load import validation, yamlsource

    doc = yamlsource.parse(text, path)
    if not isinstance(doc.data, dict):
        raise doc.error("facts must be a list of 'key: value' lines")
    facts = validation.validate(Facts, doc)
    problems = _cross_check(facts, doc)
    if facts.treatment != treatment:
        problems.append(doc.error(f"treatment '{facts.treatment}' does not match the folder '{treatment}'",
                                  ("treatment",)))
    if problems:
        raise ProblemListError(problems)
    return facts, doc

"""Everything a template may use, as plain data: clinic, visit, content and document facts."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import unicodedata
from fractions import Fraction
from functools import lru_cache
from typing import Any

from patientdocs.kinds import KINDS, Kind
from patientdocs.language import direction as language_direction
from patientdocs.load import frequency
from patientdocs.load.config import Config
from patientdocs.load.content import Content, LoadedContent
from patientdocs.load.visit import Visit


def risk_rows(content: Content) -> list[dict[str, Any]]:
    """The risk tables, each with one line on how it was counted, and rows sorted by frequency,
    highest first (a table's ``first`` rows lead it); each row with its phrase, computed band
    word and its numbers for pictures ("52 of 100")."""
    labels = content.labels
    tables = []
    for table_id, table in content.risk_tables.items():
        risks = [risk for risk in content.risks if risk.table == table_id]
        # Sorted by the highest estimate; unknown rates last; ties keep the facts file's order.
        risks.sort(key=lambda r: (r.id not in table.first, table.first.index(r.id) if r.id in table.first else 0,
                                  -(r.rate if r.rate is not None else -1)))
        rows = []
        for risk in risks:
            phrase = risk.phrase(table.per)
            rows.append({
                "id": risk.id,
                "effect": risk.effect,
                "how_many": phrase.text(labels, language=content.language) if phrase else labels["reports_only"],
                "band": risk.band,
                # An upper bound ("fewer than 4 in 10,000") says how often at most: so does its band.
                "band_word": (labels["band_at_most"].replace("{band}", content.bands[risk.band])
                              if phrase and phrase.qualifier == "fewer_than" and "band_at_most" in labels
                              else content.bands[risk.band]),
                "note": risk.note or "",
                "sources": [content.sources[s].short for s in dict.fromkeys(risk.source_ids)],
                # For an icon array: "count of per" on the table's denominator (the higher
                # estimate of a range); None where the risk was not counted.
                "count": phrase.high or phrase.low if phrase else None,
                "count_low": phrase.low if phrase else None,
                "per": phrase.denominator if phrase else None,
                "qualifier": phrase.qualifier if phrase else None,
                "unit": phrase.of if phrase else "",
            })
        unit = next((r["unit"] for r in rows if r["unit"]), "")
        per_line = f"{labels['out_of_every']} {frequency.format_count(table.per, content.language)} {unit}." \
            if "out_of_every" in labels and unit else ""
        intro = " ".join(part for part in (table.counted, per_line, table.intro) if part)
        tables.append({"id": table_id, "title": table.title, "intro": intro, "counted": table.counted,
                       "per": table.per, "unit": unit, "keep": table.keep_together, "rows": rows})
    return tables


def date_guide(order: str, labels: dict[str, str]) -> str:
    """"DD/MM/YYYY" for DMY, "MM/DD/YYYY" for MDY, from the language's letters for day, month, year."""
    parts = {"D": labels.get("date_day", "DD"), "M": labels.get("date_month", "MM"),
             "Y": labels.get("date_year", "YYYY")}
    return "/".join(parts[letter] for letter in order)


def course_of_care(content: Content) -> dict[str, Any] | None:
    """The chance of at least one serious (major) event, each session and over a typical course:
    1 - (1 - rate) ** sessions, from the facts (major-event and course_sessions)."""
    facts = content.facts
    major = next((r for r in content.risks if r.id == "major-event"), None)
    if facts is None or major is None or major.rate is None or "course_sessions" not in facts.facts:
        return None
    sessions = int(facts.facts["course_sessions"].value or 0)
    if sessions < 1:
        return None
    each = major.rate
    over = 1 - (1 - each) ** sessions
    labels = content.labels

    def phrase(rate: Any) -> str:
        # Per 1,000 both, so the two figures compare at a glance ("about 1" and "about 6").
        per = 1000 if rate * 1000 >= Fraction(1, 2) else frequency.denominator_for(rate, 1000)
        count = frequency.round_count(rate * per)
        return frequency.Phrase("about", count, None, per, "").text(labels, language=content.language).strip()

    return {"sessions": sessions, "each": phrase(each), "course": phrase(over),
            "each_rate": float(each), "course_rate": float(over)}


_WORD = re.compile(r"\w+")  # hyphens separate words: "shoulder-blade" is "shoulder blade"
# A thoracic or cervical spinal level written the way therapists write it: T6, T4-T8, C7, TH5.
_LEVEL = re.compile(r"(?:t|th)(?:[1-9]|1[0-2])|c[1-7]")


def _words(text: str) -> str:
    return " ".join(_WORD.findall(text.casefold()))


def _singular(text: str) -> str:
    return " ".join(w[:-1] if len(w) > 3 and w.endswith("s") else w for w in _words(text).split())


def chest_suggestions(areas: list[str] | tuple[str, ...], terms: list[str]) -> list[str]:
    """The areas treated that name a place over or near the chest wall (terms from the content),
    or a thoracic or cervical level: only ever a suggestion to the therapist, who decides.

    Whole words only, so "lat" never matches "lateral" by accident; a plural ("paraspinals",
    "suboccipitals") counts as its term."""
    wanted = {" " + _singular(t) + " " for t in terms if _words(t)}
    found = []
    for area in areas:
        padded = " " + _singular(area) + " "
        if any(term in padded for term in wanted) or any(_LEVEL.fullmatch(w) for w in padded.split()):
            found.append(area)
    return found


def near_chest(areas: list[str] | tuple[str, ...], terms: list[str]) -> bool:
    """True when the words of any area suggest the chest region (see chest_suggestions)."""
    return bool(chest_suggestions(areas, terms))


def shows_chest_warning(visit: Visit) -> bool:
    """The therapist's answer decides; not stated, the warning is printed (the safe default)."""
    return visit.chest_region is not False


def cited(content: Content, kind: Kind | str) -> list[dict[str, str]]:
    """Sources of the numbers a document prints, in order of first use."""
    kind = KINDS.get(kind) if isinstance(kind, str) else kind
    part = content.section(kind.content_section)
    used = [s for section in (part.sections if part else []) for s in section.sources]
    used += content.prose_sources.get(kind.content_section, [])
    if kind.cites_risks:
        used += [s for risk in content.risks for s in risk.source_ids]
    return [dataclasses.asdict(content.sources[s]) | {"id": s} for s in dict.fromkeys(used)]


@lru_cache(maxsize=32)
def _content_context(loaded: LoadedContent, kind: Kind) -> dict[str, Any]:
    # Content is the same for every patient in a run; build its view once.
    content = loaded.data
    section = content.section(kind.content_section)
    return {
        "content": dataclasses.asdict(content),
        "section": dataclasses.asdict(section) if section is not None else None,  # this kind's own
        "labels": content.labels,
        "bands": content.bands,
        "risk_tables": risk_rows(content),
        "sources": [{"id": s, **dataclasses.asdict(content.sources[s])} for s in content.sources],
        "cited": cited(content, kind),
        "words": content.words,
        "course": course_of_care(content),
        # The consent form's pictures (render/consent_figures.py), computed from the risks.
        "figures": _figures(content),
    }


def _figures(content: Content) -> dict[str, Any]:
    from patientdocs.render.consent_figures import icon_arrays

    return {"icons": icon_arrays(content), "course": course_of_care(content)}


_LRE, _PDF = "\u202a", "\u202c"  # LEFT-TO-RIGHT EMBEDDING, POP DIRECTIONAL FORMATTING


def _embed_ltr(value: Any) -> Any:
    """In a right-to-left document, a value that reads left to right (a phone number, an
    address, a Latin name, a patient id) is kept in one left-to-right embedding. Without it the
    bidi algorithm orders the groups of "01632 960 999" from the right (UAX #9 rule N1: numbers
    count as right to left for the spaces between them), and the number reads "999 960 01632".
    (python-bidi has no isolates, FSI/PDI, so an embedding it is.)"""
    if isinstance(value, list):
        return [_embed_ltr(v) for v in value]
    if not isinstance(value, str) or not value:
        return value
    for char in value:
        kind = unicodedata.bidirectional(char)
        if kind in ("R", "AL"):
            return value  # read from the right already; a mark after it ends its run (templating)
        if kind == "L":
            break
    if not any(c.isdigit() or unicodedata.bidirectional(c) == "L" for c in value):
        return value
    return _LRE + value + _PDF


def _embedded(values: dict[str, Any]) -> dict[str, Any]:
    return {key: _embed_ltr(value) for key, value in values.items()}


def build_context(kind: Kind | str, config: Config, loaded: LoadedContent, visit: Visit, *,
                  fingerprint: str, today: dt.date, expired: bool = False) -> dict[str, Any]:
    """``kind``: a Kind, or the name of a built-in one."""
    kind = KINDS.get(kind) if isinstance(kind, str) else kind
    content = loaded.data
    direction = language_direction(content.language, content.direction)
    clinic, visit_values = config.clinic_dict(), visit.as_context()
    # The clinic's own sentences in the document's language, where config.yaml gives them.
    own = config.clinic.translations.get(content.language, {})
    # (Only the clinic's own keys: email_signature is the email's, not a document's.)
    clinic.update({key: value for key, value in own.items() if value and key in clinic})
    clinic.pop("translations", None)
    if direction == "rtl":
        clinic, visit_values = _embedded(clinic), _embedded(visit_values)
    return {
        **_content_context(loaded, kind),
        "kind": kind.name,
        # Which way the page reads: the isolating marks after right-to-left values follow it.
        "direction": direction,
        "clinic": clinic,
        "visit": visit_values,
        # The guide printed on a line where the patient writes a date ("DD/MM/YYYY").
        "date_guide": date_guide(config.date_order, content.labels),
        # The therapist's --chest-region, never the words of the areas: left out only on "no", and
        # worded as "you had needling near your chest" only on "yes".
        "near_chest": bool(content.aftercare) and shows_chest_warning(visit),
        "chest_region": {True: "yes", False: "no", None: "unknown"}[visit.chest_region],
        "doc": {
            "version": content.version,
            "reviewed": content.reviewed,
            "review_by": content.review_by,
            "fingerprint": fingerprint,
            "today": today,
            "expired": expired,
        },
    }

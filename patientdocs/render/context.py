"""Everything a template may use, as plain data: clinic, visit, content and document facts."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from functools import lru_cache
from typing import Any

from patientdocs.kinds import KINDS, Kind
from patientdocs.load.config import Config
from patientdocs.load.content import Content, LoadedContent
from patientdocs.load.visit import Visit


def risk_rows(content: Content) -> list[dict[str, Any]]:
    """The risk tables with each risk's phrase and computed band word, in catalogue order."""
    tables = []
    for table_id, table in content.risk_tables.items():
        rows = []
        for risk in content.risks:
            if risk.table != table_id:
                continue
            phrase = risk.phrase(table.per)
            rows.append({
                "id": risk.id,
                "effect": risk.effect,
                "how_many": phrase.text(content.labels) if phrase else content.labels["reports_only"],
                "band": risk.band,
                "band_word": content.bands[risk.band],
                "note": risk.note or "",
                "sources": [content.sources[s].short for s in dict.fromkeys(risk.source_ids)],
            })
        tables.append({"id": table_id, "title": table.title, "intro": table.intro, "per": table.per,
                       "rows": rows})
    return tables


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
        # The consent form's pictures (render/consent_figures.py), computed from the risks.
        "figures": _figures(content),
    }


def _figures(content: Content) -> dict[str, Any]:
    from patientdocs.render.consent_figures import course_of_care, icon_arrays

    return {"icons": icon_arrays(content), "course": course_of_care(content)}


def build_context(kind: Kind | str, config: Config, loaded: LoadedContent, visit: Visit, *,
                  fingerprint: str, today: dt.date, expired: bool = False) -> dict[str, Any]:
    """``kind``: a Kind, or the name of a built-in one."""
    kind = KINDS.get(kind) if isinstance(kind, str) else kind
    content = loaded.data
    return {
        **_content_context(loaded, kind),
        "kind": kind.name,
        "clinic": config.clinic_dict(),
        "visit": visit.as_context(),
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

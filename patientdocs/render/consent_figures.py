"""Numbers the consent form draws as pictures: the most common effects out of 100 people (icon
arrays), and serious problems over a course of care. All computed from the risk catalogue, so a
corrected figure there changes the picture too; nothing here is typed."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from patientdocs.load.content import Content

ICONS = 3  # the two or three most common effects
COURSE_SESSIONS = 6  # a typical course of care


def icon_arrays(content: Content) -> list[dict[str, Any]]:
    """The most common effects counted per person, out of 100, highest first."""
    found = []
    for risk in content.risks:
        if risk.reports_only or not risk.estimates or risk.estimates[0].of != "people":
            continue
        count = round(float(risk.rate) * 100) if risk.rate is not None else 0
        if 1 <= count <= 100:
            found.append({"id": risk.id, "effect": risk.effect, "count": count})
    found.sort(key=lambda r: -r["count"])
    return found[:ICONS]


def course_of_care(content: Content) -> dict[str, int] | None:
    """The serious table's most frequent counted risk, per session and over a course of sessions."""
    if not content.risk_tables:
        return None
    table_id, _table = max(content.risk_tables.items(), key=lambda item: item[1].per)
    rates = [r.rate for r in content.risks if r.table == table_id and r.rate is not None]
    if not rates:
        return None
    rate = max(rates)
    per = 1000
    course = 1 - (1 - rate) ** COURSE_SESSIONS
    return {"session": max(1, round(float(rate * per))), "course": max(1, round(float(course * per))),
            "per": per, "sessions": COURSE_SESSIONS, "rate": float(Fraction(rate))}

"""Numbers the consent form draws as pictures: the most common effects out of 100 people (icon
arrays), computed from the risk catalogue, so a corrected figure there changes the picture too;
nothing here is typed. The serious problems over a course of care are the facts' own
(render/context.course_of_care, from ``course_sessions``)."""

from __future__ import annotations

from typing import Any

from patientdocs.load.content import Content

ICONS = 3  # the two or three most common effects


def icon_arrays(content: Content) -> list[dict[str, Any]]:
    """The most common effects counted per person, out of 100, highest first."""
    found: list[dict[str, Any]] = []
    for risk in content.risks:
        if risk.reports_only or not risk.estimates or risk.estimates[0].unit != "person":
            continue
        count = round(float(risk.rate) * 100) if risk.rate is not None else 0
        if 1 <= count <= 100:
            found.append({"id": risk.id, "effect": risk.effect, "count": count})
    found.sort(key=lambda r: -int(r["count"]))
    return found[:ICONS]

"""Who needs to consent again: never signed, signed an older version of the consent content, or
signed longer ago than the clinic allows (``signing.consent_again_after_months``, default 12).

The day's print run shows it beside each patient on the cover sheet and in report.txt, with a
short note of what changed since their version (the content's ``changes:`` list).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from patientdocs.load.config import Config
    from patientdocs.load.content import Content
    from patientdocs.records.base import RecordsBase

__all__ = ["consent_due"]


def _months_between(earlier: dt.date, later: dt.date) -> int:
    return (later.year - earlier.year) * 12 + later.month - earlier.month - (later.day < earlier.day)


def changes_since(content: Content, version: str) -> str:
    """The change log's notes for versions after ``version`` (versions sort as text: 2026.11)."""
    return " ".join(c.text for c in content.changes if c.version > version)


def consent_due(config: Config, records: RecordsBase, patients: Iterable[str], content: Content, today: dt.date,
                treatment: str) -> dict[str, str]:
    """Each patient identity (Records.identity) that needs to consent again, with why, in the
    content's words; patients whose signed consent is current are left out."""
    from patientdocs.records.signatures import last_signed

    labels = content.labels
    limit = config.signing.consent_again_after_months
    signed = last_signed(records, treatment)
    due: dict[str, str] = {}
    for patient in dict.fromkeys(patients):
        found = signed.get(patient)
        if found is None:
            due[patient] = labels.get("reconsent_never", "no signed consent on record")
            continue
        version, at = found
        day = dt.datetime.fromisoformat(at).date()
        if version != content.version:
            note = changes_since(content, version)
            text = labels.get("reconsent_version", "signed version {signed}; this is version {current}")
            due[patient] = text.format(signed=version, current=content.version) + (f". {note}" if note else "")
        elif _months_between(day, today) >= limit:
            text = labels.get("reconsent_old", "signed on {day}, {months} months ago or more")
            due[patient] = text.format(day=day.isoformat(), months=limit)
    return due

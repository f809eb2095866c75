"""A translation against the English it was made from: nothing missing, and not out of date.

English (``en.yaml``) is the original of a treatment's content; every other language file is a
translation of it. ``validate`` compares the two files as written (before placeholders, without
a locale overlay) and reports, each at its file and line:

- an error for every label, band, unit, risk table, risk, word, section, list item or screening
  question that English has and the translation lacks (a dropped red flag or risk is a clinical
  omission, not a matter of style);
- a warning when English has a newer ``version`` than the translation's ``translated_from``, or
  when the translation does not say which version it was made from.

A list of sentences must have as many items as the English one; a list of records with ``id``
(sections, screening questions) is matched by id. Exempt: ``labels.months`` (other languages
take month names from CLDR), the change log, and ``aftercare.chest_areas`` (words a therapist
may type in either language, not a translation).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from patientdocs.errors import PatientDocsError
from patientdocs.load import yamlsource
from patientdocs.load.schema import dotted

ORIGINAL = "en"
Loc = tuple[Any, ...]

_EXEMPT: tuple[Loc, ...] = (("labels", "months"), ("changes",), ("aftercare", "chest_areas"))
# What a missing key is called, by the key (or list) that holds it.
_WHAT = {"labels": "label", "bands": "band", "units": "unit", "risk_tables": "risk table", "risks": "risk",
         "words": "word", "sections": "section", "questions": "screening question", "signers": "label"}


def _exempt(loc: Loc) -> bool:
    return any(loc[:len(path)] == path for path in _EXEMPT)


def _name(loc: Loc) -> str:
    return dotted(loc) if loc else "the file"


# The parts compared; a clinic's own kinds of document (config.yaml ``kinds:``) may be in English only.
_COMPARED = ("labels", "bands", "units", "risk_tables", "risks", "words", "info", "consent", "aftercare")


def missing(original: Any, translated: Any, loc: Loc = ()) -> list[tuple[Loc, str]]:
    """What ``original`` has that ``translated`` lacks: (where, message), in the original's order."""
    found: list[tuple[Loc, str]] = []
    if _exempt(loc):
        return found
    if not loc and isinstance(original, dict):
        original = {key: value for key, value in original.items() if key in _COMPARED}
    if isinstance(original, dict):
        if not isinstance(translated, dict):
            return [(loc, f"{_name(loc)}: should be a group of keys, as in {ORIGINAL}.yaml")]
        what = _WHAT.get(str(loc[-1]) if loc else "", "key")
        for key, value in original.items():
            here = (*loc, key)
            if _exempt(here):
                continue
            if key not in translated:
                found.append((loc, f"{_name(loc)}: missing {what} '{key}' that {ORIGINAL}.yaml has"))
            else:
                found += missing(value, translated[key], here)
    elif isinstance(original, list):
        if not isinstance(translated, list):
            return [(loc, f"{_name(loc)}: should be a list, as in {ORIGINAL}.yaml")]
        if all(isinstance(item, dict) and "id" in item for item in original):
            what = _WHAT.get(str(loc[-1]), "item")
            ids = {item.get("id"): i for i, item in enumerate(translated) if isinstance(item, dict)}
            for item in original:
                if item["id"] not in ids:
                    found.append((loc, f"{_name(loc)}: missing {what} '{item['id']}' that {ORIGINAL}.yaml has"))
                else:
                    found += missing(item, translated[ids[item['id']]], (*loc, ids[item["id"]]))
        elif len(translated) < len(original) and not (loc and loc[-1] == "sources"):
            found.append((loc, f"{_name(loc)}: {len(translated)} items where {ORIGINAL}.yaml has {len(original)}"))
    return found


def _version(text: str) -> tuple[tuple[int, str], ...]:
    return tuple((int(part), "") if part.isdigit() else (0, part) for part in text.split("."))


def check(original_path: Path, translated_path: Path) -> tuple[list[PatientDocsError], list[str]]:
    """The problems (errors) and warnings of one translation against the original."""
    original = yamlsource.parse(original_path.read_text(encoding="utf-8"), original_path)
    translated = yamlsource.parse(translated_path.read_text(encoding="utf-8"), translated_path)
    if not isinstance(original.data, dict) or not isinstance(translated.data, dict):
        return [], []  # reported when the file is loaded
    errors = [translated.error(message, loc) for loc, message in missing(original.data, translated.data)]
    warnings: list[str] = []
    source = translated.data.get("translated_from")
    current = str(original.data.get("version", ""))
    if source in (None, ""):
        warnings.append(str(translated.error(f"translated_from: not given; say which version of "
                                             f"{ORIGINAL}.yaml this translation was made from")))
    elif current and _version(current) > _version(str(source)):
        warnings.append(str(translated.error(
            f"translated_from: translated from version {source}, but {ORIGINAL}.yaml is now version "
            f"{current}; the translation is out of date", ("translated_from",))))
    labels = translated.data.get("labels")
    if source and not translated.data.get("reviewed_by") and isinstance(labels, dict) \
            and "unreviewed" not in labels:
        errors.append(translated.error("labels: missing label 'unreviewed' (the footer's note that the "
                                       "translation has not been reviewed)", ("labels",)))
    return sorted(errors, key=lambda e: e.line or 0), warnings


def check_treatment(folder: Path, languages: list[str]) -> tuple[list[PatientDocsError], list[str]]:
    """Every translation in a treatment's folder against its English, when it has one."""
    errors: list[PatientDocsError] = []
    warnings: list[str] = []
    if ORIGINAL not in languages:
        return errors, warnings
    for language in languages:
        if language != ORIGINAL:
            more, said = check(folder / f"{ORIGINAL}.yaml", folder / f"{language}.yaml")
            errors += more
            warnings += said
    return errors, warnings

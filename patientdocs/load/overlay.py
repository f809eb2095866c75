"""Locale overlays: one English content, with the few words a country says differently.

``handouts/<treatment>/en-US.yaml`` holds only what differs from ``en.yaml`` (the profession's
name, where to go in an emergency, the date guide): its keys are merged over the language
file's when the clinic's ``clinic.locale`` is ``en-US``. Groups merge key by key; a list or a
text replaces the one it overrides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from patientdocs.errors import PatientDocsError

_OVERLAY_NAME = re.compile(r"^(?P<language>[a-z]{2,3})-(?P<region>[A-Z]{2})$")


def overlay_of(stem: str) -> str | None:
    """The language an overlay file's name belongs to ("en-US" -> "en"), None if it is not one."""
    found = _OVERLAY_NAME.match(stem)
    return found.group("language") if found else None


def overlay_path(folder: Path, language: str, locale: str | None) -> Path | None:
    """The overlay for this language and the clinic's locale, if the treatment has one."""
    if not locale or overlay_of(locale) != language:
        return None
    path = folder / f"{locale}.yaml"
    return path if path.is_file() else None


def merge(base: Any, over: Any) -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        merged = dict(base)
        for key, value in over.items():
            merged[key] = merge(base[key], value) if key in base else value
        return merged
    return over


@dataclass(frozen=True)
class MergedDocument:
    """The language file with its overlay merged in; an error points at whichever file set the key."""

    data: Any
    base: Any  # yamlsource.Document of the language file
    over: Any  # yamlsource.Document of the overlay

    def error(self, message: str, loc: tuple[Any, ...] = ()) -> PatientDocsError:
        loc = tuple(loc)
        value = self.over.data
        for depth, part in enumerate(loc, 1):
            if not isinstance(value, dict | list) or (isinstance(value, dict) and part not in value):
                break
            if isinstance(value, list) and not (isinstance(part, int) and part < len(value)):
                break
            value = value[part]
            # The overlay set this key itself (a text or list, or exactly the place asked about).
            if depth == len(loc) or not isinstance(value, dict):
                return self.over.error(message, loc[:depth])
        return self.base.error(message, loc)

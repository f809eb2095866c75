"""How the files made for a patient are named, and the rule that no patient's file is replaced by
another patient's: one scheme for single documents, print runs and emails."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection
from pathlib import Path

from patientdocs.deliver.output import inside, slug
from patientdocs.errors import PatientDocsError

MAX_NUMBER = 1000


def file_stem(date: dt.date, patient: str, patient_id: str | None, *, time: str | None = None,
              label: str | None = None) -> str:
    """``2026-12-01[_0800]_ana-lima[_p-1042][_<label>]``: parts left out when empty; safe as a file name.

    Names are shortened and reduced to safe letters (see output.slug)."""
    parts = [date.isoformat()]
    if time:
        parts.append(time.replace(":", ""))
    parts.append(slug(patient))
    if patient_id:
        parts.append(slug(patient_id, fallback="id"))
    if label:
        parts.append(label)
    return "_".join(parts)


def numbered(folder: Path, stem: str, suffix: str, n: int) -> Path:
    """``stem.suffix`` for n = 1, else ``stem-n.suffix``, inside ``folder``."""
    return inside(folder, f"{stem}{f'-{n}' if n > 1 else ''}{suffix}")


def free_name(folder: Path, stem: str, suffix: str, *, is_theirs: Callable[[Path], bool],
              taken: Collection[Path] = ()) -> Path:
    """The first of ``stem``, ``stem-2``, ``stem-3`` ... that is free, or holds this patient's own
    earlier file (``is_theirs``), which the new one then replaces. A file made for someone else
    (a namesake) or not by this tool is never replaced; ``taken`` are names given out already."""
    for n in range(1, MAX_NUMBER):
        target = numbered(folder, stem, suffix, n)
        if target in taken:
            continue
        if (not target.exists() and not target.is_symlink()) or is_theirs(target):
            return target
    raise PatientDocsError(f"too many files named {stem}-N{suffix} in {folder}; move some away")

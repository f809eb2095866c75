"""The user's private cache folder, shared by everything this tool keeps between runs.

What is kept there (compiled templates, validated settings and content) is loaded as code or
objects, so a folder another user could write to is never used.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


def _private(folder: Path) -> bool:
    try:
        info = folder.stat()
    except OSError:
        return False
    owner_ok = not hasattr(os, "getuid") or info.st_uid == os.getuid()
    return owner_ok and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH) and os.access(folder, os.W_OK)


def user_cache(name: str) -> Path | None:
    """``$XDG_CACHE_HOME/patientdocs/<name>`` (or ``~/.cache/...``), created private; None if unusable."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or "")
    if not base.is_absolute():  # the XDG rule: a relative path is ignored
        try:
            base = Path.home() / ".cache"
        except (RuntimeError, KeyError):  # no home folder (a service account): no cache
            return None
    folder = base / "patientdocs" / name
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError:
        return None
    return folder if _private(folder) and _private(folder.parent) else None

"""The user's private cache folder, shared by everything this tool keeps between runs.

What is kept there (compiled templates, validated settings and content) is loaded as code or
objects, so a folder another user could write to is never used.
"""

from __future__ import annotations

import contextlib
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


# What is kept is small, but a clinic's copies (and a test suite's thousands of temporary ones)
# would otherwise add entries for ever: anything not used for a month goes, and at most this many stay.
KEEP_SECONDS = 30 * 24 * 3600
MAX_ENTRIES = 200


def prune(folder: Path, pattern: str = "*") -> None:
    """Remove entries of ``folder`` not used for a month, and the oldest beyond MAX_ENTRIES.

    Called only after something new was kept (a cache miss), so a normal run lists no folder."""
    import time

    try:
        found = []
        for entry in folder.glob(pattern):
            try:
                if entry.is_file() and not entry.is_symlink():
                    found.append((entry.stat().st_mtime, entry))
            except OSError:
                continue
    except OSError:
        return
    found.sort(reverse=True)  # newest first
    cutoff = time.time() - KEEP_SECONDS
    for i, (mtime, entry) in enumerate(found):
        if mtime < cutoff or i >= MAX_ENTRIES:
            with contextlib.suppress(OSError):
                entry.unlink()


def prune_versions(name: str, prefix: str) -> None:
    """Remove the cache folders of other program versions (``<prefix>*`` besides ``name``) that
    were not used for a month: an update leaves its predecessor's folder behind."""
    import shutil
    import time

    folder = user_cache(name)
    if folder is None:
        return
    cutoff = time.time() - KEEP_SECONDS
    try:
        for other in folder.parent.glob(f"{prefix}*"):
            if other.name != name and other.is_dir() and not other.is_symlink() and other.stat().st_mtime < cutoff:
                shutil.rmtree(other, ignore_errors=True)
    except OSError:
        return

"""Validated settings and content, kept between runs.

Reading the content file means importing PyYAML, parsing it and checking every key: about a
tenth of a cold run, for a file that changes a few times a year. A result is kept only after
it validated, under a key made of the file's exact bytes, its path and this package's code,
so an edited file or an updated program never meets an old result. Anything wrong with the
cache (missing, unreadable, corrupt, another version) simply means validating again.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from patientdocs.cachedir import user_cache

T = TypeVar("T")

_PACKAGE = Path(__file__).resolve().parent.parent  # the whole patientdocs package
_code_stamp: str | None = None


def _code() -> str:
    """Which code made a result: every module's size and modification time, PyYAML's, and Python's version."""
    global _code_stamp
    if _code_stamp is None:
        parts = [sys.version]
        # PyYAML decides what the text means; its files are found without importing it.
        spec = importlib.util.find_spec("yaml")
        for found in (spec.origin, *(spec.submodule_search_locations or ())) if spec and spec.origin else ():
            info = os.stat(found)
            parts.append(f"{found}:{info.st_size}:{info.st_mtime_ns}")
        # Every source file of the package, at any depth: code moved into a new subpackage must
        # never meet a result cached by the code it replaced.
        for source in sorted(_PACKAGE.rglob("*.py")):
            info = source.stat()
            parts.append(f"{source.relative_to(_PACKAGE).as_posix()}:{info.st_size}:{info.st_mtime_ns}")
        _code_stamp = "\n".join(parts)
    return _code_stamp


def _digest(*parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()


def entry_name(kind: str, path: Path, raw: bytes) -> str:
    """``<kind>-<path digest>-<bytes and code digest>.pickle``: one file per source file at a time."""
    where = _digest(kind.encode(), os.fsencode(str(path)))[:16]
    return f"{kind}-{where}-{_digest(_code().encode(), raw)[:32]}.pickle"


def remember(kind: str, path: Path, raw: bytes, expected: type[T], build: Callable[[], T]) -> T:
    """``build()``'s result for these exact bytes: from the cache, or built and then kept.

    Errors raised by ``build`` pass through and nothing is kept, so a broken file is reported
    in full on every run."""
    folder = user_cache("validated")
    if folder is None:
        return build()
    entry = folder / entry_name(kind, path, raw)
    import pickle

    try:
        with open(entry, "rb") as handle:
            kept = pickle.load(handle)
        if isinstance(kept, expected):
            _touch(entry)
            return kept
    except Exception:  # a missing or bad entry must never stop the tool; it is rebuilt
        pass
    result = build()
    temporary = entry.with_name(f"{entry.name}.{os.getpid()}.part")
    try:
        with open(temporary, "wb") as handle:
            pickle.dump(result, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, entry)  # whole entries only, even with several processes at once
    except Exception:  # keeping is only a saving; the result itself is good
        temporary.unlink(missing_ok=True)
        return result
    _forget_older(folder, entry)
    from patientdocs.cachedir import prune

    prune(folder, "*.pickle")
    return result


def _touch(entry: Path) -> None:
    """Mark an entry as used, so pruning (see cachedir.prune) keeps what is in use."""
    import contextlib

    with contextlib.suppress(OSError):
        os.utime(entry)


def _forget_older(folder: Path, entry: Path) -> None:
    """Drop what was kept for earlier versions of the same file, so the cache cannot grow."""
    prefix = entry.name.rsplit("-", 1)[0] + "-"
    for old in folder.glob(f"{prefix}*.pickle"):
        if old != entry:
            old.unlink(missing_ok=True)

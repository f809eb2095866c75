"""reportlab's platypus, imported with two of its regular expressions compiled on first use.

On import, reportlab compiles a pattern for web addresses (used only to split a long address
across lines, with ``uriWasteReduce``, which is off by default and never set here) and one for
CJK line wrapping (``textsplit.cjkwrap``, which platypus never calls). Both spell their
character classes as wide Unicode ranges, and ``re`` takes about 22 ms to compile them: a tenth
of a cold run, for patterns this program does not use. Everything else compiles as usual; a
deferred pattern compiles the first time anything asks it for anything, so behaviour is unchanged.
"""

from __future__ import annotations

import re
import sys
from typing import Any

# (how the pattern starts, its flags): reportlab 4's and 5's spellings, matched exactly, so a
# changed pattern in a later reportlab is simply compiled at import as before.
_DEFERRED = (
    ("(^(?:[a-z0-9\\.\\-\\+]*)://)", re.IGNORECASE),  # reportlab.platypus.paragraph.uri_pat
    ("([\u2e80-\uffff])", re.UNICODE),  # reportlab.lib.textsplit.rx
)


class DeferredPattern:
    """Stands in for a compiled pattern until it is first used."""

    def __init__(self, pattern: str, flags: int) -> None:
        self._source = (pattern, flags)
        self._compiled: re.Pattern[str] | None = None

    @property
    def compiled(self) -> re.Pattern[str]:
        if self._compiled is None:
            self._compiled = re.compile(*self._source)
        return self._compiled

    def __getattr__(self, name: str) -> Any:  # match, sub, pattern, flags, ...: the real pattern's
        return getattr(self.compiled, name)


def _is_deferred(pattern: object, flags: int) -> bool:
    return isinstance(pattern, str) and any(
        pattern.startswith(start) and flags == wanted for start, wanted in _DEFERRED)


def import_platypus() -> None:
    """Import reportlab.platypus (once), deferring the patterns above."""
    if "reportlab.platypus" in sys.modules:
        return
    real = re.compile

    def compile_or_defer(pattern: Any, flags: int = 0) -> Any:
        return DeferredPattern(pattern, flags) if _is_deferred(pattern, flags) else real(pattern, flags)

    re.compile = compile_or_defer  # type: ignore[assignment]
    try:
        import reportlab.platypus  # noqa: F401 (the import is the point)
    finally:
        re.compile = real

"""What a content language means for the page: its direction, its dates, numbers and plurals.

Direction comes from a fixed list (a content file may override it with ``direction:``), so an
English run never imports Babel. Dates, grouped numbers and plural categories come from CLDR
through Babel, imported the first time a language other than English asks for one (Babel's
import and locale data cost tens of milliseconds, and ``info`` in English is benchmarked cold).

Digits stay Western (0-9) in every language, as CLDR's default for Arabic, Hebrew and Urdu:
risk numbers are built elsewhere from the same facts, and one document never mixes two digit
systems.
"""

from __future__ import annotations

import datetime as dt
from functools import cache

LTR, RTL = "ltr", "rtl"
# Languages written right to left (BCP 47 primary subtags), as CLDR's character order says
# (tests/test_rtl.py checks the list against Babel).
RTL_LANGUAGES = frozenset({"ar", "he", "fa", "ur", "yi", "ps", "sd", "ug", "ckb", "dv"})


def primary(language: str) -> str:
    """``"he"`` for ``"he-IL"`` or ``"he_IL"``."""
    return language.replace("_", "-").split("-")[0].lower()


def direction(language: str, explicit: str | None = None) -> str:
    """The direction of a document in ``language``: ``explicit`` when given (the content's
    ``direction:`` key), else right to left for a right-to-left language."""
    if explicit in (LTR, RTL):
        return explicit
    return RTL if primary(language) in RTL_LANGUAGES else LTR


def is_english(language: str) -> bool:
    return primary(language) == "en"


@cache
def _locale(language: str):
    from babel import Locale, UnknownLocaleError

    try:
        return Locale.parse(language.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return Locale.parse(primary(language))


def long_date(value: dt.date, language: str) -> str:
    """The date in words in ``language`` from CLDR: "1 de diciembre de 2026", "1 בדצמבר 2026"."""
    from babel.dates import format_date

    return format_date(value, "long", locale=_locale(language))


def number(value: float, language: str) -> str:
    """A number grouped per ``language`` (CLDR): "100.000" in Spanish, "100,000" in Hebrew."""
    from babel.numbers import format_decimal

    return format_decimal(value, locale=_locale(language))


def plural_category(count: float, language: str) -> str:
    """The CLDR plural category of ``count`` in ``language``: "zero", "one", "two", "few",
    "many" or "other". A phrase per language and category ("about {n} in {d}") can then be
    chosen without English word order; Polish 2 is "few", 5 "many"; Arabic 0 is "zero"."""
    return _locale(language).plural_form(count)

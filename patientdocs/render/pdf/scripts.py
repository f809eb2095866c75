"""Which script a piece of text is in, and so which language a screen reader should read it in.

A patient's name in Greek letters inside an English sheet is marked as a span in Greek (``/Lang``),
so a screen reader switches voice instead of spelling it out letter by letter.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

# The script of each language the project could ship (BCP 47 primary subtag); others are Latin.
LANGUAGE_SCRIPT = {
    "el": "GREEK", "ru": "CYRILLIC", "uk": "CYRILLIC", "bg": "CYRILLIC", "sr": "CYRILLIC", "mk": "CYRILLIC",
    "be": "CYRILLIC", "kk": "CYRILLIC", "ar": "ARABIC", "fa": "ARABIC", "ur": "ARABIC", "he": "HEBREW",
    "yi": "HEBREW", "hi": "DEVANAGARI", "mr": "DEVANAGARI", "ne": "DEVANAGARI", "th": "THAI", "ko": "HANGUL",
    "ja": "CJK", "zh": "CJK", "hy": "ARMENIAN", "ka": "GEORGIAN", "bn": "BENGALI", "ta": "TAMIL",
    "gu": "GUJARATI", "pa": "GURMUKHI", "am": "ETHIOPIC",
}
# The language a span in a script is announced in. A script alone cannot tell Russian from
# Ukrainian or Arabic from Urdu: this is the most widely read language of each script, so that a
# screen reader at least switches to a voice that can pronounce the letters.
SCRIPT_LANGUAGE = {
    "GREEK": "el", "CYRILLIC": "ru", "ARABIC": "ar", "HEBREW": "he", "DEVANAGARI": "hi", "THAI": "th",
    "HANGUL": "ko", "HIRAGANA": "ja", "KATAKANA": "ja", "CJK": "zh", "ARMENIAN": "hy", "GEORGIAN": "ka",
    "BENGALI": "bn", "TAMIL": "ta", "GUJARATI": "gu", "GURMUKHI": "pa", "ETHIOPIC": "am",
}
# Letters outside Latin, IPA and the combining marks: only such text is looked at more closely.
_NON_LATIN = (r"[\u0370-\u1dbf\u1f00-\u1fff\u2c00-\u2dff\u2e80-\ua6ff\ua800-\uab2f\uac00-\ud7ff"
              r"\uf900-\ufaff\ufb1d-\ufdff\ufe70-\ufeff]")
# Dashes, quotes, arrows and other symbols (U+2000 to U+2BFF) are in most English text and are
# not letters: without them, most text is seen to be Latin before the pattern above is needed,
# which takes about 3 ms to compile.
_SYMBOLS = dict.fromkeys(range(0x2000, 0x2C00))


@cache
def _non_latin() -> re.Pattern[str]:
    return re.compile(_NON_LATIN)


def has_non_latin(text: str) -> bool:
    """Whether ``text`` has a letter outside Latin, IPA and the combining marks."""
    if text.isascii() or max(text.translate(_SYMBOLS), default=" ") < "\u0370":
        return False
    return _non_latin().search(text) is not None


def script_of(char: str) -> str | None:
    """The script of a letter ("LATIN", "GREEK", ...), or None for digits, spaces and punctuation."""
    if not unicodedata.category(char).startswith(("L", "M")):
        return None
    name = unicodedata.name(char, "")
    word = name.split(" ", 1)[0]
    return "CJK" if word == "CJK" else word or None


def language_runs(text: str) -> list[tuple[str | None, str]]:
    """``text`` cut into (language or None, text): a run of letters in a script other than Latin
    gets that script's language; spaces and punctuation between letters of one script stay in it."""
    if not has_non_latin(text):
        return [(None, text)]
    out: list[tuple[str | None, str]] = []
    start, current, last = 0, None, 0  # start of the open run, its language, index after its last letter
    for i, char in enumerate(text):
        script = script_of(char)
        if script is None:
            continue
        lang = SCRIPT_LANGUAGE.get(script)
        if lang != current:
            if current is not None:
                out.append((current, text[start:last]))
                start = last
            if lang is not None:
                if i > start:
                    out.append((None, text[start:i]))
                start = i
            current = lang
        last = i + 1
    if current is not None:
        out.append((current, text[start:last]))
        start = last
    if start < len(text):
        out.append((None, text[start:]))
    return [run for run in out if run[1]]

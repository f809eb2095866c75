"""The Unicode bidirectional algorithm (UAX #9): embedding levels per character, order per line.

Levels come from python-bidi's pure-Python implementation (rules P2-I2), the same one the tests
use as the oracle; reordering (L1, L2) is done here on whatever units a line is made of, because
a line of a PDF is made of shaped runs, not characters. It is imported only for text that holds
a right-to-left letter or sits in a right-to-left paragraph.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import TypeVar

# AUTO: the direction of the first strong letter (rules P2, P3), left to right without one.
LTR, RTL, AUTO = "LTR", "RTL", "AUTO"
_STRONG_RTL = frozenset(("R", "AL"))
# Arabic-Indic digits, and explicit embeddings, push levels up even without an R/AL letter.
_RTL_TRIGGERS = frozenset(("R", "AL", "AN", "RLE", "RLO", "RLI"))

T = TypeVar("T")


def needs_bidi(text: str, base: str = LTR) -> bool:
    """False for text whose levels are all 0: nothing to reorder (nearly every paragraph)."""
    return base == RTL or any(unicodedata.bidirectional(c) in _RTL_TRIGGERS for c in text if ord(c) >= 0x0590)


def is_rtl_char(char: str) -> bool:
    return unicodedata.bidirectional(char) in _STRONG_RTL


def levels(text: str, base: str = LTR) -> list[int]:
    """The resolved embedding level of each character of one paragraph (rules P2 to I2)."""
    if not needs_bidi(text, base):
        return [0] * len(text)
    from bidi import algorithm

    storage = algorithm.get_empty_storage()
    level = algorithm.get_base_level(text) if base == AUTO else 1 if base == RTL else 0
    storage["base_level"] = level
    base = RTL if level else LTR
    storage["base_dir"] = "R" if base == RTL else "L"
    algorithm.get_embedding_levels(text, storage)
    algorithm.explicit_embed_and_overrides(storage)
    algorithm.resolve_weak_types(storage)
    algorithm.resolve_neutral_types(storage, False)
    algorithm.resolve_implicit_levels(storage, False)
    kept = iter(ch["level"] for ch in storage["chars"])
    # Rule X9 took out the embedding controls (LRE ... PDF) and BN characters (joiners): each
    # gets the level of the character before it, so the list still matches the text.
    out: list[int] = []
    for char in text:
        if unicodedata.bidirectional(char) in algorithm.X9_REMOVED:
            out.append(out[-1] if out else storage["base_level"])
        else:
            out.append(next(kept))
    return out


def visual_order(units: Sequence[T], unit_levels: Sequence[int]) -> list[T]:
    """Rule L2 on one line: from the highest level down to the lowest odd one, reverse every
    sequence of units at that level or higher. A unit's own content must already be in the
    direction of its level (shaped right to left at an odd level)."""
    if not units:
        return []
    highest = max(unit_levels)
    if highest == 0:
        return list(units)
    order = list(range(len(units)))
    lowest_odd = min(level | 1 for level in unit_levels)
    for level in range(highest, lowest_odd - 1, -1):
        i = 0
        while i < len(order):
            if unit_levels[order[i]] >= level:
                j = i
                while j < len(order) and unit_levels[order[j]] >= level:
                    j += 1
                order[i:j] = order[i:j][::-1]
                i = j
            else:
                i += 1
    return [units[i] for i in order]

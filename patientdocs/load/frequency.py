"""How often a risk happens: from counts to the words a patient reads.

The band word is always derived from the number (CIOMS bands, as in EU medicine leaflets),
never typed by hand, so a changed figure can never leave a stale "rare" behind.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Literal

from patientdocs.frozen import frozen

Band = Literal["very_common", "common", "uncommon", "rare", "very_rare", "unknown"]

# Lower bound of each band, highest first; anything below the last is very rare.
_BANDS: tuple[tuple[Fraction, Band], ...] = (
    (Fraction(1, 10), "very_common"),
    (Fraction(1, 100), "common"),
    (Fraction(1, 1_000), "uncommon"),
    (Fraction(1, 10_000), "rare"),
)


def band(rate: Fraction | float | None) -> Band:
    """CIOMS band for a rate (events per person, treatment or session).

    Give an exact Fraction where the rate sits on a boundary: 1.2 / 12 is 0.0999... in floats."""
    if rate is None:
        return "unknown"
    for lower, name in _BANDS:
        if rate >= lower:
            return name
    return "very_rare"


def exact_rate(count: float, per: int) -> Fraction:
    """count / per without floating-point error (the count as written, e.g. 21.7)."""
    return Fraction(str(count)) / per


def round_count(value: Fraction | float) -> int:
    """Whole numbers for patients, halves rounded up; at least 1 so "about 0 in 100" never prints."""
    return max(1, int(Fraction(value) + Fraction(1, 2)))


def denominator_for(rate: Fraction | float, table_per: int) -> int:
    """The table's denominator, made larger by tens only where the count would fall below 1."""
    denominator = table_per
    while 0 < rate * denominator < 1 and denominator < 10_000_000:
        denominator *= 10
    return denominator


def format_int(value: int, separator: str = ",") -> str:
    return f"{value:,}".replace(",", separator)


@frozen
class Phrase:
    """The parts of "about 5 to 16 in 100 treatments", kept apart so each language can join them."""

    qualifier: str  # "about" or "fewer_than"
    low: int
    high: int | None
    denominator: int
    of: str

    def text(self, labels: dict[str, str], separator: str = ",") -> str:
        count = format_int(self.low, separator)
        if self.high is not None and self.high != self.low:
            count += f" {labels['to']} {format_int(self.high, separator)}"
        qualifier = labels[self.qualifier]
        return f"{qualifier} {count} {labels['in']} {format_int(self.denominator, separator)} {self.of}"

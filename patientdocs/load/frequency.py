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


def format_count(value: int, language: str = "en") -> str:
    """A whole number grouped as ``language`` does it: "100,000" in English (no Babel), "100.000"
    in Spanish (CLDR through Babel)."""
    from patientdocs import language as lang

    return format_int(value) if lang.is_english(language) else lang.number(value, language)


@frozen
class Phrase:
    """The parts of "about 5 to 16 in 100 treatments", kept apart so each language can join them."""

    qualifier: str  # "about" or "fewer_than"
    low: int
    high: int | None
    denominator: int
    of: str

    def text(self, labels: dict[str, str], separator: str = ",", language: str = "en") -> str:
        """English order ("about 5 to 16 in 100 treatments") unless the language gives a pattern:
        ``phrase_<category>`` for the CLDR plural category of the count (the highest of a
        range), else ``phrase``, with the fields {qualifier}, {count}, {in}, {per} and {of}; the
        qualifier may have a form per category too (``about_few``). Numbers are grouped per the
        language (CLDR) unless it is English, which never loads Babel."""
        from patientdocs import language as lang

        english = lang.is_english(language)

        def fmt(value: int) -> str:
            return format_int(value, separator) if english else lang.number(value, language)

        count = fmt(self.low)
        if self.high is not None and self.high != self.low:
            count += f" {labels['to']} {fmt(self.high)}"
        qualifier = labels[self.qualifier]
        pattern = None
        if not english:
            category = lang.plural_category(self.high if self.high is not None else self.low, language)
            pattern = labels.get(f"phrase_{category}") or labels.get("phrase")
        if pattern is None:
            return f"{qualifier} {count} {labels['in']} {fmt(self.denominator)} {self.of}"
        words = {"qualifier": labels.get(f"{self.qualifier}_{category}", qualifier), "count": count,
                 "in": labels["in"], "per": fmt(self.denominator), "of": self.of}
        text = pattern
        for key, value in words.items():
            text = text.replace("{" + key + "}", value)
        return " ".join(text.split())

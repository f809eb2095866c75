"""How often a risk happens: bands, denominators and the words printed; and the content checks
that keep impossible numbers out of a patient's hands."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pytest
from conftest import REPO, replace_line

from patientdocs.errors import PatientDocsError
from patientdocs.load import frequency
from patientdocs.load.content import Estimate, Risk, load_content
from patientdocs.render.context import risk_rows

LABELS = {"about": "about", "fewer_than": "fewer than", "to": "to", "in": "in"}


def below(x: float) -> float:
    return math.nextafter(x, 0)


# ---- bands -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("rate, band", [
    (1.0, "very_common"),
    (1 / 10, "very_common"), (below(1 / 10), "common"),
    (1 / 100, "common"), (below(1 / 100), "uncommon"),
    (1 / 1000, "uncommon"), (below(1 / 1000), "rare"),
    (1 / 10000, "rare"), (below(1 / 10000), "very_rare"),
    (0.0, "very_rare"),
    (None, "unknown"),
])
def test_band_boundaries_are_inclusive_at_the_lower_end(rate: float | None, band: str) -> None:
    assert frequency.band(rate) == band


@pytest.mark.parametrize("count, per, band", [
    (1, 10, "very_common"), (10, 100, "very_common"), (10.0, 100, "very_common"), (100, 1000, "very_common"),
    (1, 100, "common"), (1.0, 100, "common"), (0.99, 100, "uncommon"),
    (1, 1000, "uncommon"), (0.1, 100, "uncommon"), (10, 10000, "uncommon"),
    (1, 10000, "rare"), (0.01, 100, "rare"), (10, 100000, "rare"),
    (0.99, 10000, "very_rare"), (1, 100000, "very_rare"),
])
def test_band_of_a_risk_is_computed_from_its_numbers(count: float, per: int, band: str) -> None:
    risk = Risk(id="r", table="t", effect="Effect",
                estimates=[Estimate(count=count, per=per, of="people", source="s")])
    assert risk.band == band


def test_band_uses_the_highest_estimate_and_the_top_of_a_range() -> None:
    risk = Risk(id="r", table="t", effect="Effect", estimates=[
        Estimate(count=1, per=1000, of="treatments", source="a"),
        Estimate(count=2, count_high=12, per=100, of="sessions", source="b"),
    ])
    assert risk.rate == pytest.approx(0.12)
    assert risk.band == "very_common"


# ---- denominators, rounding, phrases ----------------------------------------------------------------

@pytest.mark.parametrize("rate, table_per, expected", [
    (0.52, 100, 100),
    (0.01, 100, 100),            # exactly 1 in 100: no need to grow
    (0.009, 100, 1000),          # 0.9 in 100 -> 9 in 1,000
    (0.001, 100, 1000),
    (0.0000977, 100000, 100000),
    (0.000001, 100000, 1000000),
    (0.0, 100, 100),             # nothing to scale
    (1e-12, 100, 10_000_000),    # capped
])
def test_denominator_for(rate: float, table_per: int, expected: int) -> None:
    assert frequency.denominator_for(rate, table_per) == expected


@pytest.mark.parametrize("value, expected", [(97.7, 98), (4.7, 5), (2.5, 3), (2.49, 2), (52.0, 52), (0.4, 1)])
def test_round_count(value: float, expected: int) -> None:
    assert frequency.round_count(value) == expected


@pytest.mark.parametrize("phrase, text", [
    (frequency.Phrase("about", 52, None, 100, "people"), "about 52 in 100 people"),
    (frequency.Phrase("about", 5, 16, 100, "treatments"), "about 5 to 16 in 100 treatments"),
    (frequency.Phrase("about", 3, 3, 100, "sessions"), "about 3 in 100 sessions"),
    (frequency.Phrase("fewer_than", 1, None, 100000, "treatments"), "fewer than 1 in 100,000 treatments"),
    (frequency.Phrase("about", 1200, 3400, 1000000, "sessions"), "about 1,200 to 3,400 in 1,000,000 sessions"),
])
def test_phrase_text(phrase: frequency.Phrase, text: str) -> None:
    assert phrase.text(LABELS) == text


def test_phrase_text_in_another_language_and_separator() -> None:
    labels = {"about": "etwa", "fewer_than": "weniger als", "to": "bis", "in": "von"}
    phrase = frequency.Phrase("about", 1, 3, 1000, "Behandlungen")
    assert phrase.text(labels, separator=".") == "etwa 1 bis 3 von 1.000 Behandlungen"


@pytest.fixture(scope="module")
def catalogue():
    content = load_content(REPO / "handouts", "dry-needling", "en").data
    return {row["id"]: row for table in risk_rows(content) for row in table["rows"]}


@pytest.mark.parametrize("risk_id, how_many, band_word", [
    ("soreness", "about 52 in 100 people", "very common"),
    ("fatigue", "about 22 in 100 people", "very common"),                 # 21.7 rounds to 22
    ("bleeding", "about 5 to 16 in 100 treatments", "very common"),       # two studies, one range
    ("drowsy-nausea", "about 1 to 3 in 1,000 treatments", "uncommon"),    # its own table, per 1,000
    ("major-event", "about 98 in 100,000 treatments", "rare"),            # 20 in 20,494
    ("significant-event", "fewer than 40 in 100,000 treatments", "at most rare"),  # an upper bound: at most
    ("pneumothorax", "fewer than 1 in 100,000 treatments", "at most very rare"),
    ("fainting", "about 2 in 1,000 treatments", "uncommon"),              # 55 in 28,285 (Chen 1990)
])
def test_catalogue_rows_of_the_real_content(catalogue, risk_id: str, how_many: str, band_word: str) -> None:
    assert catalogue[risk_id]["how_many"] == how_many
    assert catalogue[risk_id]["band_word"] == band_word


# ---- content validation ---------------------------------------------------------------------------------

@pytest.fixture
def handouts(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "handouts", tmp_path / "handouts")
    return tmp_path / "handouts"


def _problems(handouts: Path) -> list[str]:
    with pytest.raises(PatientDocsError) as caught:
        load_content(handouts, "dry-needling", "en")
    return str(caught.value).splitlines()


def _content_file(handouts: Path) -> Path:
    return handouts / "dry-needling" / "en.yaml"


def _facts_file(handouts: Path) -> Path:
    return handouts / "dry-needling" / "facts.yaml"


def test_count_more_than_per_is_rejected(handouts: Path) -> None:
    line = replace_line(_facts_file(handouts), "{count: 52.0,", "{count: 152,")
    (problem,) = _problems(handouts)
    assert problem == f"{_facts_file(handouts)}:{line}: risks[1].estimates[1]: count 152 is more than per 100"


def test_count_high_more_than_per_is_rejected(handouts: Path) -> None:
    path = _facts_file(handouts)
    line = replace_line(path, "{count: 52.0,", "{count: 52, count_high: 150,")
    (problem,) = _problems(handouts)
    assert problem.startswith(f"{path}:{line}: risks[1].estimates[1]: "), problem
    assert "150" in problem and "100" in problem


def test_count_high_below_count_is_rejected(handouts: Path) -> None:
    path = _facts_file(handouts)
    line = replace_line(path, "{count: 52.0,", "{count: 52, count_high: 40,")
    (problem,) = _problems(handouts)
    assert problem == f"{path}:{line}: risks[1].estimates[1]: count_high must not be less than count"


def test_negative_count_is_rejected(handouts: Path) -> None:
    path = _facts_file(handouts)
    line = replace_line(path, "{count: 52.0,", "{count: -1,")
    (problem,) = _problems(handouts)
    assert problem.startswith(f"{path}:{line}: risks[1].estimates[1].count: "), problem


def test_risk_without_numbers_is_rejected(handouts: Path) -> None:
    path = _facts_file(handouts)
    text = path.read_text(encoding="utf-8")
    old = "  - id: fainting\n    table: uncommon\n    estimates:\n      - {count: 55, per: 28285, unit: treatment, " \
          "source: chen1990}\n"
    assert old in text
    path.write_text(text.replace(old, "  - id: fainting\n    table: uncommon\n    estimates: []\n", 1),
                    encoding="utf-8")
    line = text.split("\n").index("  - id: fainting") + 3
    number = text[:text.index(old)].count("  - id: ") + 1
    (problem,) = _problems(handouts)
    assert problem == f"{path}:{line}: risks[{number}].estimates: must not be empty"


def test_band_word_cannot_be_typed_by_hand(handouts: Path) -> None:
    path = _content_file(handouts)
    line = replace_line(path, "    effect: Headache", "    effect: Headache\n    band: rare") + 1
    (problem,) = _problems(handouts)
    assert problem == f"{path}:{line}: unknown key 'risks.headache.band' (check the spelling)"


def test_unquoted_decimal_version_is_rejected(handouts: Path) -> None:
    # YAML reads 2026.10 as the number 2026.1: the printed version would silently be wrong.
    path = _content_file(handouts)
    line = replace_line(path, 'version: "2026.11"', "version: 2026.10")
    (problem,) = _problems(handouts)
    assert problem.startswith(f"{path}:{line}: version: "), problem


def test_a_row_below_its_tables_denominator_is_refused(handouts: Path) -> None:
    """One denominator per table: "0.3 in 100" would hide among whole numbers."""
    path = _facts_file(handouts)
    text = path.read_text(encoding="utf-8")
    moved = text.replace("  - id: drowsy-nausea\n    table: uncommon", "  - id: drowsy-nausea\n    table: at_visit")
    path.write_text(moved, encoding="utf-8")
    line = text.split("\n").index("  - id: drowsy-nausea") + 2
    number = text[:text.index("  - id: drowsy-nausea")].count("  - id: ") + 1
    with pytest.raises(PatientDocsError) as caught:
        load_content(handouts, "dry-needling", "en")
    assert str(caught.value) == (f"{path}:{line}: risks[{number}]: 'Feeling drowsy, or feeling sick (nausea)' is "
                                 "fewer than 1 in 100, the denominator of table 'at_visit'; put it in a table with "
                                 "per: 1000 or more")

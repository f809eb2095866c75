"""Facts apart from words (issue 10): every number printed comes from facts.yaml with a source;
the corrected rows; table order; placeholders; what ``validate`` refuses; locale overlays."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import REPO, VISIT, copy_project, error_lines, page_texts, replace_line, run_cli

from patientdocs.load import frequency
from patientdocs.load.content import load_content
from patientdocs.load.facts import format_number, rate_phrase
from patientdocs.render.context import course_of_care, date_guide, risk_rows

HANDOUTS = REPO / "handouts"
EN = Path("handouts/dry-needling/en.yaml")
FACTS = Path("handouts/dry-needling/facts.yaml")


@pytest.fixture(scope="module")
def content():
    return load_content(HANDOUTS, "dry-needling", "en").data


@pytest.fixture(scope="module")
def tables(content):
    return {table["id"]: table for table in risk_rows(content)}


@pytest.fixture(scope="module")
def info_pages(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    folder = tmp_path_factory.mktemp("facts-info")
    # A copy of the project: the run's records database is written beside its config.
    copy_project(folder)
    result = run_cli("info", "--patient", "Ana Lima", *VISIT, "-o", folder / "info.pdf", cwd=folder)
    assert result.returncode == 0, result.stderr
    return page_texts(folder / "info.pdf")


# ---- every number printed traces to a source -----------------------------------------------------

def _allowed_numbers(content) -> set[str]:
    """Every number the facts file can make appear, as printed."""
    facts = content.facts
    allowed: set[str] = set()
    for fact in facts.facts.values():
        if fact.value is not None:
            allowed.add(format_number(fact.value))
        else:
            phrase = rate_phrase(fact)
            allowed |= {str(phrase.low), frequency.format_int(phrase.denominator)}
    for table in risk_rows(content):
        allowed.add(frequency.format_int(table["per"]))
        for row in table["rows"]:
            allowed |= {str(row["count_low"]), str(row["count"]), frequency.format_int(row["per"])}
    return allowed


def test_every_number_in_the_information_sheet_comes_from_the_facts_file(content, info_pages) -> None:
    allowed = _allowed_numbers(content)
    body = []
    for page in info_pages:
        # The running header (clinic address and phone) and footer (version, dates, page) and
        # the personal line are the visit's and the clinic's, not facts.
        page = page.replace("14 Mill Lane, Northbridge NB4 7QT", "")
        page = re.sub(r"Version \S+ · Review by \d+ \w+ \d{4} · Ref \w+ Page \d+ of \d+", "", page)
        body.append(page)
    text = " ".join(body)
    text = text[:text.rindex("Sources")]  # citations: volumes, pages and years
    text = text.replace("01632 960 418", "")
    for source in content.sources.values():  # the Source column names studies by year
        text = text.replace(source.short, "")
    text = re.sub(r"Prepared for .*?Date of birth: \d+ \w+ \d{4}\.?", "", text)
    printed = re.findall(r"\d+(?:[.,]\d+)*", text)
    assert printed, "no numbers found: the check would prove nothing"
    stray = sorted({n for n in printed if n not in allowed})
    assert stray == [], stray


def test_every_fact_and_estimate_names_a_source_with_a_full_citation(content) -> None:
    facts = content.facts
    used = {e.source for r in facts.risks for e in r.estimates} | {f.source for f in facts.facts.values()}
    for source_id in used:
        source = facts.sources[source_id]
        assert source.authors and source.year
        if source.journal:  # a paper: journal, volume and pages, or its DOI before its issue
            assert (source.volume and source.pages) or (source.ahead_of_print and source.doi), source_id
    cite = content.sources["asap_guideline"].cite
    assert "2007" in cite and "revised 2018" in cite  # the guideline's year and version


def test_the_sources_list_cites_every_source_of_a_printed_fact(info_pages) -> None:
    text = " ".join(info_pages)
    sources = text[text.rindex("Sources"):]
    for wanted in ("Chen FP", "White A", "Lin SK", "Navarro-Santana MJ", "Gattie E"):
        assert wanted in sources, wanted
    assert "Halle JS" not in sources  # a commentary: no number on the sheet comes from it


# ---- the corrected rows ---------------------------------------------------------------------------

def test_fainting_is_counted_in_the_less_common_table(tables) -> None:
    rows = {row["id"]: row for row in tables["uncommon"]["rows"]}
    assert rows["fainting"]["how_many"] == "about 2 in 1,000 treatments"
    assert rows["fainting"]["sources"] == ["Chen 1990"]
    assert "At a first visit: about 1 in 100." in rows["fainting"]["note"]
    assert "fainting" not in {row["id"] for row in tables["serious"]["rows"]}


def test_infection_nerve_and_needle_use_the_counts_that_exist(tables) -> None:
    (row,) = [r for r in tables["serious"]["rows"] if r["id"] == "infection-nerve-needle"]
    assert row["how_many"] == "fewer than 40 in 100,000 treatments"
    assert row["sources"] == ["Brady 2014", "White 2004"]
    assert "about 1 in 200,000" in row["note"]


def test_tables_are_split_by_how_they_were_counted(tables) -> None:
    next_day = {row["unit"] for row in tables["next_day"]["rows"]}
    at_visit = {row["unit"] for row in tables["at_visit"]["rows"]}
    assert next_day == {"people"} and at_visit == {"treatments"}
    assert tables["next_day"]["intro"].startswith("People were asked how they felt in the first day")
    assert tables["at_visit"]["intro"].startswith("Therapists wrote down side effects at each treatment.")
    assert tables["at_visit"]["intro"].endswith("Out of every 100 treatments.")


@pytest.mark.parametrize("table_id", ["next_day", "at_visit", "uncommon", "serious"])
def test_rows_are_sorted_by_frequency_highest_first(content, tables, table_id: str) -> None:
    rows = tables[table_id]["rows"]
    first = list(content.risk_tables[table_id].first)
    rest = [row for row in rows if row["id"] not in first]
    rates = [next(r for r in content.risks if r.id == row["id"]).rate for row in rest]
    assert rates == sorted(rates, reverse=True)
    assert [row["id"] for row in rows[:len(first)]] == first


def test_pneumothorax_leads_its_table_and_says_what_its_number_is(tables) -> None:
    row = tables["serious"]["rows"][0]
    assert row["id"] == "pneumothorax"
    assert row["how_many"] == "fewer than 1 in 100,000 treatments"
    assert "No count exists for dry needling. This is acupuncture: hospital care within 7 days." in row["note"]
    assert "About twice as high near the chest" in row["note"]


def test_the_serious_table_is_on_one_page(info_pages, tables) -> None:
    (page,) = [p for p in info_pages if "Serious problems These problems are serious" in p]
    for row in tables["serious"]["rows"]:
        assert row["effect"] in page, row["effect"]


def test_pain_after_is_after_only_and_soreness_is_said_once_the_same_way(content, info_pages) -> None:
    text = " ".join(info_pages)
    assert "Pain during or after" not in text
    assert "Pain in the treated area in the first day after" in text
    assert "would recommend" not in text and not re.search(r"\b4 in 10\b", text)
    statement = "Soreness usually goes within 1 to 2 days, and almost always within 3 days."
    assert text.count(statement) == 2  # key points and side effects: the same fact, word for word
    assert content.words["soreness_lasts"].startswith("Soreness usually goes within")


def test_the_research_leads_with_dry_needling_and_calls_ang_acupuncture(info_pages) -> None:
    text = " ".join(info_pages)
    research = text[text.index("What does the research say?"):text.index("What did patients say?")]
    assert research.index("13 trials of dry needling") < research.index("111 reviews of acupuncture")
    assert "about 1.5 to 2.3 points less pain on a scale from 0 to 10" in research


# ---- numbers for pictures and for a course of care -------------------------------------------------

def test_rows_expose_count_and_per_for_an_icon_array(tables) -> None:
    soreness = tables["next_day"]["rows"][0]
    assert (soreness["id"], soreness["count"], soreness["per"]) == ("soreness", 52, 100)
    bleeding = next(r for r in tables["at_visit"]["rows"] if r["id"] == "bleeding")
    assert (bleeding["count_low"], bleeding["count"], bleeding["per"]) == (5, 16, 100)


def test_course_of_care_for_the_serious_events(content) -> None:
    course = course_of_care(content)
    assert course["sessions"] == 6
    assert course["each"] == "about 1 in 1,000"
    # 1 - (1 - 20/20,494) ** 6 = 0.58 %
    assert course["course"] == "about 6 in 1,000"
    assert abs(course["course_rate"] - (1 - (1 - 20 / 20494) ** 6)) < 1e-12


def test_date_guide_follows_the_date_order() -> None:
    labels = {"date_day": "DD", "date_month": "MM", "date_year": "YYYY"}
    assert date_guide("DMY", labels) == "DD/MM/YYYY"
    assert date_guide("MDY", labels) == "MM/DD/YYYY"


# ---- validate: typed numbers, missing words, unknown placeholders ---------------------------------

def _validate_errors(project: Path) -> list[str]:
    result = run_cli("validate", cwd=project)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    return [line.removeprefix("Error: ") for line in error_lines(result)]


def test_validate_refuses_a_number_typed_into_the_text(project: Path) -> None:
    line = replace_line(project / EN, "{fact:ang_reviews} reviews", "111 reviews of acupuncture")
    (message,) = _validate_errors(project)
    assert message == (f"{EN}:{line}: info.sections[4].text[4]: the number '111' is typed into the text; numbers "
                       "live in facts.yaml: write a placeholder such as {fact:ID} or {risk:ID}")


def test_a_typed_number_in_a_risk_note_is_refused_too(project: Path) -> None:
    line = replace_line(project / EN, "({fact:boyce_sessions} treatments)", "(20,494 treatments)")
    (message,) = _validate_errors(project)
    assert message.startswith(f"{EN}:{line}: risks.any-minor-effect.note: the number '20,494' is typed"), message


def test_validate_refuses_a_language_that_misses_a_fact_id(project: Path) -> None:
    text = (project / EN).read_text(encoding="utf-8")
    (project / EN).write_text(text.replace("  headache:\n    effect: Headache\n", ""), encoding="utf-8")
    line = text.split("\n").index("risks:") + 1
    (message,) = _validate_errors(project)
    assert message == f"{EN}:{line}: risks: no words for the risk 'headache' of facts.yaml"


def test_validate_refuses_words_for_a_risk_the_facts_do_not_have(project: Path) -> None:
    line = replace_line(project / EN, "  headache:", "  headaches:")
    risks = (project / EN).read_text(encoding="utf-8").split("\n").index("risks:") + 1
    assert _validate_errors(project) == [f"{EN}:{risks}: risks: no words for the risk 'headache' of facts.yaml",
                                         f"{EN}:{line}: risks.headaches: no risk 'headaches' in facts.yaml"]


def test_an_unknown_placeholder_is_an_error_at_its_line(project: Path) -> None:
    line = replace_line(project / EN, "{fact:gattie_weeks}", "{fact:gattie_months}")
    (message,) = _validate_errors(project)
    assert message == (f"{EN}:{line}: info.sections[4].text[1]: unknown fact 'gattie_months' in "
                       "{fact:gattie_months}")


@pytest.mark.parametrize(("old", "new", "where", "number"), [
    ("even {fact:pneumothorax_onset_days} days later", "even 2 days later", "consent.sections[4].text[1]", "2"),
    ("Nothing to eat in the last {fact:fasting_hours} hours", "Nothing to eat in the last 2 hours",
     "consent.screening.questions[15].text", "2"),
    ("more than {fact:soreness_days_max} days", "more than 3 days", "aftercare.red_flags.call_clinic[5]", "3"),
])
def test_a_number_typed_into_the_consent_or_aftercare_is_refused(project: Path, old: str, new: str,
                                                                 where: str, number: str) -> None:
    # Every section holds its numbers as placeholders now: none is only warned of (places are
    # counted from 1, as validate prints them).
    line = replace_line(project / EN, old, new)
    (message,) = _validate_errors(project)
    assert message == (f"{EN}:{line}: {where}: the number '{number}' "
                       "is typed into the text; numbers live in facts.yaml: write a placeholder such as "
                       "{fact:ID} or {risk:ID}")


def test_a_fact_without_a_source_is_refused(project: Path) -> None:
    line = replace_line(project / FACTS, "gattie_trials: {value: 13, source: gattie2017}",
                        "gattie_trials: {value: 13, source: gattie2099}")
    (message,) = _validate_errors(project)
    assert message == f"{FACTS}:{line}: facts.gattie_trials: unknown source 'gattie2099'"


# ---- locale overlays --------------------------------------------------------------------------------

def test_the_us_overlay_changes_the_words_in_the_pdf(project: Path) -> None:
    replace_line(project / "config.yaml", 'emergency_number: "999"', 'emergency_number: "911"')
    replace_line(project / "config.yaml", "locale: en-GB", "locale: en-US")
    result = run_cli("info", "--patient", "Ana Lima", *VISIT, "-o", "us.pdf", cwd=project)
    assert result.returncode == 0, result.stderr
    text = " ".join(page_texts(project / "us.pdf"))
    assert "dry needling by physical therapists" in text and "other physical therapy did" in text
    assert "go to the emergency room" in text and "(lymphedema)" in text
    assert "physiotherapists" not in text.split("Sources")[0] and "A&E" not in text


def test_without_a_locale_the_uk_words_print(info_pages) -> None:
    text = " ".join(info_pages)
    assert "dry needling by physiotherapists" in text and "go to A&E" in text and "(lymphoedema)" in text


def test_an_overlay_is_not_a_language(project: Path) -> None:
    result = run_cli("list", cwd=project)
    assert "dry-needling: en (English)" in result.stdout
    assert "en-US" not in result.stdout and "facts" not in result.stdout

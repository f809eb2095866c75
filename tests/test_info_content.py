"""The information sheet's new parts (issue 10): key points on page 1, what to do before the
appointment, questions to ask, and the offer of other formats with the clinic's phone."""

from __future__ import annotations

import pytest
from conftest import REPO, VISIT, page_texts, run_cli

from patientdocs.load.content import load_content


@pytest.fixture(scope="module")
def info():
    return load_content(REPO / "handouts", "dry-needling", "en").data.info


@pytest.fixture(scope="module", params=[("A4", 12), ("Letter", 16)], ids=["a4-12pt", "letter-16pt"])
def pages(request, tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    paper, size = request.param
    folder = tmp_path_factory.mktemp("info-content")
    config = (REPO / "config.yaml").read_text(encoding="utf-8")
    config = config.replace("paper: A4 ", f"paper: {paper} ").replace("font_size: 12 ", f"font_size: {size} ")
    config = config.replace("handouts: handouts", f"handouts: {REPO / 'handouts'}")
    config = config.replace("templates: templates", f"templates: {REPO / 'templates'}")
    config = config.split("\nseal:")[0] + "\n"
    (folder / "config.yaml").write_text(config, encoding="utf-8")
    result = run_cli("info", "--patient", "Ana Lima", *VISIT, "-o", "info.pdf", cwd=folder)
    assert result.returncode == 0, result.stderr
    return page_texts(folder / "info.pdf")


def test_the_key_points_box_is_on_page_1(info, pages: list[str]) -> None:
    assert f"{info.key_points.heading} • {info.key_points.points[0]}" in pages[0]
    # The last point too: the whole box, not only its start.
    assert "It is your choice. You can say no or stop at any time." in pages[0]


def test_key_points_give_the_serious_risk_as_a_number(pages: list[str]) -> None:
    assert "The most serious risk is a collapsed lung: fewer than 1 in 100,000 treatments." in pages[0]


def test_other_formats_offered_on_page_1_with_the_clinic_phone(pages: list[str]) -> None:
    assert ("You can ask for this sheet and the consent form in another language, in large print, or read "
            "aloud. It is free. Call us on 01632 960 418.") in pages[0]


def test_before_your_appointment_and_questions_to_ask_are_listed(info, pages: list[str]) -> None:
    text = " ".join(pages)
    for box in (info.before_appointment, info.questions_to_ask):
        start = text.index(box.heading)
        for point in box.points:
            assert point in text[start:], point
    assert text.index(info.before_appointment.heading) > text.index("Who needs extra care?")
    assert text.index(info.questions_to_ask.heading) < text.rindex("Sources")


def test_benefit_and_course_are_numbers(pages: list[str]) -> None:
    text = " ".join(pages)
    assert "Most people have 3 to 6 sessions." in text
    assert "about 1.5 to 2.3 points less pain" in text


def test_the_tables_say_how_they_were_counted(pages: list[str]) -> None:
    text = " ".join(pages)
    assert ("What people said about the first day after People were asked how they felt in the first day "
            "after treatment. Out of every 100 people.") in text
    assert ("What therapists recorded at the visit Therapists wrote down side effects at each treatment. One "
            "treatment can have more than one. Out of every 100 treatments.") in text


def test_the_serious_table_stays_on_one_page(pages: list[str]) -> None:
    (page,) = [p for p in pages if "Serious problems These problems are serious" in p]
    for effect in ("Collapsed lung", "Any major problem", "Any significant problem",
                   "Infection, nerve injury or a broken needle"):
        assert effect in page, effect

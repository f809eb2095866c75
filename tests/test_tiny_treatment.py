"""A second, tiny treatment (tests/fixtures/tiny: cupping) proves nothing is tied to dry needling:
treatments, words, numbers, sources and clinic all come from the files."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from conftest import FIXTURES, REPO, TODAY, VISIT, cli, norm, page_texts, replace_line

from patientdocs.load.config import load_config
from patientdocs.render.context import risk_rows
from patientdocs.render.pipeline import Pipeline

DRY_NEEDLING_WORDS = ("needl", "acupunct", "pneumothorax", "trigger point", "Tolbert", "Brady", "Riverside")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture copied to a temporary folder, using the project's own templates."""
    folder = tmp_path_factory.mktemp("tiny") / "tiny"
    shutil.copytree(FIXTURES / "tiny", folder)
    replace_line(folder / "config.yaml", "templates: ../../../templates", f"templates: {REPO / 'templates'}")
    return folder


@pytest.fixture(scope="module")
def cupping(tiny: Path):
    result = cli("info", "--patient", "Ana Lima", *VISIT, "--treatment", "cupping", "-o", "cupping.pdf",
                 cwd=tiny)
    pdf = tiny / "cupping.pdf"
    pages = page_texts(pdf) if pdf.exists() else []
    config = load_config(tiny / "config.yaml")
    pipeline = Pipeline(config, on_date=TODAY)
    loaded = pipeline.content("cupping", "en")
    return result, pages, loaded.data, pipeline.fingerprint(loaded)


def test_fixture_config_works_in_place_too() -> None:
    # The committed fixture is valid as it stands (relative path to the project's templates).
    config = load_config(FIXTURES / "tiny" / "config.yaml")
    assert config.templates_dir.resolve() == (REPO / "templates").resolve()
    assert config.defaults.treatment == "cupping"


def test_list_shows_only_the_tiny_treatment(tiny: Path) -> None:
    result = cli("list", cwd=tiny)
    assert result.returncode == 0, result.stderr
    assert "cupping: en (English)" in result.stdout
    assert "dry-needling" not in result.stdout
    assert re.search(r"^\s+info\s", result.stdout, re.M), result.stdout


def test_list_points_at_validate_for_content_it_cannot_read(tiny: Path) -> None:
    broken = tiny / "handouts" / "cupping" / "fr.yaml"
    broken.write_text("treatment: [broken\n", encoding="utf-8")
    try:
        result = cli("list", cwd=tiny)
    finally:
        broken.unlink()  # the folder is shared by this module's tests
    assert result.returncode == 0, result.stderr
    assert "cupping: en (English), fr (has a problem: run validate)" in result.stdout


def test_info_for_cupping_works(cupping) -> None:
    result, pages, _content, _fingerprint = cupping
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"Saved cupping.pdf ({len(pages)} page{'' if len(pages) == 1 else 's'})"
    assert pages


def test_cupping_sheet_uses_its_own_words_and_clinic(cupping) -> None:
    _result, pages, _content, fingerprint = cupping
    text = " ".join(pages)
    assert "Cupping: what to expect" in text
    assert "Made for Ana Lima, 1 December 2026, with Sam Patel." in pages[0]
    assert "Born: 9 March 1984" in pages[0]
    assert "Your therapist puts round cups on your skin." in text
    assert "Ask us if you have any questions. Phone 01632 960 999." in text
    for page in pages:
        assert "Harbour Wellness Rooms" in page
        assert "2 Quay Street, Porthaven PH1 2AB" in page
        assert f"Edition 2099.1 · Check by 31 December 2099 · Code {fingerprint}" in page
    n = len(pages)
    for number, page in enumerate(pages, start=1):
        assert re.findall(r"Sheet (\d+) of (\d+)", page) == [(str(number), str(n))]
        assert "Page" not in page


def test_cupping_sheet_prints_its_risks(cupping) -> None:
    _result, pages, content, _fingerprint = cupping
    text = " ".join(pages)
    rows = [row for table in risk_rows(content) for row in table["rows"]]
    assert [row["id"] for row in rows] == ["marks", "burn"]
    for row in rows:
        assert f"{norm(row['effect'])}" in text
        assert f"{row['how_many']} {row['band_word']}" in text
    assert "around 60 in 100 people very common" in text
    assert "under 2 in 10,000 treatments rare" in text
    assert "Effects of cupping" in text
    assert "What happens Count Band From" in text


def test_cupping_sheet_cites_its_own_sources(cupping) -> None:
    _result, pages, _content, _fingerprint = cupping
    text = " ".join(pages)
    after = text[text.index("Where the numbers come from"):]
    # Built from the facts file's fields: authors, journal, year;volume:pages.
    assert "1. Fixture Author A. Journal of Test Fixtures. 2020;1:1-2." in after
    assert "2. Fixture Author B. Journal of Test Fixtures. 2021;2:3-4." in after


def test_no_dry_needling_words_appear(cupping) -> None:
    _result, pages, _content, _fingerprint = cupping
    text = " ".join(pages).lower()
    for word in DRY_NEEDLING_WORDS:
        assert word.lower() not in text, word


def test_dry_needling_is_not_available_with_this_config(tiny: Path) -> None:
    result = cli("info", "--patient", "Ana Lima", "--treatment", "dry-needling", "--date", "2026-12-01",
                 "-o", "dn.pdf", cwd=tiny)
    assert result.returncode == 2
    assert result.stderr.strip() == "Error: unknown treatment 'dry-needling' (available: cupping)"
    assert not (tiny / "dn.pdf").exists()


def test_validate_checks_the_tiny_treatment(tiny: Path) -> None:
    result = cli("validate", cwd=tiny)
    assert result.returncode == 0, result.stderr
    assert re.search(r"^OK\s+cupping/en info \(\d+ pages?; tagged: yes, text all tagged, fonts embedded\)$",
                     result.stdout, re.M), result.stdout
    assert "dry-needling" not in result.stdout
    assert result.stdout.rstrip().endswith("All checks passed.")

"""Right to left, the consent form's therapist's box and icon arrays: mirrored, and its Yes and
No drawn in a font that has their letters (they were once empty squares).

The fixture is the tiny cupping treatment of tests/fixtures/rtl, as in test_rtl.py."""

from __future__ import annotations

import shutil
import subprocess
from io import BytesIO

import pdfplumber
import pytest
from conftest import FIXTURES, REPO, VISIT, cli, replace_line

A4_WIDTH = 595.2756
LABELS = {"he": ("טיפול ליד בית החזה מתוכנן", "כן"), "ar": ("العلاج قرب الصدر مخطط له", "نعم")}


@pytest.fixture(scope="module")
def consent(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("rtl-forms") / "rtl"
    shutil.copytree(FIXTURES / "rtl", folder)
    replace_line(folder / "config.yaml", "templates: ../../../templates", f"templates: {REPO / 'templates'}")
    out = {}
    for lang in LABELS:
        target = folder / f"{lang}.pdf"
        result = cli("consent", "--patient", "Ana Lima", *VISIT, "--lang", lang, "--chest-region", "yes",
                     "-o", target, cwd=folder)
        assert result.returncode == 0, result.stderr
        out[lang] = target.read_bytes()
    return out


def _tick_rows(page) -> dict[int, list[dict]]:
    """The tick boxes of a page, by the row they stand on."""
    rows: dict[int, list[dict]] = {}
    for r in page.rects:
        if 15 < r["width"] < 25 and abs(r["width"] - r["height"]) < 1:
            rows.setdefault(round((r["top"] + r["bottom"]) / 4), []).append(r)
    return rows


@pytest.mark.parametrize("lang", sorted(LABELS))
def test_every_yes_no_pair_has_its_words(consent, lang: str) -> None:
    # Drawn in the body font, which has no Hebrew or Arabic, the box's Yes and No were empty
    # squares, and the text layer lost them.
    _, yes = LABELS[lang]
    with pdfplumber.open(BytesIO(consent[lang])) as pdf:
        rows = _tick_rows(pdf.pages[0])
    assert len(rows) >= 4  # two questions and the box's two Yes/No rows
    page1 = subprocess.run(["pdftotext", "-f", "1", "-l", "1", "-", "-"], input=consent[lang],
                           capture_output=True, check=True).stdout.decode("utf-8")
    assert page1.count(yes) >= len(rows)


@pytest.mark.parametrize("lang", sorted(LABELS))
def test_every_yes_no_row_reads_from_the_right(consent, lang: str) -> None:
    # Left to right a row ends with its boxes; right to left it starts, on the right, with its
    # words: the question, or the therapist's box's label.
    with pdfplumber.open(BytesIO(consent[lang])) as pdf:
        page = pdf.pages[0]
        rows = _tick_rows(page)
        assert len(rows) >= 4
        for key, row in rows.items():
            middle = sum((t["top"] + t["bottom"]) / 2 for t in row) / len(row)
            words = [c for c in page.chars if abs((c["top"] + c["bottom"]) / 2 - middle) < 8]
            assert max(c["x1"] for c in words) > max(t["x1"] for t in row) + 20, (key, row)
        people = [c for c in page.curves if c["x1"] - c["x0"] < 8]  # heads and bodies, not a tick
        assert len(people) >= 100
        assert min(c["x0"] for c in people) > A4_WIDTH / 2  # the icon array stands at the right

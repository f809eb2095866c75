"""An aftercare sheet made without the therapist's answer on the chest region still warns about a
collapsed lung.

Whether needles went near the chest is the therapist's decision (--chest-region yes|no, or the
appointment list's chest_region column), never the words of --areas. Without an answer the
warning is printed, worded for "if needles were used near ..." rather than claiming that they were.
"""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys

import pikepdf
import pytest
import yaml
from helpers_docs import GENERATE, REPO, cli_env, invoke, make, page_texts, plain, write_config
from support import TODAY

CARE = yaml.safe_load((REPO / "handouts" / "dry-needling" / "en.yaml").read_text(encoding="utf-8"))["aftercare"]
FLAGS = CARE["red_flags"]
UNKNOWN_WARNING = plain(FLAGS["chest_warning_areas_unknown"])
KNOWN_WARNING = plain(FLAGS["chest_warning"])
CHEST_SECTION = plain(next(s["heading"] for s in CARE["sections"] if s["id"] == "near-the-chest"))
WHAT_IS_NORMAL = plain(next(s["heading"] for s in CARE["sections"] if s["id"] == "what-is-normal"))


def assert_warned_for_unknown_areas(text: str) -> None:
    assert UNKNOWN_WARNING in text
    assert "If needles were used near your chest, upper back, neck or shoulder" in text
    assert "collapsed lung (pneumothorax)" in text and "get emergency help at once" in text
    assert CHEST_SECTION in text
    # Nobody said where the needles went: the sheet must not say it was the chest.
    assert KNOWN_WARNING not in text and "You had needling near your chest" not in text


def test_the_content_words_the_unknown_case_as_a_condition():
    assert UNKNOWN_WARNING.startswith("If needles were used near your chest, upper back, neck or shoulder")
    assert "You had" not in UNKNOWN_WARNING


def test_an_aftercare_sheet_without_areas_has_the_chest_warning_first(tmp_path):
    pdf = make("aftercare", tmp_path / "aftercare.pdf", config=write_config(tmp_path))
    pages = page_texts(pdf)
    assert_warned_for_unknown_areas(" ".join(pages))
    first = pages[0]
    assert first.index(UNKNOWN_WARNING) < first.index(WHAT_IS_NORMAL)
    assert first.index(UNKNOWN_WARNING) < first.index("Your visit")
    assert " ".join(pages).count(plain(FLAGS["heading"])) == 1, "the warning signs are printed once"


def test_areas_away_from_the_chest_without_an_answer_still_get_the_warning(tmp_path):
    pdf = make("aftercare", tmp_path / "aftercare.pdf", "--areas", "calf (right)", config=write_config(tmp_path))
    text = " ".join(page_texts(pdf))
    assert "calf (right)" in text
    assert_warned_for_unknown_areas(text)


def test_chest_region_no_leaves_the_warning_out(tmp_path):
    pdf = make("aftercare", tmp_path / "aftercare.pdf", "--areas", "calf (right)", "--chest-region", "no",
               config=write_config(tmp_path))
    text = " ".join(page_texts(pdf))
    assert UNKNOWN_WARNING not in text and KNOWN_WARNING not in text and CHEST_SECTION not in text
    assert "If needles were used near your chest" not in text


def test_areas_near_the_chest_without_an_answer_do_not_claim_it(tmp_path):
    pdf = make("aftercare", tmp_path / "aftercare.pdf", "--areas", "neck (left)", config=write_config(tmp_path))
    pages = page_texts(pdf)
    assert_warned_for_unknown_areas(" ".join(pages))
    assert UNKNOWN_WARNING in pages[0]


def test_chest_region_yes_says_so(tmp_path):
    pdf = make("aftercare", tmp_path / "aftercare.pdf", "--areas", "neck (left)", "--chest-region", "yes",
               config=write_config(tmp_path))
    first = page_texts(pdf)[0]
    assert KNOWN_WARNING in first and UNKNOWN_WARNING not in first


def test_every_batch_aftercare_sheet_has_the_chest_warning(tmp_path):
    config = write_config(tmp_path)
    listing = tmp_path / "day.csv"
    with listing.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([
            ["date", "time", "patient_name", "dob", "patient_id", "therapist", "documents"],
            ["2026-12-01", "08:00", "Ana Lima", "1990-05-02", "P-1042", "Sam Patel", "aftercare"],
            ["2026-12-01", "08:20", "Bo Ek", "1971-02-03", "P-1043", "Sam Patel", "info"],
        ])
    out = tmp_path / "day"
    result = subprocess.run([sys.executable, str(GENERATE), "batch", str(listing), "-o", str(out),
                             "--config", str(config)], cwd=tmp_path, env=cli_env(), capture_output=True, text=True,
                            encoding="utf-8", timeout=180, check=False, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, (result.stdout, result.stderr)
    rows = sorted(p for p in out.glob("*.pdf") if p.name != "print-all.pdf")
    assert len(rows) == 2, rows
    texts = {p.name: " ".join(page_texts(p)) for p in rows}
    (ana,) = [name for name, text in texts.items() if "Ana Lima" in text]
    assert_warned_for_unknown_areas(texts[ana])
    assert_warned_for_unknown_areas(" ".join(page_texts(out / "print-all.pdf")))


def test_an_emailed_aftercare_sheet_without_areas_has_the_chest_warning(tmp_path):
    config = write_config(tmp_path)
    result = invoke("email", "aftercare", "--to", "ana@example.org", "--patient", "Ana Lima", "--dob", "1990-05-02",
                    "--therapist", "Sam Patel", "--dry-run", config=config, cwd=tmp_path)
    assert result.returncode == 0, (result.stdout, result.stderr)
    (eml,) = (tmp_path / "outbox").glob("*.eml")
    import email
    import email.policy

    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    (attachment,) = [part.get_content() for part in message.iter_attachments()]
    passphrase = re.search(r"^Passphrase for the patient[^:]*: ([a-z-]+)$", result.stdout, re.M).group(1)
    with pikepdf.open(io.BytesIO(attachment), password=passphrase) as pdf:
        opened = io.BytesIO()
        pdf.save(opened)
    assert_warned_for_unknown_areas(" ".join(page_texts(opened.getvalue())))


@pytest.mark.parametrize("areas", [(), ("neck (left)",), ("calf (right)",)])
@pytest.mark.parametrize("chest_region", [None, "yes", "no"])
def test_the_template_context_marks_the_chest_section(areas, chest_region):
    """``near_chest`` in the template's context: off only when the therapist said no, whatever the areas."""
    from patientdocs.load.config import load_config
    from patientdocs.load.content import load_content
    from patientdocs.load.visit import make_visit
    from patientdocs.render.context import build_context

    config = load_config(REPO / "config.yaml")
    loaded = load_content(REPO / "handouts", "dry-needling", "en")
    visit = make_visit(patient="Ana Lima", date="2026-12-01", dob=None, patient_id=None, therapist="Sam Patel",
                       today=TODAY, areas=areas, chest_region=chest_region)
    context = build_context("aftercare", config, loaded, visit, fingerprint="0" * 12, today=TODAY)
    assert context["near_chest"] is (chest_region != "no")
    assert context["chest_region"] == (chest_region or "unknown")

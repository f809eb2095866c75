"""Large print (issue 12): every document at 16-18 pt with 1.5 line spacing, wide tables reflowed
into stacked rows, nothing outside the page or overlapping, the red-flag box still on page 1, still
tagged; asked for per document (--large-print), per appointment (large_print column) or by the
clinic (document.large_print), and part of the fingerprint.
"""

from __future__ import annotations

import collections
import csv
import itertools
from io import BytesIO
from pathlib import Path

import pdfplumber
import pytest
import yaml
from conftest import TODAY_EPOCH, copy_project, norm, page_texts, run_cli
from test_chest_region import assert_red_flags_on_page_1

from patientdocs.load.config import load_config
from patientdocs.render.pdf.checks import accessibility_problems
from patientdocs.usecases.documents import DocumentRequest, VisitInput, make_document

ANA = dict(patient="Ana Lima", dob="1990-05-02", patient_id="P-1042", therapist="Sam Patel", date="2026-12-01")
# What every kind of document looks like in large print (the packet holds the information sheet and consent).
REQUESTS = {
    "info": dict(kind="info"),
    "consent": dict(kind="consent"),
    "fillable": dict(kind="consent", fillable=True),
    "aftercare": dict(kind="aftercare", areas=("neck (left)", "T6 multifidus"), estim=True, chest_region="yes",
                      note="Heat for 10 minutes tonight", next_visit="2026-12-08"),
    "packet": dict(kind="packet"),
}
HEADER_BOTTOM, FOOTER_ROOM = 95, 60  # the running header and the footer


def set_document(config_path: Path, **settings) -> Path:
    data = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    data.setdefault("document", {}).update(settings)
    config_path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return config_path


def make(config, name: str, large_print: bool | None = True):
    spec = dict(REQUESTS[name])
    kind, fillable = spec.pop("kind"), spec.pop("fillable", False)
    visit = VisitInput(**ANA, large_print=large_print, **spec)
    config.output_dir.mkdir(exist_ok=True)
    return make_document(config, DocumentRequest(kind=kind, visit=visit, fillable=fillable,
                                                 output=config.output_dir / f"{name}-{large_print}.pdf"))


@pytest.fixture(scope="module")
def large(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("large")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", TODAY_EPOCH)
        config = load_config(copy_project(folder))
        return {name: make(config, name).path for name in REQUESTS} | {
            f"{name}-normal": make(config, name, None).path for name in ("info", "aftercare")}


def body_chars(page) -> list[dict]:
    return [c for c in page.chars if HEADER_BOTTOM < c["top"] < page.height - FOOTER_ROOM and c["text"].strip()]


# --- size and spacing ------------------------------------------------------------------------------------

def small_print(pdf_path: Path | bytes) -> list[tuple[float, str]]:
    """Every character under 16 pt on any page: the letterhead and the footer included."""
    data = pdf_path.read_bytes() if isinstance(pdf_path, Path) else pdf_path
    with pdfplumber.open(BytesIO(data)) as pdf:
        return sorted({(round(c["size"], 1), c["text"]) for page in pdf.pages for c in page.chars
                       if c["text"].strip() and c["size"] < 15.95})


@pytest.mark.parametrize("name", REQUESTS)
def test_every_character_is_16_pt_or_more(large, name):
    with pdfplumber.open(large[name]) as pdf:
        sizes = collections.Counter(round(c["size"], 1) for page in pdf.pages for c in body_chars(page))
    assert sizes.most_common(1)[0][0] == 16.0
    assert small_print(large[name]) == []


def test_the_letterhead_and_footer_are_at_the_body_size(large):
    with pdfplumber.open(large["consent"]) as pdf:
        first, later = pdf.pages[0], pdf.pages[1]
        head = [w for w in first.extract_words(extra_attrs=["size"]) if w["top"] < 150]
        foot = [w for w in later.extract_words(extra_attrs=["size"]) if w["top"] > later.height - 80]
        text = " ".join(w["text"] for w in head)
    assert "01632 960 418" in text and "frontdesk@riverside-physio.example" in text  # the phone at body size
    assert "Este documento también está disponible en español." in text
    assert {round(w["size"]) for w in head} == {16, 18}  # the clinic's name 2 pt larger
    assert " ".join(w["text"] for w in foot).startswith("Version 2026.11")
    assert {round(w["size"]) for w in foot} == {16} and "2 of" in " ".join(w["text"] for w in foot)


def test_the_copy_label_is_in_large_print_too(large):
    with pdfplumber.open(large["consent"]) as pdf:
        words = pdf.pages[0].extract_words(extra_attrs=["size"])
    label = [(w["text"], round(w["size"])) for w in words
             if w["top"] < HEADER_BOTTOM and w["text"] in ("Patient", "copy")]
    assert label == [("Patient", 16), ("copy", 16)]


def test_a_normal_sheet_is_smaller(large):
    with pdfplumber.open(large["info-normal"]) as pdf:
        sizes = collections.Counter(round(c["size"], 1) for page in pdf.pages for c in body_chars(page))
    assert sizes.most_common(1)[0][0] == 12.0


def line_gaps(pdf_path: Path, size: float) -> collections.Counter:
    """Distances between the tops of consecutive lines of body text of ``size``."""
    gaps: collections.Counter = collections.Counter()
    with pdfplumber.open(pdf_path) as pdf:
        for page in pdf.pages:
            tops = sorted({round(c["top"], 1) for c in body_chars(page) if abs(c["size"] - size) < 0.05})
            gaps.update(round(b - a, 1) for a, b in itertools.pairwise(tops))
    return gaps


@pytest.mark.parametrize("name", ["info", "consent", "aftercare"])
def test_lines_are_one_and_a_half_apart(large, name):
    assert line_gaps(large[name], 16).most_common(1)[0][0] == 24.0  # 16 pt x 1.5


def test_the_normal_sheet_keeps_its_spacing(large):
    # Reading text at 1.45 (12 pt x 1.45 = 17.4 pt from one line to the next).
    assert line_gaps(large["info-normal"], 12).most_common(1)[0][0] == pytest.approx(17.4)


@pytest.mark.parametrize("size", [17, 18])
def test_the_clinic_chooses_16_to_18_pt(tmp_path, monkeypatch, size):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", TODAY_EPOCH)
    config = load_config(set_document(copy_project(tmp_path), large_print_size=size))
    saved = make(config, "aftercare")
    assert line_gaps(saved.path, size).most_common(1)[0][0] == pytest.approx(size * 1.5)
    assert_red_flags_on_page_1(saved.path, config.clinic.emergency_number, whole_box=False)


def test_a_large_print_size_below_16_is_refused(tmp_path):
    set_document(copy_project(tmp_path), large_print_size=14)
    result = run_cli("validate", cwd=tmp_path)
    assert result.returncode == 2
    assert "document.large_print_size: must be at least 16, not 14" in result.stderr


# --- nothing cut off, nothing overlapping ----------------------------------------------------------------

def outside_the_page(pdf_path: Path | bytes) -> list[tuple[int, str]]:
    data = pdf_path.read_bytes() if isinstance(pdf_path, Path) else pdf_path
    with pdfplumber.open(BytesIO(data)) as pdf:
        return [(n, c["text"]) for n, page in enumerate(pdf.pages, 1) for c in page.chars
                if c["x0"] < 0 or c["top"] < 0 or c["x1"] > page.width or c["bottom"] > page.height]


def overlapping_words(pdf_path: Path | bytes) -> list[tuple[int, str, str]]:
    data = pdf_path.read_bytes() if isinstance(pdf_path, Path) else pdf_path
    found = []
    with pdfplumber.open(BytesIO(data)) as pdf:
        for n, page in enumerate(pdf.pages, 1):
            words = page.extract_words()
            for i, a in enumerate(words):
                for b in words[i + 1:]:
                    across = min(a["x1"], b["x1"]) - max(a["x0"], b["x0"])
                    down = min(a["bottom"], b["bottom"]) - max(a["top"], b["top"])
                    if across > 0.5 and down > 0.5:
                        found.append((n, a["text"], b["text"]))
    return found


@pytest.mark.parametrize("name", REQUESTS)
def test_no_text_outside_the_page_and_no_words_overlap(large, name):
    assert outside_the_page(large[name]) == []
    assert overlapping_words(large[name]) == []


def _logo(path: Path) -> None:
    from PIL import Image

    Image.new("RGB", (200, 100), "#1f5f8b").save(path)


@pytest.mark.parametrize("paper", ["A4", "Letter"])
def test_a_tall_letterhead_with_a_logo_and_a_warning_stays_clear_of_the_text(tmp_path, monkeypatch, paper):
    """The bands grow with what they hold: a logo, a long warning (content past its review date,
    on every page) and the version line, all at 16 pt, wrapped, never under the text."""
    from helpers_docs import expired_handouts

    monkeypatch.setenv("SOURCE_DATE_EPOCH", TODAY_EPOCH)
    config_path = set_document(copy_project(tmp_path), paper=paper)
    _logo(tmp_path / "logo.png")
    data = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    data["clinic"]["logo"] = "logo.png"
    data["paths"]["handouts"] = str(expired_handouts(tmp_path / "expired"))
    config_path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    config = load_config(config_path)
    visit = VisitInput(**ANA, large_print=True)
    saved = make_document(config, DocumentRequest(kind="consent", visit=visit, allow_expired=True))
    assert small_print(saved.path) == []
    assert outside_the_page(saved.path) == [] and overlapping_words(saved.path) == []
    pages = page_texts(saved.path)
    assert all("past its review date" in norm(text) for text in pages)  # the warning on every page
    with pdfplumber.open(saved.path) as pdf:
        page = pdf.pages[0]
        image = page.images[0]
        words = page.extract_words()
        title = next(w for w in words if w["text"] == "Dry")
        warning = [w for w in words if w["text"] in ("past", "review")]
    assert image["x0"] < 60 and image["bottom"] < title["top"]  # the logo at the left, above the title
    assert all(w["bottom"] < title["top"] for w in warning)  # the warning above the text, not over it


def test_a_right_to_left_letterhead_in_large_print_is_mirrored(tmp_path):
    import shutil

    from conftest import FIXTURES, REPO, VISIT, cli, replace_line

    folder = tmp_path / "rtl"
    shutil.copytree(FIXTURES / "rtl", folder)
    replace_line(folder / "config.yaml", "templates: ../../../templates", f"templates: {REPO / 'templates'}")
    target = folder / "he.pdf"
    result = cli("consent", "--patient", "Ana Lima", *VISIT, "--lang", "he", "--large-print", "-o", target,
                 cwd=folder)
    assert result.returncode == 0, result.stderr
    assert small_print(target) == []
    assert outside_the_page(target) == [] and overlapping_words(target) == []
    with pdfplumber.open(target) as pdf:
        page = pdf.pages[0]
        words = page.extract_words()
    right = page.width - 15 * 72 / 25.4  # the right margin
    details = [w for w in words if w["top"] < 85 and w["x0"] > page.width / 2]
    rows = collections.defaultdict(list)
    for w in details:
        rows[round(w["top"])].append(w)
    # The clinic's name, address and phone each end at the right margin ...
    assert len(rows) == 3 and all(abs(max(w["x1"] for w in row) - right) < 1 for row in rows.values())
    # ... the copy label is at the left one ...
    label = [w for w in words if w["top"] < 40 and w["x1"] < page.width / 2]
    assert label and min(w["x0"] for w in label) < 60
    # ... and the footer's "page 1 of 2" at the left margin, its version line from the right one.
    foot = [w for w in words if w["top"] > page.height - 60]
    assert min(w["x0"] for w in foot) < 50 and abs(max(w["x1"] for w in foot) - right) < 1


def test_the_layout_checks_find_what_they_look_for():
    from reportlab.pdfgen.canvas import Canvas

    buffer = BytesIO()
    canvas = Canvas(buffer, pagesize=(300, 300))
    canvas.setFont("Helvetica", 16)
    canvas.drawString(20, 150, "Soreness")
    canvas.drawString(30, 146, "Headache")  # on top of the first word
    canvas.drawString(250, 100, "cut off at the edge")
    canvas.save()
    assert overlapping_words(buffer.getvalue()) == [(1, "Soreness", "Headache")]
    assert (1, "e") in outside_the_page(buffer.getvalue())


# --- tables reflow ---------------------------------------------------------------------------------------

def test_risk_tables_become_stacked_rows(large):
    text = " ".join(page_texts(large["info"]))
    assert "Effect: Soreness in the treated muscle How many" in text
    assert "How many: about 52 in 100 people How often: very common Source: Tolbert 2025" in text
    normal = " ".join(page_texts(large["info-normal"]))
    assert "How many: about 52 in 100" not in normal and "Effect How many How often Source" in normal


def test_stacked_rows_keep_every_value_of_the_table(large):
    """Each row of each risk table is one block, in order, with all four of its values."""
    from patientdocs.load.content import load_content
    from patientdocs.render.context import risk_rows

    content = load_content(Path(__file__).resolve().parents[1] / "handouts", "dry-needling", "en").data
    text = " ".join(page_texts(large["info"]))
    position = 0
    for table in risk_rows(content):
        for row in table["rows"]:
            block = (f"How many: {row['how_many']} How often: {row['band_word']} Source: "
                     + " ".join(row["sources"]))
            found = text.find(norm(block), position)
            assert found >= position, block
            assert norm(f"Effect: {row['effect']}") in text[position:found].replace("*", "")
            position = found + len(block)


def test_the_print_run_cover_is_not_reflowed(tmp_path):
    """The checklist on a print run's cover (for staff, with tick boxes) stays a table."""
    copy_project(tmp_path)
    listing = tmp_path / "day.csv"
    listing.write_text("date,time,patient_name,documents,large_print\n2026-12-01,08:00,Ana Lima,aftercare,yes\n",
                       encoding="utf-8")
    result = run_cli("batch", listing, "-o", tmp_path / "day", "--workers", "1", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    cover = page_texts(tmp_path / "day" / "print-all.pdf")[0]
    assert "Time Patient Therapist Documents Done" in cover


# --- still tagged, red flags still on page 1 ----------------------------------------------------------

@pytest.mark.parametrize("name", REQUESTS)
def test_large_print_passes_the_accessibility_checks(large, name):
    from pdfua import validate

    assert accessibility_problems(large[name].read_bytes()) == []
    report = validate(str(large[name]))
    assert [(f.rule_id, f.message) for f in report.findings] == []


@pytest.mark.parametrize("paper", ["A4", "Letter"])
@pytest.mark.parametrize("chest_region", ["yes", "no", None])
def test_the_red_flag_box_is_on_page_1_at_16_pt(tmp_path, monkeypatch, paper, chest_region):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", TODAY_EPOCH)
    config = load_config(set_document(copy_project(tmp_path), paper=paper))
    visit = VisitInput(**ANA, areas=("calf (right)", "upper trapezius (left)"), estim=True, chest_region=chest_region,
                       note="Heat for 10 minutes tonight", next_visit="2026-12-08", large_print=True)
    saved = make_document(config, DocumentRequest(kind="aftercare", visit=visit))
    assert_red_flags_on_page_1(saved.path, config.clinic.emergency_number, whole_box=False)


def test_large_print_is_byte_identical_run_to_run(tmp_path, monkeypatch):
    from patientdocs.usecases.documents import preview_document

    monkeypatch.setenv("SOURCE_DATE_EPOCH", TODAY_EPOCH)
    config = load_config(copy_project(tmp_path))
    request = DocumentRequest(kind="info", visit=VisitInput(**ANA, large_print=True))
    assert preview_document(config, request) == preview_document(config, request)


# --- how it is asked for, and the fingerprint ---------------------------------------------------------

def docinfo(pdf: Path) -> dict[str, str]:
    import pikepdf

    with pikepdf.open(pdf) as doc:
        return {str(k): str(v) for k, v in doc.docinfo.items()}


def test_large_print_has_a_fingerprint_of_its_own(large):
    big, normal = docinfo(large["aftercare"]), docinfo(large["aftercare-normal"])
    assert big["/LargePrint"] == "yes" and "/LargePrint" not in normal
    assert big["/Fingerprint"] != normal["/Fingerprint"]
    assert f"Ref {big['/Fingerprint']}" in page_texts(large["aftercare"])[0]


def test_the_clinic_default_and_the_option_that_overrides_it(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", TODAY_EPOCH)
    config = load_config(set_document(copy_project(tmp_path), large_print=True))
    by_default = make(config, "aftercare", None)
    refused = make(config, "aftercare", False)
    assert docinfo(by_default.path)["/LargePrint"] == "yes"
    assert "/LargePrint" not in docinfo(refused.path)
    assert line_gaps(refused.path, 12).most_common(1)[0][0] == pytest.approx(17.4)  # reading text: 1.45


@pytest.mark.parametrize("command", [("info",), ("consent",), ("aftercare", "--chest-region", "no"), ("packet",),
                                     ("make", "aftercare", "--chest-region", "no")])
def test_every_document_command_takes_large_print(tmp_path, command):
    copy_project(tmp_path)
    out = tmp_path / "doc.pdf"
    result = run_cli(*command, "--patient", "Ana Lima", "--large-print", "-o", out, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert docinfo(out)["/LargePrint"] == "yes"


def test_email_takes_large_print(tmp_path):
    import email
    import email.policy
    import re

    import pikepdf

    copy_project(tmp_path)
    result = run_cli("email", "aftercare", "--to", "ana@example.org", "--patient", "Ana Lima", "--chest-region", "no",
                     "--large-print", "--slip", "--dry-run", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    # The passphrase slip handed over with them is in large print too.
    slip = Path(re.search(r"^Slip to print for the patient: (.+) \(delete it once printed\)$", result.stdout,
                          re.M).group(1))
    with pdfplumber.open(tmp_path / slip) as pdf:
        assert min(c["size"] for c in pdf.pages[0].chars if c["text"].strip()) >= 15.95
    (eml,) = (tmp_path / "outbox").glob("*.eml")
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    (attachment,) = [part.get_content() for part in message.iter_attachments()]
    passphrase = re.search(r"^Passphrase for the patient[^:]*: ([a-z-]+)$", result.stdout, re.M).group(1)
    with pikepdf.open(BytesIO(attachment), password=passphrase) as pdf:
        assert str(pdf.docinfo["/LargePrint"]) == "yes"


def test_the_large_print_column_decides_each_row_and_remakes_when_changed(tmp_path):
    copy_project(tmp_path)
    listing = tmp_path / "day.csv"
    out = tmp_path / "day"

    def run_with(answers: list[str]):
        with listing.open("w", newline="", encoding="utf-8") as handle:
            rows = [["date", "time", "patient_name", "documents", "Large Print"]]
            rows += [["2026-12-01", f"{8 + i:02d}:00", f"Pat {i}", "info", a] for i, a in enumerate(answers)]
            csv.writer(handle).writerows(rows)
        result = run_cli("batch", listing, "-o", out, "--workers", "1", cwd=tmp_path)
        made = {f"Pat {i}": p for i in range(len(answers)) for p in out.glob(f"*_pat-{i}.pdf")}
        return result, made

    result, made = run_with(["Y", "", "no", "huge"])
    assert result.returncode == 1 and sorted(made) == ["Pat 0", "Pat 1", "Pat 2"]
    assert docinfo(made["Pat 0"])["/LargePrint"] == "yes"
    assert "/LargePrint" not in docinfo(made["Pat 1"]) and "/LargePrint" not in docinfo(made["Pat 2"])
    report = (out / "report.txt").read_text(encoding="utf-8")
    assert "line 5: Pat 3: SKIPPED: large print 'huge' is not yes or no (write yes or no, or leave it empty)" in report
    result, made = run_with(["no", "", "no"])
    assert result.returncode == 0
    assert "/LargePrint" not in docinfo(made["Pat 0"])

"""Reuse of the work that is the same for every patient (issue 16): output is byte for byte what it
is without it, and nothing that depends on the patient is ever taken from another document.

``PATIENTDOCS_REUSE=0`` turns the reuse off; every comparison here is with it on against it off,
with SOURCE_DATE_EPOCH set, after the caches were filled by other patients' documents.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import shutil
from pathlib import Path

import pikepdf
import pytest
from conftest import FIXTURES, REPO, TODAY_EPOCH, copy_project, page_texts, replace_line, run_cli

from patientdocs.load.config import load_config
from patientdocs.load.visit import make_visit
from patientdocs.render.pdf import reuse
from patientdocs.render.pipeline import Pipeline

EPOCH = "1764547200"
ON_DATE = dt.date(2026, 12, 1)
HOSTILE = ["Zoë O'Brien", "</p><h1>Bobby & \"Tables\"</h1>", "Ana <b>Lima</b> &amp; Co", "Łukasz Wójcik-Brontë",
           "Nguyễn Thị Minh Khai", "Γιώργος Παπαδόπουλος", "Aoife Ní Bhriain-Fitzgerald-Lindqvist-Popescu-Okafor"]
RTL_NAMES = ["דוד כהן", "محمد عبد الله", "Ana Lima"]


@pytest.fixture(autouse=True)
def _epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)


def _render(pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch, reuse_on: bool, sections, visit, **kwargs) -> bytes:
    monkeypatch.setenv(reuse.SWITCH, "1" if reuse_on else "0")
    return pipeline.render(sections, visit, **kwargs).pdf


def _visit(patient: str, **kwargs):
    base = {"date": "2026-12-01", "dob": "1984-03-09", "therapist": "Sam Patel", "patient_id": "P-1042"}
    return make_visit(patient=patient, **{**base, **kwargs})


@pytest.fixture(scope="module")
def letter_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = copy_project(tmp_path_factory.mktemp("letter"))
    replace_line(path, "  paper: A4", "  paper: Letter")
    replace_line(path, "  locale: en-GB", "  locale: en-US")  # the US English overlay
    return path


@pytest.fixture(scope="module")
def rtl_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("rtl") / "rtl"
    shutil.copytree(FIXTURES / "rtl", folder)
    replace_line(folder / "config.yaml", "templates: ../../../templates", f"templates: {REPO / 'templates'}")
    return folder / "config.yaml"


def _cases(pipeline: Pipeline, treatment: str, languages: list[str], names: list[str]):
    kinds = pipeline.kinds
    for i, name in enumerate(names):
        language = languages[i % len(languages)]
        for documents in (["info"], ["consent"], ["aftercare"], ["packet"]):
            sections = kinds.sections(documents)
            yield (sections, _visit(name, areas=("neck (left)",) if "aftercare" in documents else ()),
                   {"treatment": treatment, "language": language, "large_print": i % 3 == 2, "duplex": i % 2 == 1})
    # A form to fill in on screen, and one signed on a tablet.
    yield (kinds.sections(["consent"], fillable=True), _visit(names[0]),
           {"treatment": treatment, "language": languages[0], "fillable": True})


@pytest.mark.parametrize("which", ["en-A4", "en-Letter", "rtl"])
def test_every_kind_language_paper_and_size_is_byte_identical(which: str, letter_config: Path, rtl_config: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    config, treatment, languages, names = {
        "en-A4": (REPO / "config.yaml", "dry-needling", ["en"], HOSTILE),
        "en-Letter": (letter_config, "dry-needling", ["en"], HOSTILE[:3]),
        "rtl": (rtl_config, "cupping", ["he", "ar"], RTL_NAMES),
    }[which]
    reuse.clear()
    pipeline = Pipeline(load_config(config), on_date=ON_DATE, shared_fonts=which != "en-Letter")
    cases = list(_cases(pipeline, treatment, languages, names))
    without = [_render(pipeline, monkeypatch, False, s, v, **k) for s, v, k in cases]
    # Twice with reuse: the first fills the caches as it goes, the second takes from them.
    for _ in range(2):
        with_reuse = [_render(pipeline, monkeypatch, True, s, v, **k) for s, v, k in cases]
        for (sections, visit, kwargs), a, b in zip(cases, without, with_reuse, strict=True):
            assert a == b, f"{visit.patient} {sections} {kwargs}: not byte-identical with reuse"
    assert reuse.kept()["streams"] > 0  # the reuse did happen
    assert reuse.kept()["lines"] > 0  # paragraphs' line breaking (reuse.LINES)
    if which == "en-A4":
        assert reuse.kept()["drawings"] > 0  # the consent form's icon arrays


def _changed_pages(a: bytes, b: bytes) -> list[int]:
    with pikepdf.open(io.BytesIO(a)) as pa, pikepdf.open(io.BytesIO(b)) as pb:
        assert len(pa.pages) == len(pb.pages)
        return [i for i, (x, y) in enumerate(zip(pa.pages, pb.pages, strict=True))
                if x.Contents.read_bytes() != y.Contents.read_bytes()]


def test_patient_data_is_never_reused(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each thing that depends on the patient changed in turn, with the caches warm from a day of
    other patients: the pages that show it change (and show the new value), the output is what it
    is without reuse, and the pages without it stay as they were."""
    from test_signing import drawing

    reuse.clear()
    pipeline = Pipeline(load_config(REPO / "config.yaml"), on_date=ON_DATE, shared_fonts=True)
    kinds = pipeline.kinds
    common = {"treatment": "dry-needling", "language": "en"}
    for name in HOSTILE:  # a day of other patients first
        _render(pipeline, monkeypatch, True, kinds.sections(["packet"]), _visit(name), **common)
        _render(pipeline, monkeypatch, True, kinds.sections(["aftercare"]), _visit(name, areas=("neck (left)",)),
                **common)

    packet, consent, aftercare = kinds.sections(["packet"]), kinds.sections(["consent"]), kinds.sections(["aftercare"])
    base = ("Maeve Kavanagh", {}, packet, {})
    variants = {
        "name": ("Maeve Kavanagh-Byrne", {}, packet, {}, "Kavanagh-Byrne"),
        "date of birth": ("Maeve Kavanagh", {"dob": "1950-02-17"}, packet, {}, "1950"),
        "therapist": ("Maeve Kavanagh", {"therapist": "Joanna Lis"}, packet, {}, "Joanna Lis"),
        "therapist's box": ("Maeve Kavanagh", {"condition": "tennis elbow (right)"}, consent, {}, "tennis elbow"),
    }

    def text_of(pdf: bytes) -> list[str]:
        return page_texts(pdf)

    def make(name, visit_kwargs, sections, kwargs, reuse_on=True) -> bytes:
        return _render(pipeline, monkeypatch, reuse_on, sections, _visit(name, **visit_kwargs), **common, **kwargs)

    for what, (name, visit_kwargs, sections, kwargs, shown) in variants.items():
        before = make(*base[:2], sections, {})
        after = make(name, visit_kwargs, sections, kwargs)
        assert after == make(name, visit_kwargs, sections, kwargs, reuse_on=False), what
        changed = _changed_pages(before, after)
        texts = text_of(after)
        showing = [i for i, text in enumerate(texts) if shown in text]
        assert showing, f"{what}: '{shown}' is on no page"
        assert set(showing) <= set(changed), f"{what}: pages {showing} show it, only {changed} changed"
        assert len(changed) < len(texts), f"{what}: every page changed (nothing left to reuse?)"

    # Areas treated, on the aftercare sheet.
    one = make("Maeve Kavanagh", {"areas": ("neck (left)",)}, aftercare, {})
    two = make("Maeve Kavanagh", {"areas": ("lower back (right)",)}, aftercare, {})
    assert two == make("Maeve Kavanagh", {"areas": ("lower back (right)",)}, aftercare, {}, reuse_on=False)
    assert _changed_pages(one, two)
    assert any("lower back (right)" in t for t in text_of(two)) and not any("lower back" in t for t in text_of(one))

    # The copy label: the same form as the patient's copy and as the clinic's.
    labels = pipeline.content("dry-needling", "en").data.labels
    patient_copy = make("Maeve Kavanagh", {}, [("consent", "patient")], {})
    clinic_copy = make("Maeve Kavanagh", {}, [("consent", "clinic")], {})
    assert all(labels["patient_copy"] in t for t in text_of(patient_copy))
    assert all(labels["clinic_copy"] in t and labels["patient_copy"] not in t for t in text_of(clinic_copy))

    # Page numbers: each document of a packet counts its own pages.
    texts = text_of(make("Maeve Kavanagh", {}, packet, {}))
    info_pages = len(text_of(make("Maeve Kavanagh", {}, [("info", "")], {})))
    assert f"Page 1 of {info_pages}" in texts[0] and f"Page {info_pages} of {info_pages}" in texts[info_pages - 1]
    assert "Page 1 of" in texts[info_pages]

    # Fillable fields, and answers and a signature given on a tablet.
    fillable = kinds.sections(["consent"], fillable=True)
    filled = {"patient_signature": drawing(), "patient_name": "Maeve Kavanagh", "patient_date": "2026-12-01",
              "screening_blood_thinners": "yes"}
    empty = make("Maeve Kavanagh", {}, fillable, {"fillable": True})
    signed = make("Maeve Kavanagh", {}, [("consent", "patient")], {"filled": filled})
    for reuse_on in (False,):
        assert empty == make("Maeve Kavanagh", {}, fillable, {"fillable": True}, reuse_on)
        assert signed == make("Maeve Kavanagh", {}, [("consent", "patient")], {"filled": filled}, reuse_on)
    with pikepdf.open(io.BytesIO(empty)) as pdf:
        names = [str(f.T) for f in pdf.Root.AcroForm.Fields]
    assert "screening_blood_thinners_yes" in names and len(names) == len(set(names))
    with pikepdf.open(io.BytesIO(signed)) as pdf:
        assert any(page.get_images() for page in pdf.pages)  # the signature's image
    assert _changed_pages(signed, patient_copy)


def test_a_warm_process_sets_what_it_holds_aside_from_the_collector_after_its_second_pdf() -> None:
    """The one-document command never pays for the full collection (the cold start); a process
    that goes on (a print run, the web page) sets its long-lived objects aside once, after its
    second PDF, and its documents are what they were."""
    import subprocess
    import sys

    script = f"""
import gc, sys
from pathlib import Path
sys.path.insert(0, {str(REPO)!r})
from patientdocs.load.config import load_config
from patientdocs.load.visit import make_visit
from patientdocs.render.pipeline import Pipeline
pipeline = Pipeline(load_config(Path({str(REPO / "config.yaml")!r})))
made, frozen = [], []
for i in range(3):
    visit = make_visit(patient="Zoë O'Brien", date="2026-12-01", therapist="Sam Patel")
    made.append(pipeline.render([("info", "")], visit, treatment="dry-needling", language="en").pdf)
    frozen.append(gc.get_freeze_count())
print(frozen[0], frozen[1] > 1000, made[0] == made[1] == made[2])
"""
    env = {**os.environ, "SOURCE_DATE_EPOCH": str(TODAY_EPOCH)}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, env=env,
                         check=True).stdout.split()
    assert out == ["0", "True", "True"]


def test_the_switch_turns_reuse_off(monkeypatch: pytest.MonkeyPatch) -> None:
    reuse.clear()
    pipeline = Pipeline(load_config(REPO / "config.yaml"), on_date=ON_DATE)
    for name in HOSTILE[:3]:
        _render(pipeline, monkeypatch, False, pipeline.kinds.sections(["packet"]), _visit(name),
                treatment="dry-needling", language="en")
    assert reuse.kept() == {"lines": 0, "drawings": 0, "streams": 0, "trees": 0, "tails": 0}
    for value in ("0", "off", "no", "false", " OFF "):
        monkeypatch.setenv(reuse.SWITCH, value)
        assert not reuse.enabled()
    monkeypatch.delenv(reuse.SWITCH)
    assert reuse.enabled()


def _elements(pdf: bytes) -> list[str]:
    """The roles of the structure tree's elements, in order."""
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        roles, stack = [], [doc.Root.StructTreeRoot.K]
        while stack:
            element = stack.pop()
            roles.append(str(element.S))
            kids = element.get("/K")
            kids = list(kids) if isinstance(kids, pikepdf.Array) else [kids]
            stack += reversed([k for k in kids if isinstance(k, pikepdf.Dictionary) and "/S" in k])
        return roles


def test_a_structure_tree_is_reused_only_by_a_document_of_the_same_structure(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issues 12 and 16: a document's structure tree is kept, by everything it is made of, and
    written again for the next document of the same structure. An aftercare sheet with the areas
    needled has a list the one without has not: it gets a tree of its own, and the next sheet
    without areas the first one's; each is what it is without reuse."""
    reuse.clear()
    pipeline = Pipeline(load_config(REPO / "config.yaml"), on_date=ON_DATE)
    aftercare = pipeline.kinds.sections(["aftercare"])
    areas = ("neck (left)", "low back (right)", "shoulder (left)")
    made, trees = [], []
    for name, visit_areas in (("Ana Lima", ()), ("Zoë O'Brien", areas), ("Maeve Kavanagh", ()), ("Łukasz Wójcik", ())):
        visit = _visit(name, areas=visit_areas)
        pdf = _render(pipeline, monkeypatch, True, aftercare, visit, treatment="dry-needling", language="en")
        assert pdf == _render(pipeline, monkeypatch, False, aftercare, visit, treatment="dry-needling", language="en")
        made.append(pdf)
        trees.append(reuse.kept()["trees"])
    assert trees == [1, 2, 2, 2]
    without, with_areas = _elements(made[0]), _elements(made[1])
    assert with_areas.count("/LI") == without.count("/LI") + 3  # one list item an area
    assert _elements(made[2]) == _elements(made[3]) == without


def test_a_patients_own_lines_are_never_kept_so_a_long_day_keeps_no_more(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 16, memory flat: a paragraph's line breaking is kept once it is met in a second PDF.
    Content is; a patient's own lines (met four times in one packet) are not, so the hundredth
    patient's packet leaves as much kept as the third's."""
    reuse.clear()
    pipeline = Pipeline(load_config(REPO / "config.yaml"), on_date=ON_DATE)
    sections = pipeline.kinds.sections(["packet"])
    kept = []
    for i, name in enumerate([*HOSTILE, *(f"Patient Number {n} Surname{n}" for n in range(8))]):
        _render(pipeline, monkeypatch, True, sections, _visit(name, patient_id=f"P-{i}", therapist=f"Therapist {i}"),
                treatment="dry-needling", language="en")
        kept.append(reuse.kept()["lines"])
    assert kept[0] == 0  # met in one PDF only, so far
    assert kept[1] > 100  # the content, met again
    assert kept[2:] == [kept[2]] * (len(kept) - 2), kept  # and nothing more, patient after patient


def _day(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["date", "time", "patient_name", "dob", "patient_id", "therapist", "language", "documents"])
        for i, (name, language, documents) in enumerate(rows):
            out.writerow(["2026-12-01", f"{8 + i // 3:02d}:{(i % 3) * 20:02d}", name,
                          f"19{50 + i}-0{1 + i % 9}-1{i % 9}", f"RP-{100 + i}",
                          ["Sam Patel", "Joanna Lis"][i % 2], language, documents])
    return path


@pytest.mark.parametrize("which", ["en", "rtl"])
def test_a_day_list_is_byte_identical_with_and_without_reuse(which: str, tmp_path: Path, rtl_config: Path) -> None:
    """`generate.py batch` (2 workers) on a day of hostile names in several languages and kinds: English,
    and Hebrew and Arabic (right to left)."""
    documents = ["info consent", "packet", "aftercare", "consent", "info"]
    if which == "en":
        config = copy_project(tmp_path / "project")
        names = [(name, "en", documents[i % len(documents)]) for i, name in enumerate(HOSTILE * 2)]
    else:
        config = rtl_config
        names = [(name, ["he", "ar"][i % 2], documents[i % len(documents)]) for i, name in enumerate(RTL_NAMES * 3)]
    source = _day(tmp_path / "day.csv", names)
    made = {}
    for switch in ("0", "1"):
        out = tmp_path / f"out-{switch}"
        env = {**os.environ, "SOURCE_DATE_EPOCH": TODAY_EPOCH, reuse.SWITCH: switch}
        result = run_cli("batch", source, "-o", out, "--config", config, "--workers", "2", cwd=tmp_path, env=env)
        assert result.returncode == 0, result.stderr
        made[switch] = {p.name: p.read_bytes() for p in sorted(out.glob("*.pdf"))}
    assert len(made["1"]) == len(names) + 1  # and print-all.pdf
    assert made["0"].keys() == made["1"].keys()
    for name in made["0"]:
        assert made["0"][name] == made["1"][name], name


def _lines(para) -> list:
    return [(round(line[0], 3), list(line[1])) if isinstance(line, tuple)
            else (round(line.extraSpace, 3), [getattr(w, "text", "") for w in line.words])
            for line in para.blPara.lines]


@pytest.mark.parametrize("markup", ["plain words, " * 30, "<b>Bold</b> and plain words, " * 12])
def test_kept_lines_are_not_changed_by_drawing_or_splitting(markup: str) -> None:
    """Tagging ends each drawn line with a space, and reportlab's split does too, in place: the
    lines kept for the next patient must stay as they were laid out."""
    from reportlab.platypus import Paragraph

    from patientdocs.render.pdf import flowables, fonts, tagging
    from patientdocs.render.pdf.render import _styles
    from patientdocs.render.pdf.styles import Theme

    fonts.register()
    reuse.clear()
    style = _styles(Theme(16, "#1f5f8b", True))["source"]
    fresh = Paragraph(markup, style)
    fresh.wrap(300, 10_000)
    expected = _lines(fresh)
    for _ in range(4):
        with reuse.rendering():  # each time in a PDF of its own: kept once met in a second one
            para = flowables.paragraph(markup, style)
            para.wrap(300, 10_000)
            assert _lines(para) == expected
            tagging._space_line_ends(para, last_too=True)
            para.split(300, style.leading * 2.5)
    assert reuse.kept()["lines"] > 0


@pytest.mark.parametrize("markup", ["plain words, " * 30, "<b>Bold</b> and plain words, " * 12])
def test_line_ends_spaced_once_are_those_spaced_afresh_in_every_document(markup: str) -> None:
    """Tagging's spaces at line ends are kept with the kept lines (issue 12): each document's lines,
    spaced with or without the last, and the parts of a split (laid out again, their own lines)
    read as a paragraph never kept does."""
    from reportlab.platypus import Paragraph

    from patientdocs.render.pdf import flowables, fonts, tagging
    from patientdocs.render.pdf.render import _styles
    from patientdocs.render.pdf.styles import Theme

    fonts.register()
    reuse.clear()
    style = _styles(Theme(16, "#1f5f8b", True))["source"]

    def spaced(para, last_too: bool) -> list[str]:
        para.wrap(300, 10_000)
        tagging._space_line_ends(para, last_too=last_too)
        # As drawn: a one-style paragraph's words joined by spaces, a mixed one's frags' text.
        return [" ".join(line[1]) if isinstance(line, tuple) else "".join(getattr(w, "text", "") for w in line.words)
                for line in para.blPara.lines]

    def split_spaced(para) -> list[list[str]]:
        para.wrap(300, 10_000)
        return [spaced(part, i == 0) for i, part in enumerate(para.split(300, style.leading * 2.5))]

    expected = {last: spaced(Paragraph(markup, style), last) for last in (False, True)}
    assert expected[True][-1].endswith(" ") and not expected[False][-1].endswith(" ")
    assert all(line.endswith(" ") for line in expected[False][:-1])
    parts = split_spaced(Paragraph(markup, style))
    for i in range(6):
        with reuse.rendering():  # kept once met in a second PDF, then spaced from what was kept
            assert spaced(flowables.paragraph(markup, style), i % 2 == 1) == expected[i % 2 == 1], i
            assert split_spaced(flowables.paragraph(markup, style)) == parts, i
    assert reuse.kept()["lines"] > 0


RUN_IN = ("<b>Other choices:</b> exercise, hands-on treatment, advice, pain medicine from your doctor, or no "
          "treatment. Without treatment, pain may get better, stay the same or get worse.")


def _words_of_lines(para) -> list[str]:
    return ["".join(getattr(w, "text", "") for w in line.words) for line in para.blPara.lines]


def test_the_parts_of_a_split_kept_paragraph_keep_their_spaces() -> None:
    """A run-in heading's paragraph split over two pages, as the consent form's "It is your choice"
    at 13.7 pt: each part is laid out again in its frame, and must read as the paragraph does."""
    from reportlab.platypus import Paragraph

    from patientdocs.render.pdf import flowables, fonts
    from patientdocs.render.pdf.render import _styles
    from patientdocs.render.pdf.styles import Theme

    fonts.register()
    reuse.clear()
    style = _styles(Theme(14, "#1f5f8b", True))["body"]

    def parts(para) -> list[list[str]]:
        para.wrap(300, 10_000)
        out = []
        for part in para.split(300, style.leading * 2.5):
            part.wrap(300, 10_000)
            out.append(_words_of_lines(part))
        return out

    expected = parts(Paragraph(RUN_IN, style))
    assert len(expected) == 2 and expected[0][0].startswith("Other choices: exercise, hands-on")
    for _ in range(3):  # met in an earlier PDF: its line breaking is kept, then taken from the cache
        with reuse.rendering():
            assert parts(flowables.paragraph(RUN_IN, style)) == expected
    assert reuse.kept()["lines"] > 0


@pytest.fixture(scope="module")
def large_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = copy_project(tmp_path_factory.mktemp("large"))
    # "It is your choice" then runs onto the next page, its last line alone there.
    replace_line(path, "  font_size: 12", "  font_size: 13.7")
    return path


def test_a_run_in_paragraph_split_over_pages_reads_the_same_in_every_document(
        large_config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The consent form's "It is your choice: ..." (a bold run-in heading, split over two pages at
    13.7 pt) in the documents of several patients of one run: the later documents, made with what
    the earlier ones kept, keep its spaces, and are what they are without reuse."""
    reuse.clear()
    pipeline = Pipeline(load_config(large_config), on_date=ON_DATE)
    common = {"treatment": "dry-needling", "language": "en"}
    # Its two parts, as on the page (pypdf's text, whitespace made single spaces).
    first = "It is your choice: you can say no, or stop at any time, and your other care will not"
    second = "change. You can ask for a chaperone. Your therapist is a registered physiotherapist"
    for name in HOSTILE[:3]:
        for documents in (["consent"], ["packet"]):
            sections = pipeline.kinds.sections(documents)
            made = _render(pipeline, monkeypatch, True, sections, _visit(name), **common)
            pages = page_texts(made)
            text = " ".join(pages)
            starts = next(i for i, page in enumerate(pages) if first in page)
            assert second in pages[starts] and "with up-to-date training" in pages[starts + 1]  # split over two pages
            # Once on the patient's copy, once on the clinic's.
            assert text.count(first) == 2 and text.count(second) == 2, f"{name} {documents}"
            assert made == _render(pipeline, monkeypatch, False, sections, _visit(name), **common), name
    assert reuse.kept()["lines"] > 0


def _tail_run(pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch, names: list[str], documents: list[str]) -> list:
    return [_render(pipeline, monkeypatch, True, pipeline.kinds.sections(documents), _visit(name),
                    treatment="dry-needling", language="en") for name in names]


@pytest.mark.parametrize("documents", [["info"], ["consent"], ["packet"]])
def test_the_pages_after_a_patients_details_are_made_once_and_reused_whole(
        documents: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """A document's last pages, the same for every patient, are laid out in the second PDF that has
    them and taken whole by the ones after (tails.py): each still shows its own patient on page 1
    and reads as it does without reuse, page for page and byte for byte."""
    from patientdocs.render.pdf import tails

    reuse.clear()
    pipeline = Pipeline(load_config(REPO / "config.yaml"), on_date=ON_DATE, shared_fonts=True)
    names = ["Maeve Kavanagh", "Łukasz Wójcik-Brontë", "Ana Lima", "Γιώργος Παπαδόπουλος", "Jo Ng"]
    made = _tail_run(pipeline, monkeypatch, names[:2], documents)
    assert tails.replayed == 0 and reuse.kept()["tails"] >= 1  # met once, then recorded
    made += _tail_run(pipeline, monkeypatch, names[2:], documents)
    assert tails.replayed >= len(names) - 2
    plain = [_render(pipeline, monkeypatch, False, pipeline.kinds.sections(documents), _visit(name),
                     treatment="dry-needling", language="en") for name in names]
    first = page_texts(made[0])
    for name, pdf, fresh in zip(names, made, plain, strict=True):
        assert pdf == fresh, name
        texts = page_texts(pdf)
        assert name.split()[0] in texts[0]
        assert len(texts) == len(first) and texts[1] == first[1], name  # page 2 is content only


def test_a_tail_is_reused_only_by_a_document_whose_remaining_blocks_are_the_same(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The clinic changes a sentence on the information sheet's last page between two documents of
    one process: the new sheet shows the new sentence, and its recorded tail is not the old one."""
    from patientdocs.render.pdf import tails

    reuse.clear()
    original = Pipeline(load_config(REPO / "config.yaml"), on_date=ON_DATE, shared_fonts=True)
    _tail_run(original, monkeypatch, ["Maeve Kavanagh", "Ana Lima", "Jo Ng"], ["info"])
    assert tails.replayed == 1
    config = copy_project(tmp_path / "project")
    replace_line(config.parent / "handouts" / "dry-needling" / "en.yaml", "Book an assessment",
                 "Ask at the front desk for an assessment")
    changed = Pipeline(load_config(config), on_date=ON_DATE, shared_fonts=True)
    for name in ("Ana Lima", "Jo Ng", "Maeve Kavanagh"):
        pdf = _tail_run(changed, monkeypatch, [name], ["info"])[0]
        last = page_texts(pdf)[-1]
        assert "Ask at the front desk" in last and "Book an assessment" not in last
        assert pdf == _render(changed, monkeypatch, False, changed.kinds.sections(["info"]), _visit(name),
                              treatment="dry-needling", language="en")
    assert tails.replayed == 2  # the changed sheet's own tail, once it was recorded

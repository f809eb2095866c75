"""Names and free text in any script: the right glyphs, joined and shaped, in the right order.

Three readers check every PDF: pypdf (ToUnicode only), poppler's pdftotext (which also reads the
ActualText spans around shaped words) and pdfminer's glyph positions, whose left-to-right order
is compared with the Unicode bidi algorithm (python-bidi's pure implementation) as the oracle.
"""

from __future__ import annotations

import re
import subprocess
import sys
import unicodedata
from io import BytesIO
from pathlib import Path

import pytest
from conftest import REPO, TODAY, cli, norm, page_texts, render_info
from hypothesis import given
from hypothesis import strategies as st

from patientdocs.load.config import load_config
from patientdocs.load.visit import make_visit
from patientdocs.render.pipeline import Pipeline

# (script, name, the font file that must be embedded for it)
NAMES = [
    ("Latin with combining marks", "Ṣẹ̀gun Àdìgún", "DejaVuSans-Bold"),
    ("Greek", "Νίκος Παπαδόπουλος", "DejaVuSans-Bold"),
    ("Cyrillic", "Сергей Ёлкин", "DejaVuSans-Bold"),
    ("Vietnamese", "Nguyễn Thị Minh Khai", "DejaVuSans-Bold"),
    ("Chinese (simplified)", "李小龙", "DroidSansFallback"),
    ("Chinese (traditional)", "李小龍", "DroidSansFallback"),
    ("Japanese", "山田 たろう タロウ", "DroidSansFallback"),
    ("Korean", "김민준", "NanumGothic"),
    ("Arabic", "محمد عبد الله", "NotoSansArabic-Bold"),
    ("Urdu", "پرویز ٹیپو چوہدری", "NotoSansArabic-Bold"),
    ("Persian", "ژینا گلپایگانی", "NotoSansArabic-Bold"),
    ("Hebrew", "דוד כהן", "NotoSansHebrew-Bold"),
    ("Devanagari", "अनुष्का शर्मा", "NotoSansDevanagari-Bold"),
    ("Gurmukhi", "ਗੁਰਪ੍ਰੀਤ ਸਿੰਘ", "NotoSansGurmukhi-Bold"),
    ("Bengali", "রবীন্দ্রনাথ ঠাকুর", "NotoSansBengali-Bold"),
    ("Gujarati", "ગીતા પટેલ", "NotoSansGujarati-Bold"),
    ("Tamil", "தமிழ்செல்வி", "NotoSansTamil-Bold"),
    ("Thai", "สมชาย ใจดี", "NotoSansThai-Bold"),
]
RTL = {"Arabic", "Urdu", "Persian", "Hebrew"}


def pdftotext(pdf: bytes) -> str:
    result = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True)
    return norm(result.stdout.decode("utf-8").replace("\u202b", "").replace("\u202c", "")
                .replace("\u202a", "").replace("\u200e", ""))


def pdffonts(pdf: bytes, tmp_path: Path) -> list[tuple[str, str]]:
    """(font name, embedded yes/no) for every font of the PDF."""
    path = tmp_path / "fonts.pdf"
    path.write_bytes(pdf)
    lines = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout.splitlines()
    rows = []
    for line in lines[2:]:
        fields = line.split()
        # name type [encoding words...] emb sub uni object ID
        rows.append((fields[0], fields[-5]))
    return rows


def page_chars(pdf: bytes, index: int = 0) -> list:
    """Every glyph drawn on a page (the first by default), as pdfminer sees it (text, font,
    position); none past the last page."""
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTChar

    pages = list(extract_pages(BytesIO(pdf)))
    chars, stack = [], list(pages[index]) if index < len(pages) else []
    while stack:
        item = stack.pop()
        if isinstance(item, LTChar):
            chars.append(item)
        elif hasattr(item, "__iter__"):
            stack.extend(item)
    return chars


def first_page_chars(pdf: bytes) -> list:
    return page_chars(pdf, 0)


def glyph_lines(pdf: bytes) -> list[str]:
    """Each line of the first page as drawn: glyphs sorted by their x position (pdfminer)."""
    chars = first_page_chars(pdf)
    chars.sort(key=lambda c: -c.matrix[5])
    lines: list[list] = []
    for char in chars:
        if lines and abs(lines[-1][0].matrix[5] - char.matrix[5]) < 6:
            lines[-1].append(char)
        else:
            lines.append([char])
    return ["".join(c.get_text() for c in sorted(line, key=lambda c: c.x0)) for line in lines]


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    return Pipeline(load_config(REPO / "config.yaml"), on_date=TODAY)


@pytest.mark.parametrize(("script", "name", "font"), NAMES, ids=[n[0] for n in NAMES])
def test_a_name_in_each_script_prints_and_reads_back_as_typed(pipeline: Pipeline, tmp_path: Path, script: str,
                                                                name: str, font: str) -> None:
    rendered = render_info(pipeline, make_visit(patient=name, date="2026-12-01", therapist="Sam Patel"))
    # poppler reads the ActualText of shaped words, and orders right-to-left letters itself.
    assert f"Prepared for {name}, 1 December 2026, by Sam Patel." in pdftotext(rendered.pdf)
    first = page_texts(rendered.pdf)[0]
    if script in RTL:
        # pypdf reads glyph codes only, and puts each right-to-left run back in order by itself.
        assert all(word in first for word in name.split()), first
    else:
        # pypdf takes a mark placed back over its letter (Bengali ু) for a gap: spaces aside, the
        # letters are all there in the order typed.
        assert f"Prepared for {name}, 1 December 2026, by Sam Patel.".replace(" ", "") in first.replace(" ", "")
    fonts = pdffonts(rendered.pdf, tmp_path)
    assert any(font in face for face, _ in fonts), fonts  # the name is bold: the script's bold face
    assert all(embedded == "yes" for _, embedded in fonts), fonts


def test_every_script_in_the_therapist_note_and_areas_of_an_aftercare_sheet(pipeline: Pipeline) -> None:
    names = [name for _, name, _ in NAMES]
    visit = make_visit(patient="Ana Lima", date="2026-12-01", therapist="李小龍",
                       areas=("رقبه (چپ)", "गर्दन (बायाँ)"), note=" · ".join(names[4:]))
    rendered = pipeline.render([("aftercare", "")], visit, treatment="dry-needling", language="en")
    # Line ends as spaces: the note wraps at the sheet's reading measure, between a name's words too.
    text = " ".join(pdftotext(rendered.pdf).split())
    assert "by 李小龍." in text
    assert "गर्दन (बायाँ)" in text
    # The Arabic area is a right-to-left paragraph (its first letter is); poppler's own ordering
    # moves its first bracket, so only the words are checked here (order: the bidi tests below).
    assert "رقبه" in text and "چپ" in text
    for script, name, _ in NAMES[4:]:
        # Several right-to-left names on one mixed line: poppler orders the runs by its own rules,
        # so their words are checked here and their order by the bidi tests below.
        assert all(word in text for word in name.split()) if script in RTL else name in text, name


# ---- order: the bidi algorithm as the oracle -------------------------------------------------------------------

MIXED = [
    "Patient דוד כהן, P-1042",
    "כ-52 מתוך 100 אנשים",
    "תור ב-1 בדצמבר 2026 (יום שלישי)",
    "סיכון של 25% - 30% (pneumothorax)",
    "ל-999 כן/לא",
    "Sara בן-דוד 2026-12-01",
    "Dr. Levi [כהן] {P-1042}",
    "המטופל: Anna Smith, גיל 42",
    "المريض محمد علي رقم P-1042",
    "موعد 2026-12-01 (الثلاثاء)",
    "Ahmed أحمد 25% - 30%",
    "ملاحظة: ٥٢ من ١٠٠",
    "بیمار ژیلا ۴۲ ساله",
]


def _render_lines(lines: list[str], **style_changes) -> bytes:
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import SimpleDocTemplate

    from patientdocs.render.pdf import fonts, shaping

    fonts.register()
    style = ParagraphStyle("line", fontName=fonts.MAIN, fontSize=12, leading=16, spaceAfter=14, **style_changes)
    buffer = BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=(1200, 900), leftMargin=20, rightMargin=20)
    doc.build([shaping.paragraph(fonts.escape(line), style) for line in lines])
    return buffer.getvalue()


def _oracle(line: str, base: str | None = None) -> str:
    """python-bidi's get_display, without its last step (L4, mirroring): a mirrored bracket is
    drawn with the other bracket's glyph but reads back as the character typed, which is what
    readers that put right-to-left text back in logical order need (mirroring is tested apart)."""
    from bidi import algorithm

    storage = algorithm.get_empty_storage()
    storage["base_level"] = algorithm.get_base_level(line) if base is None else algorithm.PARAGRAPH_LEVELS[base]
    storage["base_dir"] = ("L", "R")[storage["base_level"]]
    algorithm.get_embedding_levels(line, storage)
    algorithm.explicit_embed_and_overrides(storage)
    algorithm.resolve_weak_types(storage)
    algorithm.resolve_neutral_types(storage, False)
    algorithm.resolve_implicit_levels(storage, False)
    algorithm.reorder_resolved_levels(storage, False)
    return "".join(ch["ch"] for ch in storage["chars"])


def test_the_oracle_is_get_display_up_to_mirroring() -> None:
    from bidi.algorithm import get_display

    for line in MIXED:
        mirrored = get_display(line)
        assert len(mirrored) == len(_oracle(line))
        assert all(a == b or unicodedata.mirrored(a) for a, b in zip(_oracle(line), mirrored, strict=True))


def test_brackets_in_right_to_left_text_are_drawn_mirrored() -> None:
    from reportlab.pdfbase import pdfmetrics

    from patientdocs.render.pdf import fonts, shaping

    fonts.register()
    body = pdfmetrics.getFont(fonts.MAIN).face
    for typed, shown in (("(", ")"), ("[", "]"), ("{", "}")):
        run = shaping.shape(fonts.MAIN, typed, True)
        assert body.charToGlyph[ord(run)] == body.charToGlyph[ord(shown)]


def test_mixed_lines_are_drawn_in_the_order_of_the_bidi_algorithm() -> None:
    drawn = glyph_lines(_render_lines(MIXED))
    assert len(drawn) == len(MIXED)
    for line, glyphs in zip(MIXED, drawn, strict=True):
        assert glyphs.replace(" ", "") == _oracle(line).replace(" ", ""), line


def test_right_to_left_paragraphs_follow_the_algorithm_with_a_right_to_left_base() -> None:
    from reportlab.lib.enums import TA_RIGHT

    lines = ["תור ב-1 בדצמבר 2026", "Sam Patel ממליץ 25% - 30%", "כ-52 (P-1042)", "محمد 2026-12-01 (Ahmed)"]
    drawn = glyph_lines(_render_lines(lines, wordWrap="RTL", alignment=TA_RIGHT))
    for line, glyphs in zip(lines, drawn, strict=True):
        assert glyphs.replace(" ", "") == _oracle(line, "R").replace(" ", ""), line


def test_digits_inside_hebrew_are_never_reversed() -> None:
    # reportlab's own right-to-left path draws this as 25-כ, which reads "כ-25".
    (glyphs,) = glyph_lines(_render_lines(["כ-52"]))
    assert glyphs == "52-כ"
    (glyphs,) = glyph_lines(_render_lines(["כ-52 מתוך 100"]))
    assert "52" in glyphs and "100" in glyphs and "25" not in glyphs and "001" not in glyphs


def test_a_name_in_an_english_sentence_keeps_the_date_after_it(pipeline: Pipeline) -> None:
    # Without isolating the name, UAX #9 pulls ", 1" of "1 December" into the Arabic run.
    rendered = render_info(pipeline, make_visit(patient="محمد عبد الله", date="2026-12-01"))
    line = next(g for g in glyph_lines(rendered.pdf) if g.startswith("Preparedfor") or "Prepared" in g)
    assert line.replace(" ", "").startswith("Preparedfor" + _oracle("محمد عبد الله", "L").replace(" ", "")
                                            + ",1December2026"), line


# ---- shaping details -----------------------------------------------------------------------------------------


def test_hebrew_is_shaped_without_discretionary_ligatures() -> None:
    # Noto Sans Hebrew's 'dlig' would turn the two yods of יומיים into ײ (U+05F2).
    (glyphs,) = glyph_lines(_render_lines(["יומיים"]))
    assert glyphs == "םיימוי"


def test_a_combining_mark_is_drawn_with_its_letter_in_one_font() -> None:
    chars = first_page_chars(_render_lines(["Ṣẹ̀gun"]))
    by_text = {c.get_text(): c for c in chars}
    assert by_text["ẹ"].fontname == by_text["\u0300"].fontname  # not the main font's grave beside it
    assert "DejaVu" in by_text["\u0300"].fontname


def test_the_mark_sits_over_its_letter() -> None:
    import uharfbuzz as hb

    from patientdocs.render.pdf import fonts, shaping

    fonts.covered(fonts.FALLBACK)
    run = shaping.shape("Fallback", "ẹ̀", False)
    (base_adv, _, _, _), (mark_adv, mark_dx, _, _) = run.metrics
    font = hb.Font(hb.Face(hb.Blob.from_file_path(str(REPO / "fonts" / "DejaVuSans.ttf"))))
    scale = 1000 / font.face.upem
    base = font.get_glyph_extents(font.get_nominal_glyph(ord("ẹ")))
    mark = font.get_glyph_extents(font.get_nominal_glyph(0x300))
    mark_centre = base_adv + mark_dx + (mark.x_bearing + mark.width / 2) * scale
    assert base.x_bearing * scale <= mark_centre <= (base.x_bearing + base.width) * scale
    assert mark_adv == 0


def test_bold_is_kept_for_letters_from_another_font(pipeline: Pipeline) -> None:
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTChar

    rendered = render_info(pipeline, make_visit(patient="Nguyễn Thị Minh Khai", date="2026-12-01"))
    fonts_of = {}
    stack = list(next(iter(extract_pages(BytesIO(rendered.pdf)))))
    while stack:
        item = stack.pop()
        if isinstance(item, LTChar):
            fonts_of.setdefault(item.get_text(), set()).add(item.fontname.split("+")[-1])
        elif hasattr(item, "__iter__"):
            stack.extend(item)
    assert fonts_of["ễ"] == {"DejaVuSans-Bold"}  # the name is bold; its ễ was drawn regular before


def test_letters_without_a_bold_face_are_stroked_to_look_bold(pipeline: Pipeline) -> None:
    from pypdf import PdfReader

    rendered = render_info(pipeline, make_visit(patient="李小龍", date="2026-12-01"))
    content = PdfReader(BytesIO(rendered.pdf)).pages[0].get_contents().get_data()
    assert b" 2 Tr" in content and b"0 Tr" in content


def test_a_long_note_without_spaces_wraps_between_chinese_characters(pipeline: Pipeline) -> None:
    note = "请在今晚热敷十分钟" * 12
    visit = make_visit(patient="Ana Lima", date="2026-12-01", note=note)
    rendered = pipeline.render([("aftercare", "")], visit, treatment="dry-needling", language="en")
    assert note in pdftotext(rendered.pdf).replace(" ", "")
    from pypdf import PdfReader

    width = float(PdfReader(BytesIO(rendered.pdf)).pages[0].mediabox.width)
    lines = [g for g in glyph_lines(rendered.pdf) if "请" in g]
    assert len(lines) >= 2  # it wrapped, instead of running off the page
    assert width > 0


# ---- what still cannot print ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["Ana \U0001F600 Lima", "ሰላም Abebe"])
def test_characters_no_font_has_are_still_refused_and_nothing_is_written(project: Path, name: str) -> None:
    from conftest import VISIT, assert_failed_cleanly

    result = cli("info", "--patient", name, *VISIT, "-o", "out.pdf", cwd=project)
    (message,) = assert_failed_cleanly(result, project, project / "out.pdf")
    bad = [c for c in name if ord(c) > 0x1000 and c != " "]
    assert message.startswith("patient name has characters no bundled font can print: "), message
    assert all(f"'{c}' (U+{ord(c):04X})" in message for c in bad), message


# ---- cover sheet and history ---------------------------------------------------------------------------------


def test_cover_sheet_and_history_show_names_in_any_script(project: Path) -> None:
    rows = [("09:00", "李小龍", "P-1", "Sam Patel"), ("09:30", "محمد عبد الله", "P-2", "דוד כהן"),
            ("10:00", "अनुष्का शर्मा", "P-3", "김민준"), ("10:30", "Ana Lima", "P-4", "Sam Patel")]
    csv = project / "day.csv"
    csv.write_text("date,time,patient_name,dob,patient_id,therapist,documents\n" + "".join(
        f"2026-12-01,{t},{n},1980-01-01,{i},{th},info\n" for t, n, i, th in rows), encoding="utf-8")
    result = cli("batch", csv, "-o", project / "run", "--workers", "1", cwd=project)
    assert result.returncode == 0, result.stderr
    cover = pdftotext((project / "run" / "print-all.pdf").read_bytes())
    for _, name, _, therapist in rows:
        assert name in cover and therapist in cover, (name, cover[:400])
    history = cli("history", "--date", "2026-12-01", cwd=project)
    assert history.returncode == 0, history.stderr
    lines = [line for line in history.stdout.splitlines() if "P-" in line]
    assert len(lines) == 4
    from patientdocs import termtext

    # Every column starts at the same terminal cell, whatever script the name is in (a Chinese
    # letter takes two cells; a Devanagari mark none).
    starts = {termtext.width(line[:line.index(" info ")]) for line in lines}
    assert len(starts) == 1, history.stdout
    for _, name, _, _ in rows:
        assert name in history.stdout
    assert "\u2068محمد عبد الله\u2069" in history.stdout  # isolated: it cannot reorder the columns


# ---- speed: only text that needs them loads HarfBuzz and the bidi algorithm -----------------------------------


def test_an_english_document_loads_neither_harfbuzz_nor_the_bidi_algorithm() -> None:
    code = """
import datetime as dt, sys
from pathlib import Path
from patientdocs.load.config import load_config
from patientdocs.load.visit import make_visit
from patientdocs.render.pipeline import Pipeline
p = Pipeline(load_config(Path('config.yaml')), on_date=dt.date(2026, 12, 1))
p.render([('info', '')], make_visit(patient="Zoë O'Brien", date='2026-12-01'), treatment='dry-needling', language='en')
real = type(sys.modules.get('uharfbuzz')).__name__ == 'module'
print(real, 'bidi' in sys.modules)
p.render([('info', '')], make_visit(patient='דוד כהן', date='2026-12-01'), treatment='dry-needling', language='en')
print(type(sys.modules.get('uharfbuzz')).__name__ == 'module', 'bidi.algorithm' in sys.modules)
"""
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "False", "True", "True"], result.stdout + result.stderr


def test_an_english_document_compiles_no_pattern_it_does_not_use() -> None:
    """reportlab's web-address and CJK-wrapping patterns, and the non-Latin letters pattern, take
    about 25 ms of a cold start to compile: an English document never needs them."""
    code = """
import datetime as dt, sys
from pathlib import Path
from patientdocs.load.config import load_config
from patientdocs.load.visit import make_visit
from patientdocs.render.pipeline import Pipeline
from patientdocs.render.pdf import scripts
from reportlab.lib import textsplit
from reportlab.platypus import paragraph
p = Pipeline(load_config(Path('config.yaml')), on_date=dt.date(2026, 12, 1))
p.render([('info', '')], make_visit(patient="Zoë O'Brien", date='2026-12-01'), treatment='dry-needling', language='en')
print(type(paragraph.uri_pat).__name__, paragraph.uri_pat._compiled is None, textsplit.rx._compiled is None,
      scripts._non_latin.cache_info().currsize)
p.render([('info', '')], make_visit(patient='Ζωή Παπαδοπούλου', date='2026-12-01'),
         treatment='dry-needling', language='en')
print(scripts._non_latin.cache_info().currsize)
"""
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["DeferredPattern", "True", "True", "0", "1"], result.stdout + result.stderr


def test_a_deferred_pattern_matches_as_the_compiled_one_does() -> None:
    from reportlab.platypus import paragraph

    from patientdocs.render.pdf.lazypatterns import DeferredPattern

    deferred = DeferredPattern(paragraph.uri_pat.pattern, paragraph.uri_pat.flags)
    compiled = re.compile(paragraph.uri_pat.pattern, paragraph.uri_pat.flags & ~re.UNICODE)
    for uri in ("https://riverside-physio.example/consent/v2026.11", "www.nhs.uk", "not a web address",
                "HTTP://EXAMPLE.ORG:8080/a/b?c=d", "ftp://[::1]/x", "http://例え.テスト/パス"):
        assert bool(deferred.match(uri)) == bool(compiled.match(uri))
    assert deferred.sub("-", "a://b") == compiled.sub("-", "a://b")


@given(st.text(alphabet=st.characters(max_codepoint=0xFFFF, blacklist_categories=("Cs",)), max_size=40))
def test_the_quick_latin_check_agrees_with_the_pattern(text: str) -> None:
    from patientdocs.render.pdf import scripts

    assert scripts.has_non_latin(text) == (re.search(scripts._NON_LATIN, text) is not None)


def test_a_clinic_name_in_another_script_prints_in_the_page_header(project: Path) -> None:
    from conftest import VISIT, replace_line

    replace_line(project / "config.yaml", "name: Riverside", "name: 河畔 Riverside")
    result = cli("info", "--patient", "Ana Lima", *VISIT, "-o", "out.pdf", cwd=project)
    assert result.returncode == 0, result.stderr
    assert "河畔 Riverside" in pdftotext((project / "out.pdf").read_bytes())


def test_a_shaped_name_gives_byte_identical_pdfs(project: Path) -> None:
    from conftest import VISIT

    made = []
    for n in (1, 2):
        result = cli("info", "--patient", "अनुष्का محمد 李小龍", *VISIT, "-o", f"{n}.pdf", cwd=project)
        assert result.returncode == 0, result.stderr
        made.append((project / f"{n}.pdf").read_bytes())
    assert made[0] == made[1]

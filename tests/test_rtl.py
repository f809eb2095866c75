"""Right-to-left documents: content in Hebrew or Arabic lays out every page from the right.

The fixture (tests/fixtures/rtl) is the tiny cupping treatment in Hebrew and Arabic. Each
document is checked three ways: glyph positions (pdfminer) against the Unicode bidi algorithm
with a right-to-left base (python-bidi's pure implementation, the oracle), the page as an image
(pdftoppm, then Pillow: where the ink is), and the tags (our checks, the pdfua package, poppler's
structure tree).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from io import BytesIO
from pathlib import Path

import pikepdf
import pytest
from conftest import FIXTURES, GENERATE, REPO, TODAY, VISIT, cli, replace_line, run_cli
from support import cli_env
from test_scripts import _oracle, first_page_chars, glyph_lines, page_chars, pdftotext
from test_tagged import _own_languages, poppler_tree

from patientdocs import language
from patientdocs.render.pdf.checks import accessibility_problems

MM = 72 / 25.4
MARGIN = 15 * MM  # page.MARGIN, in points
A4_WIDTH = 595.2756
NAMES = {"he": "דוד כהן", "ar": "محمد عبد الله"}
LRE, PDF, RLM = "\u202a", "\u202c", "\u200f"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("rtl") / "rtl"
    shutil.copytree(FIXTURES / "rtl", folder)
    # The English of the tiny treatment, for the test of the content's own direction key.
    shutil.copy(FIXTURES / "tiny" / "handouts" / "cupping" / "en.yaml", folder / "handouts" / "cupping")
    replace_line(folder / "config.yaml", "templates: ../../../templates", f"templates: {REPO / 'templates'}")
    return folder


def _make(folder: Path, kind: str, lang: str, patient: str, *extra: str) -> bytes:
    target = folder / f"{lang}-{kind}-{len(patient)}.pdf"
    result = cli(kind, "--patient", patient, *VISIT, "--patient-id", "P-1042", "--lang", lang, *extra,
                 "-o", target, cwd=folder)
    assert result.returncode == 0, result.stderr
    return target.read_bytes()


@pytest.fixture(scope="module")
def made(tiny: Path) -> dict[tuple[str, str, str], bytes]:
    """(language, kind, "latin" or "native") -> PDF bytes."""
    out = {}
    for lang in ("he", "ar"):
        for who, patient in (("latin", "Ana Lima"), ("native", NAMES[lang])):
            out[lang, "info", who] = _make(tiny, "info", lang, patient)
            out[lang, "consent", who] = _make(tiny, "consent", lang, patient)
            out[lang, "aftercare", who] = _make(tiny, "aftercare", lang, patient, "--areas", "neck (left)",
                                                "--areas", "כתף", "--note", "כ-52 דקות חום",
                                                "--next-visit", "2026-12-08")
    return out


def _lines(pdf: bytes) -> list[str]:
    return [line.strip() for line in glyph_lines(pdf)]


def _shown(logical: str) -> str:
    """What a right-to-left line looks like from the left, by the oracle."""
    return _oracle(logical, "R").replace(LRE, "").replace(PDF, "").replace(RLM, "").strip()


# --- order on the page: the bidi algorithm with a right-to-left base ------------------------------------


@pytest.mark.parametrize("lang", ["he", "ar"])
@pytest.mark.parametrize("who", ["latin", "native"])
def test_the_personal_line_follows_the_algorithm(made, lang: str, who: str) -> None:
    pdf = made[lang, "info", who]
    labels = {"he": ("הוכן עבור", "בדצמבר", "עם", "תאריך לידה", "במרץ", "מספר מטופל"),
              "ar": ("أعدت من أجل", "ديسمبر", "مع", "تاريخ الميلاد", "مارس", "رقم المريض")}[lang]
    name = NAMES[lang] if who == "native" else "Ana Lima"
    # As the template writes it: a right-to-left name ends with a mark, a Latin value is embedded.
    typed = name + RLM if who == "native" else LRE + name + PDF
    first = f"{labels[0]} {typed}, 1 {labels[1]} 2026, {labels[2]} {LRE}Sam Patel{PDF}."
    second = f"{labels[3]}: 9 {labels[4]} 1984 · {labels[5]}: {LRE}P-1042{PDF}"
    lines = _lines(pdf)
    assert _shown(first) in lines, lines[:8]
    assert _shown(second) in lines, lines[:8]


@pytest.mark.parametrize("lang", ["he", "ar"])
def test_paragraphs_and_risk_numbers_follow_the_algorithm(made, lang: str) -> None:
    lines = _lines(made[lang, "info", "native"])
    # The sentence's numbers come from its {risk:marks} placeholder (facts.yaml), in the middle
    # of a right-to-left sentence.
    sentence = {"he": "אצל בערך 60 מתוך 100 אנשים נשארים סימנים עגולים על העור.",
                "ar": "تبقى علامات مستديرة عند حوالي 60 من 100 شخص."}[lang]
    phrase = {"he": "בערך 60 מתוך 100 אנשים", "ar": "حوالي 60 من 100 شخص"}[lang]
    assert _shown(sentence) in lines
    assert any(_shown(phrase) in line for line in lines), lines
    # The phone number keeps its groups in order inside a right-to-left sentence.
    closing = {"he": f"שאלו אותנו אם יש לכם שאלות. התקשרו אלינו {LRE}01632 960 999{PDF}.",
               "ar": f"اسألنا إذا كانت لديك أي أسئلة. اتصل بنا على {LRE}01632 960 999{PDF}."}[lang]
    assert _shown(closing) in lines
    assert "999 960 01632" not in " ".join(lines)


def test_digits_in_a_hebrew_note_are_never_reversed(made) -> None:
    lines = _lines(made["he", "aftercare", "latin"])
    note = next(line for line in lines if "52" in line)
    assert "52-כ" in note and "25" not in note
    assert _shown("הערה מהמטפל: כ-52 דקות חום\u200f") in lines


# --- the page as an image -------------------------------------------------------------------------------


def _page_image(pdf: bytes, tmp_path: Path, page: int = 1, dpi: int = 72):
    from PIL import Image

    path = tmp_path / "page.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", str(dpi), "-f", str(page), "-l", str(page), "-png", "-singlefile", path,
                    tmp_path / "page"], check=True)
    return Image.open(tmp_path / "page.png").convert("L")


def _ink(image, top: float, bottom: float) -> list[int]:
    """The x (points, 72 dpi) of every column with ink between two heights (points from the top)."""
    width = image.width
    crop = image.crop((0, int(top), width, int(bottom)))
    pixels = crop.load()
    return [x for x in range(width) if any(pixels[x, y] < 128 for y in range(crop.height))]


def _band(pdf: bytes, shown: str) -> tuple[float, float]:
    """The band (points from the top) of the first glyph line that shows ``shown``."""
    line = next(line for line in _group(first_page_chars(pdf)) if shown in "".join(c.get_text() for c in line))
    return min(841.89 - c.y1 for c in line) + 1, max(841.89 - c.y0 for c in line) - 1


@pytest.mark.parametrize("lang", ["he", "ar"])
def test_paragraphs_hug_the_right_margin_and_bullets_sit_right_of_their_text(made, lang: str,
                                                                             tmp_path: Path) -> None:
    pdf = made[lang, "info", "native"]
    image = _page_image(pdf, tmp_path)
    right = A4_WIDTH - MARGIN
    chars = first_page_chars(pdf)
    bullets = [c for c in chars if c.get_text() == "\u2022"]
    assert len(bullets) == 2
    for bullet in bullets:
        top, bottom = 841.89 - bullet.y1 + 1, 841.89 - bullet.y0 - 1
        ink = _ink(image, top, bottom)
        assert right - 8 <= max(ink) <= right + 1  # indented by the bullet's indent, as on the left
        assert min(ink) > A4_WIDTH / 3  # a short line: its free end is on the left
        # The bullet is the rightmost thing on its line, apart from its text by a gap.
        bullet_ink = [x for x in ink if x >= bullet.x0 - 1]
        text_ink = [x for x in ink if x < bullet.x0 - 1]
        assert bullet_ink and text_ink and bullet.x0 - max(text_ink) >= 4
        assert max(text_ink) < min(bullet_ink)
    title = {"he": "כוסות רוח: למה לצפות", "ar": "الحجامة: ماذا تتوقع"}[lang]
    ink = _ink(image, *_band(pdf, _shown(title)))
    assert right - 3 <= max(ink) <= right + 1 and min(ink) > A4_WIDTH / 3


@pytest.mark.parametrize("lang", ["he", "ar"])
def test_the_first_table_column_is_on_the_right(made, lang: str, tmp_path: Path) -> None:
    pdf = made[lang, "info", "native"]
    heads = {"he": ("מה קורה", "כמה", "תדירות", "מקור"), "ar": ("ما يحدث", "كم", "كم مرة", "المصدر")}[lang]
    lines = _lines(pdf)
    head = _shown(heads[0]), _shown(heads[3])
    row = next(line for line in lines if head[0] in line and head[1] in line)
    # From the left: Source ... Effect (the table's first column).
    assert row.index(head[1]) < row.index(head[0])
    assert row.endswith(head[0])
    # The image: on the header row, the effect's heading is inked next to the right edge of the
    # grid, and the source's next to its left edge.
    image = _page_image(pdf, tmp_path)
    top, bottom = _band(pdf, head[0])
    chars = [c for line in _group(first_page_chars(pdf)) if head[0] in "".join(c.get_text() for c in line)
             for c in line]
    ink = _ink(image, top + 2, bottom - 2)
    text_ink = [x for x in ink if MARGIN + 2 < x < A4_WIDTH - MARGIN - 2]
    effect_left = min(c.x0 for c in chars if c.get_text() in heads[0] and c.x0 > A4_WIDTH / 2)
    assert max(text_ink) >= A4_WIDTH - MARGIN - 12 and max(text_ink) > effect_left
    # The source's heading, aligned right in the leftmost column (22 parts of 100 of the width).
    assert min(text_ink) < MARGIN + 0.22 * (A4_WIDTH - 2 * MARGIN)


@pytest.mark.parametrize("lang", ["he", "ar"])
def test_the_checklist_reads_question_yes_no_from_the_right(made, lang: str) -> None:
    yes, no = {"he": ("כן", "לא"), "ar": ("نعم", "لا")}[lang]
    question = {"he": "האם אתם לוקחים תרופות לדילול הדם?", "ar": "هل تتناول أدوية لتمييع الدم؟"}[lang]
    line = next(line for line in _lines(made[lang, "consent", "latin"]) if _shown(question) in line)
    assert line.index(_shown(no)) < line.index(_shown(yes)) < line.index(_shown(question))


@pytest.mark.parametrize("lang", ["he", "ar"])
def test_header_and_footer_are_mirrored(made, lang: str) -> None:
    pdf = made[lang, "consent", "native"]
    chars = first_page_chars(pdf)
    right = A4_WIDTH - MARGIN

    def span(text: str, *, footer: bool = False) -> tuple[float, float]:
        # footer: only the lines under the body (the declaration also names the version).
        line = next(line for line in _group(chars) if text in "".join(c.get_text() for c in line)
                    and (not footer or max(c.y1 for c in line) < MARGIN + 20))
        return min(c.x0 for c in line), max(c.x1 for c in line)

    # The clinic's details against the right margin, in their own (left-to-right) order.
    assert abs(span("Harbour Wellness Rooms")[1] - right) < 1
    assert abs(span("2 Quay Street, Porthaven PH1 2AB")[1] - right) < 1
    assert "01632 960 999" in _lines(pdf)
    page, of = {"he": ("עמוד", "מתוך"), "ar": ("صفحة", "من")}[lang]
    # "Page 1 of N", N the pages of one copy (the consent form's length is the content's).
    footers = [_shown(f"{page} 1 {of} {n}") for n in range(1, 10)]
    found = [f for f in footers if any(line.startswith(f) for line in _lines(pdf))]
    assert found
    footer = found[0]
    assert abs(span(footer, footer=True)[0] - MARGIN) < 1  # "Page 1 of 2" at the left margin
    copy = _shown({"he": "עותק למטופל", "ar": "نسخة المريض"}[lang])
    assert span(copy)[0] < A4_WIDTH / 3  # the copy label on the left
    version = {"he": "גרסה", "ar": "الإصدار"}[lang]
    assert abs(span(_shown(version), footer=True)[1] - right) < 1  # version and fingerprint from the right margin


def _group(chars) -> list[list]:
    lines: list[list] = []
    for char in sorted(chars, key=lambda c: -c.matrix[5]):
        if lines and abs(lines[-1][0].matrix[5] - char.matrix[5]) < 3:
            lines[-1].append(char)
        else:
            lines.append([char])
    return [sorted(line, key=lambda c: c.x0) for line in lines]


def test_a_page_reads_right_to_left_by_eye(made, tmp_path: Path) -> None:
    """The ink of a page leans right: a mirrored page has its ragged edge on the left."""
    image = _page_image(made["he", "aftercare", "latin"], tmp_path)
    starts, ends = [], []
    for top in range(150, 700, 12):
        ink = _ink(image, top, top + 10)
        if ink and min(ink) > MARGIN + 3:  # not a box or a rule from margin to margin
            starts.append(min(ink))
            ends.append(max(ink))
    assert len(ends) > 10
    # Most lines end at the right margin; their starts vary.
    at_right = sum(1 for x in ends if x >= A4_WIDTH - MARGIN - 15)  # bullets and boxes indent a little
    assert at_right >= 0.8 * len(ends)
    assert len(set(starts)) > len(starts) / 2


# --- language, tags and the text layer -----------------------------------------------------------------


@pytest.mark.parametrize("lang", ["he", "ar"])
@pytest.mark.parametrize("kind", ["info", "consent", "aftercare"])
def test_lang_is_the_contents_and_tagging_still_passes(made, lang: str, kind: str, tmp_path: Path) -> None:
    from pdfua import validate

    pdf = made[lang, kind, "native"]
    with pikepdf.open(BytesIO(pdf)) as doc:
        assert str(doc.Root.Lang) == lang
    assert accessibility_problems(pdf) == []
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    report = validate(str(path))
    assert [(f.rule_id, f.message) for f in report.findings] == []


def _find(tree: tuple, role: str) -> list[tuple]:
    found = [tree] if tree[0] == role else []
    for kid in tree[2]:
        found += _find(kid, role)
    return found


@pytest.mark.parametrize("lang", ["he", "ar"])
def test_tagged_table_rows_are_read_from_the_right(made, lang: str, tmp_path: Path) -> None:
    path = tmp_path / "doc.pdf"
    path.write_bytes(made[lang, "info", "native"])
    tree = poppler_tree(path)
    heads = [th[1] for th in _find(_find(tree, "Table")[0], "TH")]
    expected = {"he": ["מה קורה", "כמה", "תדירות", "מקור"], "ar": ["ما يحدث", "كم", "كم مرة", "المصدر"]}[lang]
    # Each heading's glyphs are drawn from the left (poppler gives them so); the headings come
    # in the table's own order, the first column first, although it is drawn last.
    assert [h.strip() for h in heads] == [_shown(h) for h in expected]


def test_pdftotext_reads_the_hebrew_words_back_in_logical_order(made) -> None:
    # Poppler rebuilds logical order from the glyphs as drawn: words and numbers come back in
    # order (not reversed), though it places some punctuation and spaces by its own rules.
    text = pdftotext(made["he", "info", "native"])
    for words in ("כוסות רוח", "למה לצפות", "הוכן עבור דוד כהן", "הדף הזה מסביר בקצרה מה הן כוסות רוח.",
                  "01632 960 999", "10,000"):
        assert words in text, words
    assert text.index("60") < text.index("100")


def test_the_same_document_twice_is_byte_identical(tiny: Path) -> None:
    first = _make(tiny, "consent", "ar", NAMES["ar"])
    again = _make(tiny, "consent", "ar", NAMES["ar"])
    assert first == again


# --- the direction setting --------------------------------------------------------------------------------


def test_direction_comes_from_the_language_or_the_content() -> None:
    assert [language.direction(x) for x in ("he", "ar", "fa", "ur", "he-IL", "en", "es", "pl")] == \
        ["rtl"] * 5 + ["ltr"] * 3
    assert language.direction("en", "rtl") == "rtl"
    assert language.direction("he", "ltr") == "ltr"


def test_the_right_to_left_list_agrees_with_cldr() -> None:
    from babel import Locale

    for code in language.RTL_LANGUAGES | {"en", "es", "pl", "el", "hi", "zh", "ku", "tr", "sw"}:
        locale = Locale.parse(code)
        assert (locale.character_order == "right-to-left") == (code in language.RTL_LANGUAGES), code


def test_a_wrong_direction_is_named_with_its_line(tiny: Path) -> None:
    content = tiny / "handouts" / "cupping" / "he.yaml"
    original = content.read_text(encoding="utf-8")
    try:
        content.write_text(original + "direction: sideways\n", encoding="utf-8")
        result = cli("info", "--patient", "Ana Lima", *VISIT, "--lang", "he", "-o", "x.pdf", cwd=tiny)
    finally:
        content.write_text(original, encoding="utf-8")
    assert result.returncode == 2
    assert "direction" in result.stderr and "he.yaml" in result.stderr
    assert not (tiny / "x.pdf").exists()


def test_direction_rtl_in_the_content_mirrors_the_page(tiny: Path) -> None:
    content = tiny / "handouts" / "cupping" / "en.yaml"
    original = content.read_text(encoding="utf-8")
    try:
        content.write_text(original + "direction: rtl\n", encoding="utf-8")
        pdf = _make(tiny, "info", "en", "Ana Lima")
    finally:
        content.write_text(original, encoding="utf-8")
    lines = _group(first_page_chars(pdf))
    clinic = next(line for line in lines if "Harbour" in "".join(c.get_text() for c in line))
    assert abs(clinic[-1].x1 - (A4_WIDTH - MARGIN)) < 1  # the clinic's name on the right


OFFERS = {"ar": "هذا المستند متوفر أيضًا بالعربية.", "he": "המסמך הזה זמין גם בעברית."}


@pytest.mark.parametrize("direction", ["ltr", "rtl"])
def test_an_english_document_offers_hebrew_and_arabic_each_read_in_its_own_language(tiny: Path,
                                                                                   direction: str) -> None:
    # The offer at the top of an English document, in right-to-left languages; and on an English
    # document laid out right to left (direction: rtl), against the left margin under the copy label.
    folder = tiny / "handouts" / "cupping"
    originals = {name: (folder / name).read_text(encoding="utf-8") for name in ("en.yaml", "he.yaml", "ar.yaml")}
    try:
        for lang, offer in OFFERS.items():
            (folder / f"{lang}.yaml").write_text(originals[f"{lang}.yaml"].replace(
                "\nlabels:\n", f'\nlabels:\n  also_available: "{offer}"\n', 1), encoding="utf-8")
        if direction == "rtl":
            (folder / "en.yaml").write_text(originals["en.yaml"] + "direction: rtl\n", encoding="utf-8")
        pdf = _make(tiny, "info", "en", f"Ana Lima {direction}")
    finally:
        for name, text in originals.items():
            (folder / name).write_text(text, encoding="utf-8")
    assert accessibility_problems(pdf) == []
    assert _own_languages(pdf) == [("/P", "ar", 0), ("/P", "he", 0)]  # before the title, in the tree
    # (9 pt: the clinic's address, at about the same height on the other side, is 9.5 pt.)
    line = next(line for line in _group([c for c in first_page_chars(pdf) if abs(c.size - 9) < 0.1])
                if _shown(OFFERS["he"]).replace(" ", "") in "".join(c.get_text() for c in line).replace(" ", ""))
    text = "".join(c.get_text() for c in line).replace(" ", "")
    # Each sentence in its own direction; the first language on the side the page starts from.
    first, second = (_shown(OFFERS["ar"]), _shown(OFFERS["he"]))[::1 if direction == "ltr" else -1]
    assert text == f"{first}·{second}".replace(" ", "")
    if direction == "rtl":
        assert abs(min(c.x0 for c in line) - MARGIN) < 1
    else:
        assert abs(max(c.x1 for c in line) - (A4_WIDTH - MARGIN)) < 1


def test_hebrew_content_cannot_be_laid_out_left_to_right(tiny: Path) -> None:
    content = tiny / "handouts" / "cupping" / "he.yaml"
    original = content.read_text(encoding="utf-8")
    try:
        content.write_text(original + "direction: ltr\n", encoding="utf-8")
        result = cli("info", "--patient", "Ana Lima", *VISIT, "--lang", "he", "-o", "y.pdf", cwd=tiny)
    finally:
        content.write_text(original, encoding="utf-8")
    assert result.returncode == 2
    assert "he.yaml: the content is in a right-to-left script but laid out left to right" in result.stderr
    assert not (tiny / "y.pdf").exists()


# --- dates, numbers and plurals from CLDR ---------------------------------------------------------------


def test_dates_come_from_cldr_for_languages_without_month_names() -> None:
    from patientdocs.render.templating import date_words

    day = TODAY
    assert date_words(day, {}, "es") == "1 de diciembre de 2026"
    assert date_words(day, {}, "he") == "1 בדצמבר 2026"
    assert date_words(day, {}, "ar") == "1 ديسمبر 2026"
    assert date_words(day, {}, "pl") == "1 grudnia 2026"
    # English keeps its own words (no Babel), and labels.months still wins where given.
    assert date_words(day, {}, "en") == "1 December 2026"
    months = "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre"
    assert date_words(day, {"months": months}, "es") == "1 diciembre 2026"


def test_numbers_are_grouped_per_language() -> None:
    assert language.number(100000, "es") == "100.000"
    assert language.number(100000, "he") == "100,000"
    assert language.number(100000, "ar") == "100,000"  # Western digits, as the risk numbers
    assert language.number(1234567, "pl") == "1\u00a0234\u00a0567"


def test_the_number_filter_follows_the_language(tmp_path: Path) -> None:
    from patientdocs.render.templating import make_environment

    assert make_environment(tmp_path, "es").from_string("{{ 100000|number }}").render() == "100.000"
    assert make_environment(tmp_path).from_string("{{ 100000|number }}").render() == "100,000"


def test_plural_categories_have_several_forms() -> None:
    assert [language.plural_category(n, "pl") for n in (1, 2, 4, 5, 12, 22, 25, 100)] == \
        ["one", "few", "few", "many", "many", "few", "many", "many"]
    assert [language.plural_category(n, "ar") for n in (0, 1, 2, 3, 10, 11, 99, 100)] == \
        ["zero", "one", "two", "few", "few", "many", "many", "other"]
    assert [language.plural_category(n, "en") for n in (1, 2, 100)] == ["one", "other", "other"]


def test_an_english_document_does_not_import_babel(tmp_path: Path) -> None:
    shutil.copy(REPO / "config.yaml", tmp_path / "config.yaml")
    for folder in ("handouts", "templates"):
        shutil.copytree(REPO / folder, tmp_path / folder)
    # A process of its own: what it imports at start-up is the point.
    result = subprocess.run([sys.executable, "-X", "importtime", str(GENERATE),
                             "info", "--patient", "Ana Lima", *VISIT, "-o", "x.pdf"],
                            cwd=tmp_path, env=cli_env(), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    imported = [line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines() if "|" in line]
    assert "reportlab" in imported  # the import log was read
    assert not [name for name in imported if name.split(".")[0] == "babel"]
    # Nor the web's and mail's libraries (xml.sax.saxutils would bring them: ~20 ms of each start).
    assert not [name for name in imported if name in ("urllib.request", "http.client", "email.parser")]


def test_a_print_runs_cover_sheet_in_hebrew_lists_its_columns_from_the_right(tiny: Path) -> None:
    appointments = tiny / "appointments.csv"
    appointments.write_text("patient_name,date,time,therapist,language,documents\n"
                            "דוד כהן,2026-12-01,09:30,Sam Patel,he,info\n"
                            "Ana Lima,2026-12-01,10:00,محمد عبد الله,ar,consent\n", encoding="utf-8")
    result = run_cli("batch", appointments, "-o", tiny / "day", cwd=tiny)
    assert result.returncode == 0, result.stderr
    lines = [line.replace(" ", "") for line in _lines((tiny / "day" / "print-all.pdf").read_bytes())]
    # From the right: time, patient, therapist, documents (each in its own direction).
    assert (_shown("דף מידע") + "Sam Patel" + _shown("דוד כהן") + "09:30").replace(" ", "") in lines
    assert (_shown("טופס הסכמה") + _shown("محمد عبد الله") + "Ana Lima" + "10:00").replace(" ", "") in lines


def test_a_persian_name_with_a_zero_width_non_joiner_prints() -> None:
    # The bidi algorithm drops joiners (class BN, rule X9) from its levels: they are put back, or
    # every letter after one would take its neighbour's level (and the line once failed).
    from patientdocs.load.config import load_config
    from patientdocs.load.visit import make_visit
    from patientdocs.render.pipeline import Pipeline

    pipeline = Pipeline(load_config(REPO / "config.yaml"), on_date=TODAY)
    name = "مهرداد نیک\u200cنام"
    rendered = pipeline.render([("info", "")], make_visit(patient=name, date="2026-12-01"),
                               treatment="dry-needling", language="en")
    line = next(line for line in _lines(rendered.pdf) if "Prepared for" in line)
    shown = _oracle(f"Prepared for {name}\u200e, 1 December 2026.", "L").replace("\u200c", "").replace("\u200e", "")
    assert line.replace(" ", "") == shown.replace(" ", "")


def _kids(element: tuple) -> list[tuple[str, str]]:
    return [(k[0], (k[1] or "").strip()) for k in element[2]]


@pytest.mark.parametrize("copy", [0, 1], ids=["patient", "clinic"])
def test_tagged_checklist_box_and_signature_rows_are_read_from_the_right(made, tmp_path: Path, copy: int) -> None:
    # Issue 11: each row of a mirrored table is drawn from the left; tagging puts its cells back
    # in reading order one by one, so a Yes/No pair inside a row (a table of its own, already in
    # order) is not reversed again.
    path = tmp_path / "doc.pdf"
    path.write_bytes(made["he", "consent", "latin"])
    part = _find(poppler_tree(path), "Part")[copy]  # the clinic's copy has the therapist's action column
    divs = _find(part, "Div")
    yes, no = ("Form", _shown("כן")), ("Form", _shown("לא"))
    questions = [("P", _shown(q))
                 for q in ("האם אתם לוקחים תרופות לדילול הדם?", "האם יש לכם פצע או כוויה באזור הטיפול?")]
    checklist = next(_kids(d) for d in divs if questions[0] in _kids(d))
    heads = [("P", _shown("סמנו כן או לא ליד כל שאלה.")), ("P", _shown("פרטים"))]
    if copy:
        heads.append(("P", _shown("פעולה")))
    assert checklist[:len(heads)] == heads  # the heading row from the right too
    rows = checklist[len(heads):]
    # Question, Yes, No, then the details line: the order they are read in, though No is drawn first.
    # (The clinic's copy puts the STOP mark last, in the action column.)
    stop = [("P", _shown("עצור"))] if copy else []
    assert rows == [questions[0], yes, no, ("Form", ""), *stop, questions[1], yes, no, ("Form", "")]

    box = next(_kids(d) for d in divs if d[2] and d[2][0][0] == "H3"
               and (d[2][0][1] or "").strip() == _shown("למילוי על ידי המטפל יחד איתך"))
    labels = ["הבעיה שמטופלת", "אזורים לטיפול", "טיפול ליד בית החזה מתוכנן", "גירוי חשמלי מתוכנן",
              "גורמי סיכון שנמצאו, ומה סוכם", "סיכונים שדוברו"]
    # The therapist's box: its title, then each label before its line or its Yes, No.
    expected = [("H3", _shown("למילוי על ידי המטפל יחד איתך"))]
    for label in labels:
        expected += [("P", _shown(label)), *([yes, no] if "מתוכנן" in label else [("Form", "")])]
    if copy:  # then the clinic's rows for later sessions: headings and cells from the right too
        assert box[-1][0] == "Table"
        box = box[:-1]
        (later,) = [t for t in _find(part, "Table") if _find(t, "TH")
                    and (_find(t, "TH")[0][1] or "").strip() == _shown("פגישה נוספת: תאריך")]
        rows = _find(later, "TR")
        assert [(k[1] or "").strip() for k in rows[0][2]] == [
            _shown(h) for h in ("פגישה נוספת: תאריך", "אזורים שטופלו", "חזה", "גירוי חשמלי", "מסכים/ה")]
        assert [[_kids(td) for td in row[2]] for row in rows[1:]] == [
            [[("Form", "")], [("Form", "")], [yes, no], [yes, no], [("Form", "")]]] * 2
    assert box == expected

    signature = next(d for d in divs if d[2] and d[2][0][0] == "H3"
                     and (d[2][0][1] or "").strip() == _shown("מטופל / הורה או אפוטרופוס"))
    # Each label before its line.
    assert [k[0] for k in signature[2]] == ["H3"] + ["P", "Form"] * 4
    assert _kids(signature)[1] == ("P", _shown("חתימה"))


def test_validate_passes_for_hebrew_and_arabic_content(tiny: Path) -> None:
    result = cli("validate", cwd=tiny)
    assert result.returncode == 0, result.stdout + result.stderr
    for lang in ("he", "ar"):
        for kind in ("info", "consent", "aftercare"):
            line = next(line for line in result.stdout.splitlines() if f"cupping/{lang} {kind} (" in line)
            assert line.startswith("OK ") and "tagged: yes" in line, line


@pytest.mark.parametrize("lang", ["he", "ar"])
def test_the_fillable_form_is_mirrored_and_still_tagged(tiny: Path, lang: str, tmp_path: Path) -> None:
    from pdfua import validate

    pdf = _make(tiny, "consent", lang, NAMES[lang], "--fillable")
    assert accessibility_problems(pdf) == []
    path = tmp_path / "form.pdf"
    path.write_bytes(pdf)
    assert [(f.rule_id, f.message) for f in validate(str(path)).findings] == []
    label = _shown({"he": "למלא ולהחזיר", "ar": "املأ وأعد"}[lang])
    line = next(line for line in _group(first_page_chars(pdf)) if label in "".join(c.get_text() for c in line))
    assert line[0].x0 < A4_WIDTH / 3  # the copy label on the left, in the content's language
    with pikepdf.open(BytesIO(pdf)) as doc:
        fields = [str(f.T) for f in doc.Root.AcroForm.Fields]
    assert "screening_blood_thinners_yes" in fields and "screening_blood_thinners_no" in fields


def test_a_form_signed_on_a_tablet_is_filled_from_the_right(tiny: Path) -> None:
    import pdfplumber
    from test_signing import drawing

    from patientdocs.load.config import load_config
    from patientdocs.load.visit import make_visit
    from patientdocs.render.pipeline import Pipeline

    pipeline = Pipeline(load_config(tiny / "config.yaml"), on_date=TODAY)
    filled = {"patient_signature": drawing(), "patient_name": NAMES["he"], "patient_date": "2026-12-01",
              "screening_blood_thinners": "no", "screening_skin": "no"}
    rendered = pipeline.render([("consent", "patient")], make_visit(patient=NAMES["he"], date="2026-12-01"),
                               treatment="cupping", language="he", filled=filled)
    width = A4_WIDTH - 2 * MARGIN
    # The patient's block is the first column of the signatures, on the right of the page; its
    # lines stand left of their labels (flowables._signature_parts: the label column's width).
    column = (width - 10) / 2
    line_right = MARGIN + width - min(column * 0.45, max(column * 0.22, 106))
    with pdfplumber.open(BytesIO(rendered.pdf)) as doc:
        page = next(p for p in doc.pages if p.images)
        (image,) = page.images
        assert line_right - 10 < image["x1"] <= line_right  # the signature from the right end
        assert image["x0"] > MARGIN + 10
    # Only the patient's column: the therapist's, on the left, has lines at the same heights.
    lines = [line for i in range(rendered.pages)
             for line in _group([c for c in page_chars(rendered.pdf, i) if c.x0 > MARGIN + column])]
    name = next(line for line in lines if "".join(c.get_text() for c in line) == _shown(NAMES["he"])
                and line[-1].x1 < line_right + 1)
    assert line_right - 12 < name[-1].x1  # the typed name against the line's right end


def test_the_warning_of_expired_content_is_mirrored_too(tiny: Path) -> None:
    content = tiny / "handouts" / "cupping" / "he.yaml"
    original = content.read_text(encoding="utf-8")
    try:
        content.write_text(original.replace("review_by: 2099-12-31", "review_by: 2026-06-30"), encoding="utf-8")
        pdf = _make(tiny, "info", "he", NAMES["he"], "--allow-expired")
    finally:
        content.write_text(original, encoding="utf-8")
    warning = _shown("אזהרה: עבר מועד הבדיקה של התוכן. בדקו אותו עם המטפל.")
    line = next(line for line in _group(first_page_chars(pdf)) if "".join(c.get_text() for c in line) == warning)
    assert abs(line[-1].x1 - (A4_WIDTH - MARGIN)) < 1 and line[0].x0 > A4_WIDTH / 3
    assert _shown("לבדיקה עד 30 ביוני 2026") in " ".join(_lines(pdf))


def test_a_double_sided_packets_blank_page_says_so_in_hebrew(tiny: Path) -> None:
    pdf = _make(tiny, "packet", "he", NAMES["he"], "--duplex")
    from pypdf import PdfReader

    assert len(PdfReader(BytesIO(pdf)).pages) >= 3
    blank = _shown("עמוד זה ריק בכוונה.")
    texts = [[line.strip() for line in glyph_lines_of(pdf, i)] for i in range(3)]
    assert texts[1] == [blank]  # the information sheet's back page, blank on purpose, readable


def glyph_lines_of(pdf: bytes, index: int) -> list[str]:
    return ["".join(c.get_text() for c in line) for line in _group(page_chars(pdf, index))]


def test_large_print_stacks_the_risk_rows_from_the_right(tiny: Path) -> None:
    pdf = _make(tiny, "info", "he", NAMES["he"], "--large-print")
    lines = _group(first_page_chars(pdf))
    label = _shown("מה קורה:")
    stacked = [line for line in lines if "".join(c.get_text() for c in line).endswith(label)]
    assert stacked  # each risk is a stack of "label: value" lines, the label first from the right
    for line in stacked:
        assert abs(line[-1].x1 - (A4_WIDTH - MARGIN)) < 2 and line[-1].size >= 16

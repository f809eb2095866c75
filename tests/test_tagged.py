"""Accessible PDFs: every document kind is tagged, in reading order, with every font embedded.

Checked the ways the issue asks: our own walk of the content streams (no text outside the tree or an
artifact), the structure tree read back by poppler and compared with the document's XML, the
``pdfua`` package's checks, and pdffonts.
"""

from __future__ import annotations

import email
import re
import shutil
import subprocess
from io import BytesIO
from pathlib import Path

import pikepdf
import pytest
from conftest import TODAY_EPOCH, cli, copy_project, norm

from patientdocs.render.markup import Node
from patientdocs.render.pdf.checks import accessibility_problems

VISIT = ("--dob", "1984-03-09", "--patient-id", "P-1", "--therapist", "Sam Patel", "--date", "2026-12-01")
KINDS = {
    "info": ("info",),
    "consent": ("consent",),
    "fillable": ("consent", "--fillable"),
    "aftercare-chest": ("aftercare", "--areas", "neck (left)", "--note", "Heat tonight"),
    "aftercare-knee": ("aftercare", "--areas", "knee (right)", "--next-visit", "2026-12-08"),
    "packet": ("packet",),
    # Large print (issue 12): the same checks, with risk tables reflowed into stacked rows.
    "info-large": ("info", "--large-print"),
    "consent-large": ("consent", "--large-print"),
    "fillable-large": ("consent", "--fillable", "--large-print"),
    "aftercare-large": ("aftercare", "--areas", "neck (left)", "--note", "Heat tonight", "--large-print"),
    "packet-large": ("packet", "--large-print"),
}
needs_poppler = pytest.mark.skipif(shutil.which("pdfinfo") is None or shutil.which("pdffonts") is None,
                                   reason="poppler-utils (pdfinfo, pdffonts) is not installed")


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("tagged")
    copy_project(folder)
    out = {}
    for name, args in KINDS.items():
        target = folder / f"{name}.pdf"
        result = cli(*args, "--patient", "Zoë O'Brien", *VISIT, "-o", target, cwd=folder)
        assert result.returncode == 0, result.stderr
        out[name] = target
    return out


# --- the checks themselves -------------------------------------------------------------------------

@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_passes_our_checks(made, kind: str) -> None:
    assert accessibility_problems(made[kind].read_bytes()) == []


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_passes_the_pdfua_package(made, kind: str) -> None:
    from pdfua import validate

    report = validate(str(made[kind]))
    assert [(f.rule_id, f.message) for f in report.findings] == []
    assert not [o.rule_id for o in report.outcomes if o.skipped_reason]


@needs_poppler
@pytest.mark.parametrize("kind", KINDS)
def test_every_font_is_embedded_and_poppler_sees_a_tagged_file(made, kind: str) -> None:
    fonts = subprocess.run(["pdffonts", made[kind]], capture_output=True, text=True, check=True).stdout
    rows = fonts.splitlines()[2:]
    assert rows
    assert all(re.search(r"\s(yes|no)\s+(yes|no)\s+(yes|no)\s+\d+\s+\d+$", r) for r in rows), fonts
    assert not [r for r in rows if re.search(r"\sno\s+(yes|no)\s+(yes|no)\s+\d+\s+\d+$", r)], fonts
    assert "Helvetica" not in fonts and "ZapfDingbats" not in fonts
    info = subprocess.run(["pdfinfo", made[kind]], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^Tagged:\s+yes$", info, re.M), info


def _untagged_pdf() -> bytes:
    from reportlab.pdfgen.canvas import Canvas

    buffer = BytesIO()
    canvas = Canvas(buffer)
    canvas.drawString(72, 720, "Nobody tagged me")
    canvas.save()
    return buffer.getvalue()


def test_the_checks_find_an_untagged_file() -> None:
    problems = accessibility_problems(_untagged_pdf())
    assert "no structure tree (the PDF is not tagged)" in problems
    assert "page 1: 1 piece(s) of text neither tagged nor marked as an artifact" in problems
    assert any("Helvetica is not embedded" in p for p in problems), problems


def test_the_checks_find_one_stray_line_in_a_tagged_file(made) -> None:
    with pikepdf.open(made["info"]) as pdf:
        page = pdf.pages[1]
        font = next(iter(page.obj.Resources.Font.keys()))
        page.contents_add(pdf.make_stream(f"BT {font} 12 Tf 72 72 Td (stray) Tj ET".encode()), prepend=False)
        out = BytesIO()
        pdf.save(out)
    assert accessibility_problems(out.getvalue()) == [
        "page 2: 1 piece(s) of text neither tagged nor marked as an artifact"]


# --- the tree read back, against the document's XML ---------------------------------------------------

def _text(node: Node) -> str:
    out = []
    for child in node.children:
        out.append(child if isinstance(child, str) else " " if child.tag == "br" else _text(child))
    return norm("".join(out))


def expected_tree(node: Node, fillable: bool = False, large: bool = False) -> list[tuple]:
    """What the structure should hold for each block: (role, text or None, kids), in order.

    A fillable form's fields also hold their widget (poppler shows an "Object"). In large print a
    table of three or more columns is a paragraph per value, "Heading: value", row after row."""
    out: list[tuple] = []
    widget = [("Object", None, [])] if fillable else []
    for block in node.elements():
        tag, attrs = block.tag, block.attrs
        if tag in ("h1", "h2", "h3", "p"):
            out.append((tag.upper(), _text(block), []))
        elif tag in ("ul", "sources"):
            labels = ["•"] * 999 if tag == "ul" else [f"{n}." for n in range(1, 999)]
            out.append(("L", None, [("LI", None, [("Lbl", label, []), ("LBody", _text(li), [])])
                                    for label, li in zip(labels, block.elements(), strict=False)]))
        elif tag == "callout":
            title = [("H2", norm(attrs["title"]), [])] if attrs.get("title") else []
            out.append(("Sect", None, title + expected_tree(block, fillable, large)))
        elif tag in ("risk-table", "table"):
            if attrs.get("title"):
                out.append(("H3", norm(attrs["title"]), []))
            if attrs.get("intro"):
                out.append(("P", norm(attrs["intro"]), []))
            heads = [_text(c) for row in block.elements("head") for c in row.elements("cell")]
            if large and len(heads) >= 3:
                for row in block.elements():
                    if row.tag != "head":
                        out += [("P", f"{label}: {_text(c)}", []) for label, c in
                                zip(heads, row.elements("cell"), strict=False) if _text(c)]
                continue
            rows = []
            for row in block.elements():
                role = "TH" if row.tag == "head" else "TD"
                rows.append(("TR", None, [(role, _text(c), [("Form", "", [])] if c.elements("box") else [])
                                          for c in row.elements("cell")]))
            out.append(("Table", None, rows))
        elif tag == "checklist":
            kids = [("P", norm(attrs[a]), []) for a in ("ask", "details", "action") if attrs.get(a)]
            for question in block.elements("question"):
                stop = attrs.get("stop") if question.attrs.get("kind") == "stop" else None
                # The STOP mark stands in the therapist's Action column, after the question's fields.
                lead = f"[{stop}] " if stop and not attrs.get("action") else ""
                kids += [("P", lead + _text(question), []), ("Form", attrs["yes"], widget),
                         ("Form", attrs["no"], widget)]
                kids += [("Form", "", widget)] if attrs.get("details") else []
                kids += [("P", stop, [])] if stop and attrs.get("action") else []
            out.append(("Div", None, kids))
        elif tag == "icon-arrays":
            # One figure; its drawn numbers are compared without spaces (line breaks join words).
            out.append(("Figure", "".join(norm(i.attrs["label"]) + _text(i) for i in block.elements()), []))
        elif tag == "record-box":
            kids = [("H3", norm(attrs["title"]), [])] if attrs.get("title") else []
            for entry in block.elements("entry"):
                kids.append(("P", norm(entry.attrs["label"]), []))
                if entry.attrs.get("kind") == "yesno":
                    kids += [("Form", attrs["yes"], widget), ("Form", attrs["no"], widget)]
                elif _text(entry):
                    kids.append(("P", _text(entry), []))
                else:
                    kids.append(("Form", "", widget))
            for later in block.elements("sessions"):  # the clinic copy's rows for later sessions
                heads = [("TH", norm(later.attrs[k]), []) for k in ("date", "areas", "chest", "estim", "initials")]
                line, pair = [("Form", "", widget)], [("Form", attrs["yes"], widget), ("Form", attrs["no"], widget)]
                row = [("TD", "", line), ("TD", "", line), ("TD", "", pair), ("TD", "", pair), ("TD", "", line)]
                kids.append(("Table", None, [("TR", None, heads)] + [("TR", None, row)] * int(later.attrs["rows"])))
            out.append(("Div", None, kids))
        elif tag == "beside":  # layout only: its blocks read as if they stood alone
            out += expected_tree(block, fillable, large)
        elif tag == "signatures":  # blocks side by side: a group of their groups
            out.append(("Div", None, expected_tree(block, fillable, large)))
        elif tag == "signature-block":
            title, statement = norm(attrs.get("title", "")), norm(attrs.get("statement", ""))
            # With a statement, the title runs into it: "Therapist: I explained ...".
            kids = ([("P", f"{title}: {statement}", [])] if title and statement else
                    [("H3", title, [])] if title else [("P", statement, [])] if statement else [])
            for field in block.elements("field"):
                kids += [("P", norm(field.attrs["label"]), []), ("Form", "", widget)]
            out.append(("Div", None, kids))
    return out


def poppler_tree(pdf: Path) -> tuple:
    """``pdfinfo -struct-text`` read into (role, text or None, kids)."""
    lines = subprocess.run(["pdfinfo", "-struct-text", pdf], capture_output=True, text=True, check=True).stdout
    root: list = ["", None, []]
    stack = [(-1, root)]
    for line in lines.splitlines():
        depth = (len(line) - len(line.lstrip())) // 2
        content = line.strip()
        if not content or content.startswith("/"):
            continue
        while stack[-1][0] >= depth:
            stack.pop()
        if content.startswith('"'):
            parent = stack[-1][1]
            parent[1] = (parent[1] or "") + content[1:-1]
            continue
        element = [content.split()[0].rstrip(":"), None, []]
        stack[-1][1][2].append(element)
        stack.append((depth, element))

    def frozen(e):
        return (e[0], None if e[1] is None else norm(e[1]), [frozen(k) for k in e[2]])

    return frozen(root)[2][0]


def _xml(project: Path, kind: str, copy: str = "", **visit) -> Node:
    from patientdocs.load.config import load_config
    from patientdocs.load.visit import make_visit
    from patientdocs.render import markup
    from patientdocs.render.pipeline import Pipeline

    pipeline = Pipeline(load_config(project / "config.yaml"))
    sample = make_visit(patient="Zoë O'Brien", dob="1984-03-09", patient_id="P-1", therapist="Sam Patel",
                        date="2026-12-01", today=pipeline.today, **visit)
    loaded = pipeline.content("dry-needling", "en")
    xml = pipeline.render_xml(pipeline.kinds.get(kind), loaded, sample, extra={"copy": copy})
    return markup.parse(xml, kind), loaded.data.labels


def _offered(project: Path) -> list[tuple]:
    """The other languages an English document offers at its top: a P each, after the copy label."""
    from patientdocs.load.config import load_config
    from patientdocs.render.pipeline import Pipeline

    pipeline = Pipeline(load_config(project / "config.yaml"))
    english = pipeline.content("dry-needling", "en")
    return [("P", norm(other["text"]), []) for other in pipeline.other_languages(english)]


def _as_tuples(tree: list[tuple]) -> list[tuple]:
    # A figure's text is compared without spaces: its words are drawn in narrow columns.
    return [(role, "".join(text.split()) if role == "Figure" and text else text, _as_tuples(kids))
            for role, text, kids in tree]


@needs_poppler
@pytest.mark.parametrize(("kind", "xml_kind", "copies", "visit"), [
    ("info", "info", [""], {}),
    ("consent", "consent", ["patient", "clinic"], {}),
    ("fillable", "consent", ["return"], {}),
    ("aftercare-chest", "aftercare", [""], {"areas": ("neck (left)",), "note": "Heat tonight"}),
    ("aftercare-knee", "aftercare", [""], {"areas": ("knee (right)",), "next_visit": "2026-12-08"}),
    ("info-large", "info", [""], {}),
    ("consent-large", "consent", ["patient", "clinic"], {}),
    ("aftercare-large", "aftercare", [""], {"areas": ("neck (left)",), "note": "Heat tonight"}),
])
def test_the_tree_follows_the_documents_xml(made, tmp_path: Path, kind, xml_kind, copies, visit) -> None:
    copy_project(tmp_path)
    documents = []
    for copy in copies:
        # Each copy its own XML: the clinic copy adds the therapist's column and the STOP marks.
        tree, labels = _xml(tmp_path, xml_kind, copy, **visit)
        header = ([("P", labels[f"{copy}_copy"], [])] if copy else []) + _offered(tmp_path)
        documents.append(_as_tuples(header + expected_tree(tree, fillable=kind == "fillable",
                                                           large=kind.endswith("-large"))))
    got = poppler_tree(made[kind])
    assert got[0] == "Document"
    if len(documents) == 1:
        assert _as_tuples(got[2]) == documents[0]
    else:
        assert [(role, _as_tuples(kids)) for role, _, kids in got[2]] == [("Part", d) for d in documents]


@needs_poppler
def test_the_packet_keeps_each_documents_structure(made, tmp_path: Path) -> None:
    copy_project(tmp_path)
    info, labels = _xml(tmp_path, "info")
    consent, _ = _xml(tmp_path, "consent", "patient")
    got = poppler_tree(made["packet"])
    assert [role for role, _, _ in got[2]] == ["Part", "Part", "Part"]
    offered = _offered(tmp_path)
    assert _as_tuples(got[2][0][2]) == _as_tuples([*offered, *expected_tree(info)])
    assert _as_tuples(got[2][1][2]) == _as_tuples([("P", labels["patient_copy"], []), *offered,
                                                   *expected_tree(consent)])


def test_line_ends_are_spaces_in_the_text(made) -> None:
    # The longest paragraph of the sheet runs over several lines; its words stay apart.
    text = subprocess.run(["pdftotext", "-raw", made["info"], "-"], capture_output=True, text=True).stdout \
        if shutil.which("pdftotext") else ""
    tree = poppler_tree(made["info"]) if shutil.which("pdfinfo") else None
    if tree is None:
        pytest.skip("poppler-utils is not installed")
    paragraphs = [t for role, t, _ in tree[2] if role == "P"]
    assert "Your therapist uses what is known about muscles, nerves and how pain works" in " ".join(paragraphs)
    assert "knownabout" not in "".join(paragraphs) and "knownabout" not in text


# --- languages ------------------------------------------------------------------------------------------

def _to_unicode(font) -> dict[int, str]:
    """A simple font's codes to text, from its ToUnicode CMap (reportlab writes bfchar/bfrange)."""
    cmap = font.ToUnicode.read_bytes().decode("latin-1")
    table: dict[int, str] = {}
    for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.S):
        for code, text in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            table[int(code, 16)] = bytes.fromhex(text).decode("utf-16-be")
    for block in re.findall(r"beginbfrange(.*?)endbfrange", cmap, re.S):
        for low, high, start in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            first = ord(bytes.fromhex(start).decode("utf-16-be"))
            for code in range(int(low, 16), int(high, 16) + 1):
                table[code] = chr(first + code - int(low, 16))
    return table


def _spans(pdf: bytes) -> list[tuple[str, str]]:
    """(language, text) of each /Span with a /Lang in the page content, in order."""
    found: list[list] = []
    with pikepdf.open(BytesIO(pdf)) as doc:
        for page in doc.pages:
            fonts = {name: _to_unicode(font) for name, font in page.obj.Resources.Font.items()}
            font: dict[int, str] = {}
            open_spans: list[list | None] = []
            for operands, operator in pikepdf.parse_content_stream(page):
                op = str(operator)
                if op in ("BDC", "BMC"):
                    props = operands[1] if op == "BDC" else None
                    span = None
                    if str(operands[0]) == "/Span" and isinstance(props, pikepdf.Dictionary) and "/Lang" in props:
                        span = [str(props.Lang), ""]
                        found.append(span)
                    open_spans.append(span)
                elif op == "EMC":
                    open_spans.pop()
                elif op == "Tf":
                    font = fonts[str(operands[0])]
                elif op in ("Tj", "TJ", "'", '"'):
                    strings = operands[-1] if op == "TJ" else [operands[-1]]
                    text = "".join("".join(font.get(b, "?") for b in bytes(s)) for s in strings
                                   if isinstance(s, pikepdf.String))
                    for span in open_spans:
                        if span is not None:
                            span[1] += text
    return [(lang, norm(text)) for lang, text in found]


def test_a_name_in_another_script_is_marked_with_its_language(tmp_path: Path) -> None:
    copy_project(tmp_path)
    result = cli("info", "--patient", "Ελένη Παπαδοπούλου", *VISIT, "-o", "greek.pdf", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    pdf = (tmp_path / "greek.pdf").read_bytes()
    assert _spans(pdf) == [("el", "Ελένη Παπαδοπούλου")]
    assert accessibility_problems(pdf) == []
    with pikepdf.open(BytesIO(pdf)) as doc:
        assert str(doc.Root.Lang) == "en"


def test_a_latin_name_has_no_span_of_its_own(made) -> None:
    assert _spans(made["info"].read_bytes()) == []


def _own_languages(pdf: bytes) -> list[tuple[str, str, int]]:
    """(role, /Lang, page index) of each structure element with a /Lang of its own, in tree order."""
    found = []
    with pikepdf.open(BytesIO(pdf)) as doc:
        pages = {page.objgen: i for i, page in enumerate(doc.pages)}

        def walk(element) -> None:
            if not isinstance(element, pikepdf.Dictionary):
                return
            if "/Lang" in element and "/S" in element:
                found.append((str(element.S), str(element.Lang), pages.get(element.Pg.objgen, -1)))
            kids = element.get("/K")
            for kid in (kids if isinstance(kids, pikepdf.Array) else [kids]):
                walk(kid)

        walk(doc.Root.StructTreeRoot.K)
        assert str(doc.Root.Lang) == "en"
    return found


ALSO_IN_SPANISH = "Este documento también está disponible en español."


@needs_poppler
@pytest.mark.parametrize("kind", ["info", "consent", "packet", "info-large"])
def test_the_offer_of_spanish_is_read_in_spanish_on_each_documents_first_page(made, kind: str) -> None:
    # Page furniture once (an artifact, which a screen reader skips): now a P in Spanish, read
    # after the copy label and before the title.
    import pdfplumber

    pdf = made[kind].read_bytes()
    tree = poppler_tree(made[kind])
    documents = [kids for role, _, kids in tree[2] if role == "Part"] or [tree[2]]
    for kids in documents:
        texts = [text for _, text, _ in kids]
        at = texts.index(ALSO_IN_SPANISH)
        assert texts.count(ALSO_IN_SPANISH) == 1
        assert [role for role, _, _ in kids[:at + 2]] == ["P"] * (at + 1) + ["H1"] and at <= 1  # a copy label
    with pdfplumber.open(BytesIO(pdf)) as doc:
        firsts = [i for i, page in enumerate(doc.pages) if "Page 1 of" in (page.extract_text() or "")]
    # Its /Lang: on later pages of a long document it is an artifact (the checks: nothing else untagged).
    assert _own_languages(pdf) == [("/P", "es", i) for i in firsts] and len(firsts) == len(documents)
    assert accessibility_problems(pdf) == []


def test_the_offer_of_spanish_keeps_its_place(made) -> None:
    import pdfplumber

    with pdfplumber.open(made["consent"]) as doc:
        page = doc.pages[0]
        words = page.extract_words(extra_attrs=["size"])
        line = [w for w in words if abs(w["top"] - next(w2["top"] for w2 in words if w2["text"] == "Este")) < 1]
        label = min((w for w in words if w["text"] == "Patient"), key=lambda w: w["top"])  # "Patient copy"
    assert " ".join(w["text"] for w in line) == ALSO_IN_SPANISH
    # Under the copy label, against the right margin, at three quarters of the label's size.
    assert abs(line[-1]["x1"] - (page.width - 15 * 72 / 25.4)) < 0.5
    assert line[0]["top"] > label["bottom"] and {round(w["size"], 2) for w in line} == {9}


def test_script_detection() -> None:
    from patientdocs.render.pdf.scripts import language_runs

    assert language_runs("Ana Lima") == [(None, "Ana Lima")]
    assert language_runs("محمد عبد الله") == [("ar", "محمد عبد الله")]
    assert language_runs("Zoë (Ελένη) Smith") == [(None, "Zoë ("), ("el", "Ελένη"), (None, ") Smith")]
    assert language_runs("Иван, 李明") == [("ru", "Иван"), (None, ", "), ("zh", "李明")]


# --- fields, joined and locked files ------------------------------------------------------------------------

def test_fillable_fields_name_their_question_and_sit_in_the_structure(made) -> None:
    with pikepdf.open(made["fillable"]) as pdf:
        fields = {str(f.T): f for f in pdf.Root.AcroForm.Fields}
        question = next(name for name in fields if name.startswith("screening_") and name.endswith("_yes"))
        # The first question, as printed, then its answer.
        assert str(fields[question].TU) == "A strong fear of needles Yes"
        # The fillable form has no signature (consent is signed in the clinic): its details lines
        # name their question.
        assert "signature_patient_signature" not in fields
        details = question.removesuffix("_yes") + "_details"
        assert str(fields[details].TU) == str(fields[question].TU).removesuffix(" Yes") + " Details"
        parents: dict = {}
        nums = pdf.Root.StructTreeRoot.ParentTree.Nums
        for i in range(0, len(nums), 2):
            parents[int(nums[i])] = nums[i + 1]
        for name, field in fields.items():
            element = parents[int(field.StructParent)]
            assert element.S == "/Form", name
            kids = element.K if isinstance(element.K, pikepdf.Array) else [element.K]
            assert any(isinstance(k, pikepdf.Dictionary) and k.get("/Obj") == field for k in kids), name
        for page in pdf.pages:
            assert page.obj.Tabs == "/S"
        assert str(pdf.Root.AcroForm.DA).startswith("/FieldFont ")


def test_the_emailed_attachment_keeps_its_structure_when_locked(tmp_path: Path) -> None:
    copy_project(tmp_path)
    result = cli("email", "aftercare", "--to", "zoe@example.org", "--dry-run", "--patient", "Zoë O'Brien",
                 *VISIT, "--areas", "neck (left)", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    message = email.message_from_bytes(next((tmp_path / "outbox").glob("*.eml")).read_bytes())
    attachment = next(p for p in message.walk() if p.get_filename())
    locked = attachment.get_payload(decode=True)
    with pytest.raises(pikepdf.PasswordError):
        pikepdf.open(BytesIO(locked))
    passphrase = re.search(r"^Passphrase for the patient[^:]*: ([a-z-]+)$", result.stdout, re.M).group(1)
    assert accessibility_problems(locked, password=passphrase) == []
    with pikepdf.open(BytesIO(locked), password=passphrase) as pdf:
        assert pdf.allow.accessibility
        assert pdf.Root.StructTreeRoot.K.S == "/Document"


def test_print_all_is_one_tagged_tree(tmp_path: Path) -> None:
    copy_project(tmp_path)
    (tmp_path / "day.csv").write_text(
        "date,time,patient_name,dob,documents\n2026-12-01,09:00,Ana Lima,1990-05-02,packet\n"
        "2026-12-01,09:30,Ελένη Παπαδοπούλου,1980-01-31,aftercare\n", encoding="utf-8")
    result = cli("batch", "day.csv", "-o", "day", "--workers", "1", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    joined = (tmp_path / "day" / "print-all.pdf").read_bytes()
    assert accessibility_problems(joined) == []
    with pikepdf.open(BytesIO(joined)) as pdf:
        parts = list(pdf.Root.StructTreeRoot.K.K)
        # The cover, the packet's three documents, the aftercare sheet.
        assert [str(p.S) for p in parts] == ["/Part"] * 5
        # The packet's first document: the offer of Spanish, then the heading.
        assert [str(e.S) for e in list(parts[1].K)[:2]] == ["/P", "/H1"] and str(parts[1].K[0].Lang) == "es"
    assert ("el", "Ελένη Παπαδοπούλου") in _spans(joined)
    from pdfua import validate

    path = tmp_path / "day" / "print-all.pdf"
    assert [(f.rule_id, f.message) for f in validate(str(path)).findings] == []


def test_validate_reports_each_kind_tagged(tmp_path: Path) -> None:
    copy_project(tmp_path)
    result = cli("validate", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for kind, pages in (("info", r"\d+ pages"), ("consent", r"\d+ pages per copy"), ("aftercare", r"\d+ pages")):
        wanted = rf"OK  dry-needling/en {kind} \({pages}; tagged: yes, text all tagged, fonts embedded\)"
        assert any(re.fullmatch(wanted, line) for line in result.stdout.splitlines()), result.stdout
    for kind in ("info", "consent", "aftercare"):
        wanted = rf"OK  dry-needling/en {kind} in large print \(\d+ pages( per copy)?; tagged: yes\)"
        assert any(re.fullmatch(wanted, line) for line in result.stdout.splitlines()), result.stdout


def test_validate_fails_when_a_template_draws_untagged_text(tmp_path: Path, monkeypatch) -> None:
    """The check behind "tagged: yes" is real: with the tagging layer switched off it fails."""
    from patientdocs.cli import main
    from patientdocs.render.pdf import tagging

    copy_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", TODAY_EPOCH)
    monkeypatch.setattr(tagging, "tag_block", lambda node, flowables: flowables)
    from click.testing import CliRunner

    result = CliRunner().invoke(main, ["validate"])
    assert result.exit_code == 2
    assert "dry-needling/en info is not accessible: page 1:" in result.output
    assert "neither tagged nor marked as an artifact" in result.output


def test_the_icon_arrays_are_a_figure_with_their_numbers_as_alt_text(made) -> None:
    with pikepdf.open(made["consent"]) as pdf:
        alts = [str(obj.Alt) for obj in pdf.objects
                if isinstance(obj, pikepdf.Dictionary) and obj.get("/S") == "/Figure" and "/Alt" in obj]
    # One figure a copy, each saying how many people of 100 each effect shades.
    assert len(alts) == 2
    assert all("52 of 100 people shaded: Soreness in the treated muscle" in alt for alt in alts)


def test_stop_marks_are_on_the_clinic_copy_only(made) -> None:
    import pypdf

    pages = [p.extract_text() or "" for p in pypdf.PdfReader(made["consent"]).pages]
    clinic = next(i for i, t in enumerate(pages) if "Clinic copy" in t)
    from helpers_docs import content

    stops = sum(q.kind == "stop" for q in content().consent.screening.questions)
    # In the therapist's Action column, one a question whose yes means "do not needle".
    assert sum(len(re.findall(r"\bSTOP\b", t)) for t in pages[:clinic]) == 0
    assert sum(len(re.findall(r"\bSTOP\b", t)) for t in pages[clinic:]) == stops >= 5

"""The block vocabulary checks structure: every violation is one error naming the template and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from patientdocs.errors import PatientDocsError
from patientdocs.render import markup, templating


def _parse(tmp_path: Path, body: str, name: str = "t.xml.j2") -> markup.Node:
    (tmp_path / name).write_text(body, encoding="utf-8")
    env = templating.make_environment(tmp_path)
    xml = templating.render(env, name, {"x": "</p><h1>"})
    return markup.parse(xml, name)


def _error(tmp_path: Path, body: str) -> str:
    with pytest.raises(PatientDocsError) as caught:
        _parse(tmp_path, body)
    return str(caught.value).replace(str(tmp_path) + "/", "")


@pytest.mark.parametrize(("body", "message"), [
    ('<document>\n<ul>\n<li>a</li>\n<p>b</p>\n</ul>\n</document>', "t.xml.j2:4: <p> cannot be inside <ul>"),
    ('<document>\n<table>\n<row><cell>a</cell></row>\n<h2>b</h2>\n</table>\n</document>',
     "t.xml.j2:4: <h2> cannot be inside <table>"),
    ('<document>\n<sources>\n<p>b</p>\n</sources>\n</document>', "t.xml.j2:3: <p> cannot be inside <sources>"),
    ('<document>\n<sources>\nloose\n</sources>\n</document>', "t.xml.j2:3: text 'loose' cannot be inside <sources>"),
    ('<document>\n<h1>T</h1>\nloose words\n</document>', "t.xml.j2:3: text 'loose words' cannot be inside <document>"),
    ('<document>\n<h1>T</h1>\n<checklist yes="Y" no="N">\n</checklist>\n</document>',
     "t.xml.j2:3: <checklist> is empty: it needs at least one <question>"),
    ('<document>\n\n<signature-block title="S">\n</signature-block>\n</document>',
     "t.xml.j2:3: <signature-block> is empty: it needs at least one <field>"),
    ('<document>\n<h1>Title\n<p>no</p></h1>\n</document>', "t.xml.j2:3: <p> cannot be inside <h1>"),
    ('<document>\n<h1>T</h1>\n<p colour="red">a</p>\n</document>', "t.xml.j2:3: unknown attribute 'colour' on <p>"),
    ('<document>\n<p class="huge">a</p>\n</document>',
     't.xml.j2:2: <p class="huge"> is not allowed; use one of closing, lead, personal, small, warning'),
])
def test_structure_errors_name_template_and_line(tmp_path: Path, body: str, message: str) -> None:
    assert _error(tmp_path, body) == message


def test_a_macro_names_its_own_file(tmp_path: Path) -> None:
    (tmp_path / "_m.xml.j2").write_text('{% macro bad() %}\n<ul>\n<p>x</p>\n</ul>\n{% endmacro %}\n',
                                        encoding="utf-8")
    body = '{% import "_m.xml.j2" as m %}\n<document>\n<h1>T</h1>\n{{ m.bad() }}\n</document>\n'
    assert _error(tmp_path, body) == "_m.xml.j2:3: <p> cannot be inside <ul>"


def test_doctype_and_entities_are_refused(tmp_path: Path) -> None:
    body = '<!DOCTYPE document [<!ENTITY a "aaaaaaaaaa">]>\n<document><p>&a;</p></document>'
    (tmp_path / "t.xml.j2").write_text(body, encoding="utf-8")
    xml = templating.render(templating.make_environment(tmp_path), "t.xml.j2", {})
    with pytest.raises(PatientDocsError, match=r"<!DOCTYPE>\) or entity declaration is not allowed"):
        markup.parse(xml, "t.xml.j2")


def test_text_too_long_names_its_line(tmp_path: Path) -> None:
    assert _error(tmp_path, "<document>\n<h1>T</h1>\n<p>{{ 'word ' * 1000 }}</p>\n</document>") == \
        "t.xml.j2:3: <p> holds 5000 characters of text; at most 4000 fit"


def test_template_not_utf8_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "t.xml.j2").write_bytes(b"<document>\n<h1>T</h1>\n<p>caf\xe9</p>\n</document>\n")
    with pytest.raises(PatientDocsError) as caught:
        templating.get_template(templating.make_environment(tmp_path), "t.xml.j2")
    assert str(caught.value).endswith("t.xml.j2:3: not UTF-8 text (save the template as UTF-8)")


def test_patient_text_stays_text_and_marks_change_nothing(tmp_path: Path) -> None:
    root = _parse(tmp_path, "<document>\n<h1>T</h1>\n  <p>Hi {{ x }}\n  there</p>\n</document>\n")
    (_h1, p) = root.elements()
    assert p.text() == "Hi </p><h1>\n  there"
    assert (p.source, p.source_line) == (str(tmp_path / "t.xml.j2").replace(str(Path.cwd()) + "/", ""), 3)

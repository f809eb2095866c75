"""Bad input, through the CLI: exit code 2, one clear "Error:" line naming the file and line, no
traceback, and nothing written (no PDF, no half-written *.part file)."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from conftest import (
    GENERATE,
    REPO,
    VISIT,
    assert_failed_cleanly,
    can_drop_root_powers,
    cli,
    line_of,
    replace_line,
    run_cli,
)
from support import cli_env

from patientdocs.errors import PatientDocsError, UnsupportedCharactersError
from patientdocs.load import yamlsource
from patientdocs.load.config import load_config
from patientdocs.load.content import load_content
from patientdocs.load.visit import make_visit
from patientdocs.render.pipeline import Pipeline

CONTENT = Path("handouts/dry-needling/en.yaml")


def info(project: Path, *extra: str) -> tuple:
    """Run ``info`` for a valid visit in ``project`` with -o out.pdf, plus ``extra`` options."""
    result = cli("info", "--patient", "Ana Lima", *VISIT, "-o", "out.pdf", *extra, cwd=project)
    return result, project / "out.pdf"


def failed(project: Path, *extra: str, lines: int | None = 1) -> list[str]:
    result, output = info(project, *extra)
    return assert_failed_cleanly(result, project, output, lines=lines)


def line_equal(path: Path, text: str) -> int:
    return path.read_text(encoding="utf-8").split("\n").index(text) + 1


# ---- config.yaml ----------------------------------------------------------------------------------

def test_config_broken_yaml_names_file_and_line(project: Path) -> None:
    line = replace_line(project / "config.yaml", "font_size: 12 ", "font_size: 12: 13 ")
    (message,) = failed(project)
    assert message.startswith(f"config.yaml:{line}: not valid YAML"), message


def test_config_missing_required_key(project: Path) -> None:
    replace_line(project / "config.yaml", "name: Riverside Physio & Sports Clinic", "# (name removed)")
    (message,) = failed(project)
    assert message == f"config.yaml:{line_equal(project / 'config.yaml', 'clinic:')}: " \
                      "missing required key 'clinic.name'"


def test_config_wrong_type_paper(project: Path) -> None:
    line = replace_line(project / "config.yaml", "paper: A4", "paper: 42")
    (message,) = failed(project)
    assert message.startswith(f"config.yaml:{line}: document.paper: "), message
    assert "'A4'" in message and "'Letter'" in message and "42" in message


def test_config_wrong_type_address(project: Path) -> None:
    config = project / "config.yaml"
    line = replace_line(config, "  address:", "  address: 5")
    replace_line(config, "- 14 Mill Lane", "# (removed)")
    replace_line(config, "- Northbridge NB4 7QT", "# (removed)")
    (message,) = failed(project)
    assert message.startswith(f"config.yaml:{line}: clinic.address: must be a list"), message


def test_config_unknown_key_names_its_line(project: Path) -> None:
    line = replace_line(project / "config.yaml", "duplex: true", "duplx: true")
    (message,) = failed(project)
    assert message.startswith(f"config.yaml:{line}: unknown key 'document.duplx'"), message


def test_config_duplicate_key_names_its_line(project: Path) -> None:
    line = replace_line(project / "config.yaml", "duplex: true", "font_size: 14")
    (message,) = failed(project)
    assert message == f"config.yaml:{line}: key 'font_size' appears twice", message


def test_config_reports_all_problems_at_once(project: Path) -> None:
    config = project / "config.yaml"
    replace_line(config, "name: Riverside Physio & Sports Clinic", "# (name removed)")
    paper = replace_line(config, "paper: A4", "paper: 42")
    unknown = replace_line(config, "duplex: true", "duplx: true")
    messages = failed(project, lines=3)
    clinic = line_equal(config, "clinic:")
    assert f"config.yaml:{clinic}: missing required key 'clinic.name'" in messages
    assert any(m.startswith(f"config.yaml:{paper}: document.paper: ") for m in messages), messages
    assert any(m.startswith(f"config.yaml:{unknown}: unknown key 'document.duplx'") for m in messages), messages


def test_a_bad_colour_is_reported_with_the_other_problems(project: Path) -> None:
    config = project / "config.yaml"
    empty = replace_line(config, 'emergency_number: "999"', 'emergency_number: ""')
    size = replace_line(config, "font_size: 12", "font_size: 19")
    colour = replace_line(config, "brand_colour:", "brand_colour: blue #")
    assert failed(project, lines=3) == [f"config.yaml:{empty}: clinic.emergency_number: must not be empty",
                                        f"config.yaml:{colour}: clinic.brand_colour: 'blue' is not a colour like "
                                        "#1f5f8b",
                                        f"config.yaml:{size}: document.font_size: must be at most 18, not 19"]


def test_config_file_not_found(project: Path) -> None:
    (message,) = failed(project, "--config", "nowhere.yaml")
    assert message == "nowhere.yaml: file not found"


# ---- content file ----------------------------------------------------------------------------------

def test_content_broken_yaml_names_file_and_line(project: Path) -> None:
    line = replace_line(project / CONTENT, "name: Dry needling", "name: Dry: needling")
    (message,) = failed(project)
    assert message.startswith(f"{CONTENT}:{line}: not valid YAML"), message


def test_content_missing_key(project: Path) -> None:
    replace_line(project / CONTENT, "language_name: English", "# (removed)")
    (message,) = failed(project)
    assert re.fullmatch(rf"{re.escape(str(CONTENT))}:\d+: missing required key 'language_name'", message), message


def test_content_unknown_key_reported_with_the_missing_one(project: Path) -> None:
    line = replace_line(project / CONTENT, "language_name: English", "language_nmae: English")
    messages = failed(project, lines=2)
    assert f"{CONTENT}:{line}: unknown key 'language_nmae' (check the spelling)" in messages
    assert any(m.endswith("missing required key 'language_name'") for m in messages), messages


def _risk_number(project: Path, risk_id: str) -> int:
    content = load_content(project / "handouts", "dry-needling", "en").data
    return [r.id for r in content.risks].index(risk_id) + 1


FACTS = Path("handouts/dry-needling/facts.yaml")


def test_content_risk_with_unknown_source(project: Path) -> None:
    number = _risk_number(project, "pneumothorax")
    line = replace_line(project / FACTS, "fewer_than, source: lin2019}", "fewer_than, source: nobody2020}")
    (message,) = failed(project)
    assert message == f"{FACTS}:{line}: risks[{number}]: unknown source 'nobody2020'"


def test_content_reports_every_unknown_source(project: Path) -> None:
    first = replace_line(project / FACTS, "fewer_than, source: lin2019}", "fewer_than, source: nobody2020}")
    second = replace_line(project / FACTS, "unit: treatment, source: chen1990}", "unit: treatment, source: nobody2021}")
    messages = failed(project, lines=2)
    assert any(m.startswith(f"{FACTS}:{first}: ") and "'nobody2020'" in m for m in messages), messages
    assert any(m.startswith(f"{FACTS}:{second}: ") and "'nobody2021'" in m for m in messages), messages


def test_content_impossible_date_names_file_and_line(project: Path) -> None:
    line = replace_line(project / CONTENT, "reviewed: 2026-11-20", "reviewed: 2026-02-30")
    (message,) = failed(project)
    assert message.startswith(f"{CONTENT}:{line}: "), message
    assert "2026-02-30" in message


# ---- templates ------------------------------------------------------------------------------------

@pytest.fixture
def templates(project: Path) -> Path:
    """The project's templates moved to my-templates/, which the config names in paths.templates."""
    shutil.move(project / "templates", project / "my-templates")
    replace_line(project / "config.yaml", "templates: templates", "templates: my-templates")
    return project / "my-templates"


def test_template_using_something_undefined_names_template_and_line(project: Path, templates: Path) -> None:
    line = replace_line(templates / "info.xml.j2", "{{ info.intro|markup }}", "{{ info.nothing_here }}")
    (message,) = failed(project)
    assert message.startswith(f"my-templates/info.xml.j2:{line}: "), message
    assert "undefined" in message and "nothing_here" in message


def test_undefined_in_a_macro_names_the_macro_file_and_line(project: Path, templates: Path) -> None:
    line = replace_line(templates / "_macros.xml.j2", "{{ visit.date|longdate }}", "{{ visit.nope }}")
    (message,) = failed(project)
    assert message.startswith(f"my-templates/_macros.xml.j2:{line}: "), message
    assert "nope" in message


def test_unknown_tag_in_template_names_template_and_line(project: Path, templates: Path) -> None:
    line = replace_line(templates / "info.xml.j2", "<h1>{{ info.title|markup }}</h1>",
                        "<blink>{{ info.title|markup }}</blink>")
    (message,) = failed(project)
    assert message == f"my-templates/info.xml.j2:{line}: unknown tag <blink>"


def test_unknown_attribute_in_template_names_template_and_line(project: Path, templates: Path) -> None:
    line = replace_line(templates / "info.xml.j2", '<p class="lead">', '<p klass="lead">')
    (message,) = failed(project)
    assert message == f"my-templates/info.xml.j2:{line}: unknown attribute 'klass' on <p>"


def test_template_syntax_error_names_template_and_line(project: Path, templates: Path) -> None:
    line = replace_line(templates / "info.xml.j2", "{% for s in info.sections %}",
                        "{% for s in info.sections %}{% bogus %}")
    (message,) = failed(project)
    assert re.match(rf"my-templates/info\.xml\.j2:{line}: template syntax error: ", message), message
    assert "bogus" in message


def test_missing_template_names_the_folder(project: Path, templates: Path) -> None:
    (templates / "info.xml.j2").unlink()
    (message,) = failed(project)
    assert message.startswith("template 'info.xml.j2' not found in "), message
    assert "my-templates" in message


def test_templates_really_come_from_paths_templates(project: Path, templates: Path) -> None:
    # Control for the tests above: the unedited moved templates work.
    result, output = info(project)
    assert result.returncode == 0, result.stderr
    assert output.is_file()


# ---- command-line values ----------------------------------------------------------------------------

def test_impossible_visit_date(project: Path) -> None:
    result = cli("info", "--patient", "Ana Lima", "--date", "2026-13-45", "-o", "out.pdf", cwd=project)
    (message,) = assert_failed_cleanly(result, project, project / "out.pdf")
    assert message == "date '2026-13-45' is not a real date"


def test_impossible_date_of_birth(project: Path) -> None:
    (message,) = failed(project, "--dob", "1984-02-30")
    assert message == "date of birth '1984-02-30' is not a real date"


def test_birth_after_the_visit(project: Path) -> None:
    (message,) = failed(project, "--dob", "2027-01-01")
    assert "2027-01-01" in message and "2026-12-01" in message


def test_unknown_language_lists_the_available_ones(project: Path) -> None:
    (message,) = failed(project, "--lang", "xx")
    assert message == "no 'xx' version of dry-needling (available languages: en, es)"


def test_unknown_treatment_lists_the_available_ones(project: Path) -> None:
    (message,) = failed(project, "--treatment", "cupping")
    assert message == "unknown treatment 'cupping' (available: dry-needling)"


def test_output_folder_that_does_not_exist(project: Path) -> None:
    result = cli("info", "--patient", "Ana Lima", *VISIT, "-o", "nowhere/out.pdf", cwd=project)
    (message,) = assert_failed_cleanly(result, project)
    assert "nowhere/out.pdf" in message and "does not exist" in message
    assert not (project / "nowhere").exists()


def test_output_under_a_file(project: Path) -> None:
    (project / "somefile.txt").write_text("not a folder")
    result = cli("info", "--patient", "Ana Lima", *VISIT, "-o", "somefile.txt/out.pdf", cwd=project)
    (message,) = assert_failed_cleanly(result, project)
    assert "somefile.txt/out.pdf" in message and "is not a folder" in message
    assert (project / "somefile.txt").read_text() == "not a folder"


def test_output_is_an_existing_folder(project: Path) -> None:
    (project / "saved").mkdir()
    result = cli("info", "--patient", "Ana Lima", *VISIT, "-o", "saved", cwd=project)
    (message,) = assert_failed_cleanly(result, project)
    assert "'saved'" in message and "is a folder" in message
    assert list((project / "saved").iterdir()) == []


@pytest.mark.skipif(not can_drop_root_powers(), reason="root may write into any folder, and setpriv is missing")
def test_output_folder_without_write_permission(project: Path) -> None:
    locked = project / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        result = run_cli("info", "--patient", "Ana Lima", *VISIT, "-o", "locked/out.pdf", cwd=project,
                         as_normal_user=True)
        (message,) = assert_failed_cleanly(result, project)
        assert "locked/out.pdf" in message and "permission" in message
        assert list(locked.iterdir()) == []
    finally:
        locked.chmod(0o755)


@pytest.mark.parametrize("name", ["", "   "])
def test_empty_patient_name(project: Path, name: str) -> None:
    result = cli("info", "--patient", name, *VISIT, "-o", "out.pdf", cwd=project)
    (message,) = assert_failed_cleanly(result, project, project / "out.pdf")
    assert message == "patient name is empty"


# Chinese prints now (test_scripts.py); Ethiopic is a script no bundled font has.
def test_name_in_a_script_no_font_has_is_refused_via_cli(project: Path) -> None:
    result = cli("info", "--patient", "አበበ", *VISIT, "-o", "out.pdf", cwd=project)
    (message,) = assert_failed_cleanly(result, project, project / "out.pdf")
    assert message.startswith("patient name has characters no bundled font can print"), message
    for char in "አበ":
        assert f"'{char}' (U+{ord(char):04X})" in message


def test_unprintable_characters_raise_unsupported_characters_error_listing_them() -> None:
    pipeline = Pipeline(load_config(REPO / "config.yaml"))
    visit = make_visit(patient="Ana አበበ Lima", date="2026-12-01", therapist="Sam Patel")
    with pytest.raises(UnsupportedCharactersError) as caught:
        pipeline.check_printable(visit)
    assert isinstance(caught.value, PatientDocsError)
    message = str(caught.value)
    assert "patient name" in message
    assert message.endswith(": 'አ' (U+12A0) 'በ' (U+1260)")  # each character once, in order
    assert "Ana" not in message.split(":", 1)[1]  # only the characters that cannot be printed are listed


# ---- YAML surprises ----------------------------------------------------------------------------------

def test_norway_problem_language_no_stays_the_string_no() -> None:
    doc = yamlsource.parse("language: no\nother: yes\nswitch: off\nflag: true\nlabels:\n  no: Nei\n  yes: Ja\n",
                           Path("x.yaml"))
    assert doc.data["language"] == "no"
    assert doc.data["other"] == "yes"
    assert doc.data["switch"] == "off"
    assert doc.data["flag"] is True
    assert doc.data["labels"] == {"no": "Nei", "yes": "Ja"}


def test_yaml_lines_are_remembered_for_errors() -> None:
    doc = yamlsource.parse("a: 1\nb:\n  c: 2\n", Path("x.yaml"))
    assert doc.line_of(("b", "c")) == 3
    assert str(doc.error("bad", ("b", "c"))) == "x.yaml:3: bad"


@pytest.mark.parametrize("key, typed", [("phone", "02071234567"), ("emergency_number", "000")])
def test_unquoted_numbers_with_leading_zero_keep_their_digits(project: Path, key: str, typed: str) -> None:
    config = project / "config.yaml"
    line = line_of(config, f"  {key}: ")
    lines = config.read_text(encoding="utf-8").split("\n")
    lines[line - 1] = f"  {key}: {typed}"
    config.write_text("\n".join(lines), encoding="utf-8")
    assert getattr(load_config(config).clinic, key) == typed


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full here")
def test_output_onto_a_device_is_refused_and_the_device_left_alone(project: Path) -> None:
    result = cli("info", "--patient", "Ana Lima", *VISIT, "-o", "/dev/full", cwd=project)
    (message,) = assert_failed_cleanly(result, project)
    assert message == "cannot write '/dev/full': it is not an ordinary file; give a file name ending in .pdf"
    assert Path("/dev/full").is_char_device()


def _logo(project: Path, make) -> int:
    make(project / "logo.png")
    return replace_line(project / "config.yaml", "logo: null", "logo: logo.png")


@pytest.mark.parametrize(("make", "reason"), [
    (lambda p: p.write_text("not a picture"), "is not a picture"),
    (lambda p: p.write_bytes(_png(100, 100, noise=True)[:15000]), "is damaged"),
    (lambda p: p.write_bytes(_png(6000, 5000)), "is 6000 x 5000 pixels, too large for a logo"),
])
def test_a_bad_logo_is_named_with_its_line(project: Path, make, reason: str) -> None:
    line = _logo(project, make)
    (message,) = failed(project)
    assert message == f"config.yaml:{line}: clinic.logo: 'logo.png' {reason}; use a PNG or JPEG picture"


def test_a_good_logo_prints(project: Path) -> None:
    _logo(project, lambda p: p.write_bytes(_png(200, 100)))
    result = cli("info", "--patient", "Ana Lima", *VISIT, "-o", "a.pdf", cwd=project)
    assert result.returncode == 0, result.stderr


def _png(width: int, height: int, *, noise: bool = False) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    image = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3)) if noise else \
        Image.new("1", (width, height))
    image.save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("file", ["config.yaml", "handouts/dry-needling/en.yaml"])
def test_a_yaml_alias_that_contains_itself_is_refused(project: Path, file: str) -> None:
    path = project / file
    path.write_text("loop: &a [*a]\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    (message,) = failed(project)
    assert message == f"{file}:1: an alias (*name) is not allowed in this file: write the value out in full"


@pytest.mark.parametrize(("name", "shown"), [
    ("Ana\u200dLima", "ZERO WIDTH JOINER (U+200D)"),
    ("Ana\u200cLima", "ZERO WIDTH NON-JOINER (U+200C)"),
])
def test_joiners_that_would_print_as_boxes_are_refused(project: Path, name: str, shown: str) -> None:
    (message,) = failed(project, "--patient", name)
    assert message == (f"patient name contains characters that cannot be printed: {shown}; "
                       "retype it, or copy it from somewhere else")


def test_emoji_are_refused_rather_than_breaking_the_text_layer(project: Path) -> None:
    (message,) = failed(project, "--patient", "Ana \U0001F600 Lima")
    assert message == "patient name has characters no bundled font can print: '\U0001F600' (U+1F600)"


def test_a_clinic_name_no_font_can_print_is_refused(project: Path) -> None:
    line = replace_line(project / "config.yaml", "name: Riverside", "name: ሰላም Riverside")
    assert line
    (message,) = failed(project)
    assert message.startswith("config.yaml: clinic.name has characters no bundled font can print: 'ሰ' (U+1230)")
    result = cli("validate", cwd=project)
    assert result.returncode == 2 and "clinic.name has characters no bundled font can print" in result.stderr


def test_content_in_a_script_no_font_can_print_is_refused(project: Path) -> None:
    path = project / "handouts" / "dry-needling" / "en.yaml"
    replace_line(path, "language_name: English", "language_name: English مرحبا")
    (message,) = failed(project)
    assert message.startswith("handouts/dry-needling/en.yaml: the content is in a right-to-left script"), message


def test_content_reviewed_after_its_review_date_is_refused(project: Path) -> None:
    path = project / "handouts" / "dry-needling" / "en.yaml"
    line = replace_line(path, "review_by: 2027-11-20", "review_by: 2026-11-01")
    (message,) = failed(project)
    assert message == (f"handouts/dry-needling/en.yaml:{line}: reviewed 2026-11-20 is after review_by 2026-11-01; "
                       "check the two dates")


def test_a_bad_colour_is_reported_at_its_own_line(project: Path) -> None:
    line = line_of(project / "config.yaml", "brand_colour:")
    replace_line(project / "config.yaml", "brand_colour:", "brand_colour: red #")
    (message,) = failed(project)
    assert message == f"config.yaml:{line}: clinic.brand_colour: 'red' is not a colour like #1f5f8b"


def test_mail_settings_that_would_leak_the_password_are_refused(project: Path) -> None:
    config = project / "config.yaml"
    replace_line(config, "host: smtp.riverside-physio.example", 'host: "mail.example.org\\nx"')
    replace_line(config, "security: starttls", "security: none")
    result = cli("validate", cwd=project)
    assert result.returncode == 2
    lines = result.stderr.splitlines()  # one line per problem: the line break in the host is shown, not printed
    assert len(lines) == 2, lines
    assert lines[0].endswith("email.smtp.host: 'mail.example.org\\nx' has spaces or line breaks in it; "
                             "give the server's name only"), lines
    assert lines[1].endswith("email.smtp.security: none would send the mail password unencrypted; "
                             "use starttls or tls"), lines


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full here")
def test_a_full_terminal_output_does_not_claim_nothing_was_written(project: Path) -> None:
    import subprocess
    import sys

    with open("/dev/full", "w") as full:
        result = subprocess.run([sys.executable, str(GENERATE), "info", "--patient", "Ana Lima", *VISIT, "-o", "a.pdf"],
                                cwd=project, stdout=full, stderr=subprocess.PIPE, text=True, timeout=60,
                                env=cli_env())  # a process of its own: its stdout is /dev/full
    assert result.returncode == 1
    assert result.stderr.strip() == ("Error: could not read or write a file: No space left on device. "
                                     "Files already finished are complete; no half-written file was left.")
    assert (project / "a.pdf").is_file()


def test_temporary_files_left_by_a_killed_run_are_cleared_later(project: Path) -> None:
    """kill -9 or a power cut can leave a hidden, half-written patient document behind."""
    out = project / "out"
    out.mkdir()
    old = out / ".patientdocs-2026-11-30_ana-lima_info.pdf.x1y2z3.part"
    old.write_bytes(b"%PDF-1.4 half of Ana's sheet")
    os.utime(old, (os.path.getatime(old) - 7200, os.path.getmtime(old) - 7200))
    fresh = out / ".patientdocs-2026-12-01_bo-ek_info.pdf.a1b2c3.part"  # perhaps another run, still writing
    fresh.write_bytes(b"%PDF-1.4 being written")
    result = cli("info", "--patient", "Ana Lima", *VISIT, cwd=project)
    assert result.returncode == 0, result.stderr
    assert not old.exists() and fresh.exists()

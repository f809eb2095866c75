"""The consent form as a patient and a clinic see it: text, copies, footer, metadata, fields, expiry."""

from __future__ import annotations

import re
from pathlib import Path

import pikepdf
import pytest
from helpers_docs import (
    BUILD_EPOCH,
    LANGUAGE,
    PATIENT,
    TREATMENT,
    assert_one_line_error,
    content,
    count_records,
    docinfo,
    document_starts,
    expired_handouts,
    is_blank,
    long_date,
    make,
    make_many,
    no_pdf_or_part,
    norm,
    page_numbers,
    page_texts,
    plain,
    repo_config,
    run,
    write_config,
)
from pypdf import PdfReader

# A risk-table row reads "... <how many> <band word> <source>"; this finds the "how many" part
# in extracted text without knowing the phrases in advance.
ROW_PHRASE = re.compile(r"((?:about|fewer than) [\d,]+(?: to [\d,]+)? in [\d,]+ [a-z]+) "
                        r"(?:very common|common|uncommon|rare|very rare)\b")


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One printed consent form (both copies), one fillable form and one information sheet."""
    folder = tmp_path_factory.mktemp("consent")
    config = write_config(folder)
    made = {"config": config, "consent": folder / "ana-consent.pdf", "fillable": folder / "ana-fillable.pdf",
            "info": folder / "ana-info.pdf"}
    make_many(("consent", made["consent"], (), config), ("consent", made["fillable"], ("--fillable",), config),
              ("info", made["info"], (), config), epoch=BUILD_EPOCH)
    return made


@pytest.fixture(scope="module")
def texts(made: dict[str, Path]) -> list[str]:
    return page_texts(made["consent"])


@pytest.fixture(scope="module")
def text(texts: list[str]) -> str:
    return " ".join(texts)


@pytest.fixture(scope="module")
def data():
    return content()


def _section(data, section_id: str):
    found = [s for s in data.consent.sections if s.id == section_id]
    assert found, f"the consent content has no section '{section_id}'"
    return found[0]


# ---- what the form says ------------------------------------------------------------------

@pytest.mark.parametrize("section_id", ["what-it-is", "benefits", "risks", "serious", "estim",
                                        "alternatives", "your-choice"])
def test_every_required_section_is_printed_in_full(text: str, data, section_id: str) -> None:
    section = _section(data, section_id)
    assert plain(section.heading) in text
    for sentence in [*section.text, *section.points]:
        assert plain(sentence) in text, sentence


def test_key_facts_of_informed_consent_are_printed(text: str) -> None:
    for fact in (
        "nothing is injected",                              # what it is
        "This is not acupuncture",                          # not acupuncture
        "You may feel a prick, an ache or a twitch",         # what you may feel
        "Soreness usually goes within 1 to 2 days, and almost always within 3 days",  # one statement everywhere
        "It may ease your pain for a few weeks, or not help",  # benefit, with its uncertainty
        "pain fell by 1.5 to 2.3 points on a 0 to 10 scale",  # ... as a number
        "pain medicine, or no treatment",  # alternatives include no treatment
        "you can say no, or stop at any time",             # voluntary
        "your other care will not change",
        "You can ask for a chaperone",
        "Take your time: sign after talking with your therapist",  # time to decide, after the talk (GMC)
    ):
        assert fact in text, fact


def test_intro_and_title_are_printed(text: str, data) -> None:
    assert plain(data.consent.title) in text
    assert plain(data.consent.intro) in text


def test_training_statement_from_config_is_printed(text: str, data) -> None:
    statement = norm(repo_config()["clinic"]["training_statement"])
    assert statement
    # A sentence of its own, at the end of "It is your choice": no label before it.
    assert f"You can ask for a chaperone. {statement}" in text


def test_every_screening_question_is_printed_with_yes_and_no(text: str, data) -> None:
    questions = data.consent.screening.questions
    assert len(questions) >= 10
    assert plain(data.consent.screening.heading) in text
    for question in questions:
        assert f"{plain(question.text)} {data.labels['yes']} {data.labels['no']}" in text, question.id
    # Each question the review found missing is asked (content review, section 2.2).
    asked = " ".join(plain(q.text) for q in questions)
    for words in ("heart valve", "Cancer or radiotherapy", "infection, broken skin or a rash",
                  "curved spine", "Nothing to eat in the last 2 hours", "numb skin", "Flying, diving", "an implant",
                  "bad reaction to needles", "trying to get pregnant", "blood thinners: which?"):
        assert words in asked, words


def test_every_declaration_statement_is_printed(text: str, data) -> None:
    assert plain(data.consent.declaration.heading) in text
    for statement in data.consent.declaration.statements:
        assert plain(statement) in text, statement
    assert "I agree to have dry needling." in text
    # The declaration names the information sheet's version, which the patient keeps.
    assert f"I have the information sheet (version {data.version}) to keep." in text


def test_signature_labels_for_patient_or_guardian_therapist_and_interpreter(text: str, data) -> None:
    signers = data.consent.signers
    assert f"{signers['patient']} / {signers['guardian']}" in text
    assert "parent or guardian" in text
    for block in ("therapist", "interpreter"):
        assert signers[block] in text
    # No interpreter booked: one row for one brought on the day, with their name, language,
    # signature and date.
    interpreter = text[text.index(signers["interpreter"]):]
    assert signers["name_language"] in interpreter
    assert signers["signature_date"] in interpreter
    assert text.count(signers["signature"]) >= 2 * 3  # three signature lines in each copy
    for field in ("relationship", "registration", "therapist_statement", "interpreter_statement"):
        assert plain(signers[field]) in text, field


def test_patient_details_are_printed(text: str) -> None:
    assert "Prepared for Ana Lima" in text
    assert "by Sam Patel" in text
    assert "Date of birth: 2 May 1990" in text
    assert "Patient ID: P-1042" in text


def test_the_most_common_effects_are_printed_as_numbers_of_100(text: str, data) -> None:
    from patientdocs.render.consent_figures import icon_arrays

    icons = icon_arrays(data)
    assert 2 <= len(icons) <= 3
    for icon in icons:
        assert f"{icon['count']} in 100 {plain(icon['effect'])}" in text, icon["id"]
    # Hard-coded, so a change to the arithmetic cannot go unnoticed.
    assert "52 in 100 Soreness in the treated muscle" in text


def test_serious_problems_are_given_per_session_and_over_a_course(text: str) -> None:
    assert ("Serious problems are rare: They happen in about 1 in 1,000 sessions (about 6 in 1,000 people over "
            "6 sessions).") in text


def test_the_form_does_not_repeat_the_information_sheets_risk_tables(made: dict[str, Path], text: str,
                                                                     data) -> None:
    info_text = " ".join(page_texts(made["info"]))
    assert ROW_PHRASE.findall(info_text)
    assert not ROW_PHRASE.findall(text)
    assert "information sheet" in text  # the form points to it


def test_patient_copy_then_clinic_copy_each_labelled_on_every_page(texts: list[str], data) -> None:
    patient, clinic = data.labels["patient_copy"], data.labels["clinic_copy"]
    labels = [("P" if patient in t else "") + ("C" if clinic in t else "") for t in texts if not is_blank(t)]
    assert set(labels) == {"P", "C"}, labels  # each page carries exactly one label
    first_clinic = labels.index("C")
    assert labels == ["P"] * first_clinic + ["C"] * (len(labels) - first_clinic)


def test_page_numbers_restart_for_each_copy(texts: list[str]) -> None:
    text = " ".join(texts)
    assert len(re.findall(r"\bPage 1 of \d+", text)) == 2
    numbers = [page_numbers(t) for t in texts if not is_blank(t)]
    assert None not in numbers
    # The clinic copy may be longer (its action column and STOP marks): each copy counts its own.
    first = numbers[0][1]
    second = numbers[first][1]
    assert numbers == [(n, first) for n in range(1, first + 1)] + [(n, second) for n in range(1, second + 1)]
    assert len(document_starts(texts)) == 2


def test_version_review_date_and_fingerprint_on_every_page(made: dict[str, Path], texts: list[str],
                                                           data) -> None:
    fingerprint = docinfo(made["consent"])["/Fingerprint"]
    assert re.fullmatch(r"[0-9a-f]{12}", fingerprint)
    footer = (f"{data.labels['version']} {data.version} · {data.labels['review_by']} "
              f"{long_date(data.review_by)} · {data.labels['reference']} {fingerprint}")
    for number, page in enumerate(texts, 1):
        if is_blank(page):
            continue
        assert footer in page, (number, page[-200:])


def test_blank_pages_hold_only_the_blank_text(texts: list[str], data) -> None:
    for page in texts:
        if is_blank(page):
            assert page == data.labels["intentionally_blank"]


def test_metadata_matches_the_footer(made: dict[str, Path], text: str, data) -> None:
    info = docinfo(made["consent"])
    assert info["/ContentVersion"] == data.version
    assert info["/ReviewBy"] == data.review_by.isoformat()
    assert info["/Fingerprint"] in text
    assert f"Ref {info['/Fingerprint']}" in text
    assert f"Version {info['/ContentVersion']}" in text
    assert info["/DocumentKinds"] == "consent"
    # pypdf reads the same keys
    meta = PdfReader(made["consent"]).metadata
    assert meta["/Fingerprint"] == info["/Fingerprint"]


def test_same_inputs_give_byte_identical_pdfs(made: dict[str, Path], tmp_path: Path) -> None:
    again = make("consent", tmp_path / "again.pdf", config=write_config(tmp_path), epoch=BUILD_EPOCH)
    assert again.read_bytes() == made["consent"].read_bytes()


# ---- fillable form -----------------------------------------------------------------------

def _expected_fields(data) -> dict[str, str]:
    fields = {}
    for question in data.consent.screening.questions:
        name = question.id.replace("-", "_")
        fields[f"screening_{name}_yes"] = "/Btn"
        fields[f"screening_{name}_no"] = "/Btn"
        fields[f"screening_{name}_details"] = "/Tx"
    # No signature and no declaration: consent is signed in the clinic (issue 10).
    return fields


def test_fillable_form_has_one_field_of_the_right_type_per_name(made: dict[str, Path], data) -> None:
    expected = _expected_fields(data)
    fields = PdfReader(made["fillable"]).get_fields()
    assert fields is not None
    assert {name: field.get("/FT") for name, field in fields.items()} == expected
    with pikepdf.open(made["fillable"]) as pdf:
        names = [str(field.T) for field in pdf.Root.AcroForm.Fields]
    assert sorted(names) == sorted(expected)  # no name twice


def test_fillable_fields_start_empty_and_boxes_can_be_ticked(made: dict[str, Path]) -> None:
    fields = PdfReader(made["fillable"]).get_fields()
    for name, field in fields.items():
        if field.get("/FT") == "/Sig":
            assert field.get("/V") is None, name
        elif field.get("/FT") == "/Btn":
            assert field.get("/V") in (None, "/Off"), name
            assert "/Off" in field.get("/_States_", []) and len(field["/_States_"]) == 2, name
        else:
            assert not field.get("/V"), name


def test_fillable_form_is_one_copy_to_fill_in_and_return(made: dict[str, Path], data) -> None:
    texts = page_texts(made["fillable"])
    text = " ".join(texts)
    assert data.labels["return_copy"] in text
    assert data.labels["patient_copy"] not in text
    assert data.labels["clinic_copy"] not in text
    assert len(document_starts(texts)) == 1
    assert not any(is_blank(t) for t in texts)


def test_fillable_form_holds_the_health_questions_only_and_says_not_to_sign(made: dict[str, Path], data) -> None:
    text = " ".join(page_texts(made["fillable"]))
    assert "Do not sign a consent form until you have talked with your therapist." in text
    for question in data.consent.screening.questions:
        assert plain(question.text) in text
    assert plain(data.consent.declaration.heading) not in text
    for statement in data.consent.declaration.statements:
        assert plain(statement) not in text
    assert data.consent.signers["signature"] not in text
    fields = PdfReader(made["fillable"]).get_fields()
    assert not any(f.get("/FT") == "/Sig" for f in fields.values())


def test_printed_form_has_no_form_fields(made: dict[str, Path]) -> None:
    assert PdfReader(made["consent"]).get_fields() is None
    with pikepdf.open(made["consent"]) as pdf:
        assert "/AcroForm" not in pdf.Root


def test_fillable_with_duplex_is_refused(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    result = run("consent", *PATIENT, "--fillable", "--duplex", "-o", tmp_path / "f.pdf", config=config)
    line = assert_one_line_error(result)
    assert "--fillable" in line and "--duplex" in line
    no_pdf_or_part(tmp_path)
    assert not (tmp_path / "records.db").exists() or not count_records(tmp_path / "records.db")


# ---- content past its review date --------------------------------------------------------

@pytest.fixture(scope="module")
def expired(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("expired")
    return write_config(folder, handouts=expired_handouts(folder))


def test_expired_content_is_refused_naming_the_date_and_the_way_out(expired: Path, tmp_path: Path) -> None:
    result = run("consent", *PATIENT, "-o", tmp_path / "x.pdf", config=expired)
    line = assert_one_line_error(result)
    assert "2025-06-30" in line
    assert "--allow-expired" in line
    assert f"{LANGUAGE}.yaml" in line
    no_pdf_or_part(tmp_path)
    no_pdf_or_part(expired.parent)


def test_expired_content_with_allow_expired_warns_on_every_page(expired: Path, tmp_path: Path) -> None:
    pdf = make("consent", tmp_path / "x.pdf", "--allow-expired", config=expired)
    texts = page_texts(pdf)
    warning = content(expired.parent / "handouts").labels["expired_warning"]
    assert "past its review date" in warning
    printed = [t for t in texts if not is_blank(t)]
    assert printed
    for page in printed:
        assert "past its review date" in page
        assert norm(warning) in page


def test_validate_fails_on_expired_content_and_names_the_file(expired: Path) -> None:
    result = run("validate", config=expired)
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr
    output = result.stdout + result.stderr
    assert str(expired.parent / "handouts" / TREATMENT / f"{LANGUAGE}.yaml") in output
    assert "2025-06-30" in output
    assert "All checks passed" not in output


def test_validate_allow_expired_passes_with_a_warning(expired: Path) -> None:
    result = run("validate", "--allow-expired", config=expired)
    assert result.returncode == 0, (result.stdout, result.stderr)
    warnings = [line for line in result.stdout.splitlines() if line.startswith("WARNING")]
    assert len(warnings) == 1, result.stdout
    assert f"{LANGUAGE}.yaml" in warnings[0]
    assert "2025-06-30" in warnings[0]


def test_validate_passes_on_the_current_content(made: dict[str, Path]) -> None:
    result = run("validate", config=made["config"])
    assert result.returncode == 0, (result.stdout, result.stderr)
    assert "WARNING" not in result.stdout
    assert "All checks passed." in result.stdout

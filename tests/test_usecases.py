"""The use-case layer the CLI and the web page share (usecases-contract.md): plain values in,
results out, errors that name their field. Called in this process, as a web page calls them."""

from __future__ import annotations

import csv
import hashlib
import re
from pathlib import Path

import pytest
from conftest import TODAY, TODAY_EPOCH, copy_project, page_texts

from patientdocs.errors import PatientDocsError
from patientdocs.load.config import load_config
from patientdocs.usecases.day import plan_day, print_day
from patientdocs.usecases.documents import DocumentRequest, VisitInput, make_document, preview_document
from patientdocs.usecases.email import EmailRequest, send_documents
from patientdocs.usecases.records import find_records, verify_document
from patientdocs.usecases.status import content_status, validate_all

ANA = VisitInput(patient="Ana Lima", dob="1990-05-02", patient_id="P-1042", therapist="Sam Patel", date="2026-12-01")


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", TODAY_EPOCH)
    return load_config(copy_project(tmp_path))


def test_make_document_returns_what_it_saved_and_recorded(config) -> None:
    saved = make_document(config, DocumentRequest(kind="packet", visit=ANA))
    assert saved.path == config.output_dir / "2026-12-01_ana-lima_p-1042_packet.pdf"
    assert saved.kinds == ("info", "consent") and saved.pages == len(page_texts(saved.path)) > 0
    assert saved.sha256 == hashlib.sha256(saved.path.read_bytes()).hexdigest()
    assert (saved.language, saved.content_version) == ("en", "2026.11")
    rows = find_records(config, patient_id="P-1042", on_date="2026-12-01")
    assert [(r["kind"], r["sha256"], r["fingerprint"]) for r in rows] == [
        ("info", saved.sha256, saved.fingerprint), ("consent", saved.sha256, saved.fingerprint)]
    verdict = verify_document(config, saved.path)
    assert (verdict.ok, verdict.status) == (True, "UNCHANGED")


def test_preview_writes_and_records_nothing(config) -> None:
    pdf = preview_document(config, DocumentRequest(kind="aftercare", visit=VisitInput(patient="Ana Lima",
                                                                                      areas=("neck (left)",))))
    assert "neck (left)" in " ".join(page_texts(pdf))
    assert not config.output_dir.exists() and not config.records_path.exists()


@pytest.mark.parametrize(("visit", "field", "says"), [
    (VisitInput(patient=" "), "patient", "patient name is empty"),
    (VisitInput(patient="Ana", dob="1990-02-30"), "dob", "date of birth '1990-02-30' is not a real date"),
    (VisitInput(patient="Ana", date="2026-12-01", dob="2027-01-01"), "dob", "is after the visit date"),
    (VisitInput(patient="Ana", date="12/01/2026"), "date", "date '12/01/2026' is not in an accepted date format"),
    (VisitInput(patient="Ana", patient_id="P\t1"), "patient_id", "patient id contains characters"),
    (VisitInput(patient="Ana", therapist="x" * 201), "therapist", "therapist is longer than 200 characters"),
    (VisitInput(patient="Ana", next_visit="2026-11-30"), "next_visit", "is not after this visit"),
    (VisitInput(patient="Ana", note="a\u200bb"), "note", "note contains characters"),
    (VisitInput(patient="Abebe \u1208\u121b"), "patient", "patient name"),  # Ethiopic: no bundled font
])
def test_an_error_names_the_field_it_is_about(config, visit: VisitInput, field: str, says: str) -> None:
    with pytest.raises(PatientDocsError) as caught:
        make_document(config, DocumentRequest(kind="aftercare", visit=visit))
    assert caught.value.field == field
    assert says in str(caught.value)
    assert not config.output_dir.exists()


def test_unknown_kind_and_address_name_their_field(config) -> None:
    with pytest.raises(PatientDocsError) as caught:
        make_document(config, DocumentRequest(kind="letter", visit=ANA))
    assert caught.value.field == "kind"
    with pytest.raises(PatientDocsError) as caught:
        send_documents(config, EmailRequest(documents=("info",), to="ana at example.org", visit=ANA, dry_run=True))
    assert caught.value.field == "to"
    with pytest.raises(PatientDocsError) as caught:
        find_records(config, on_date="1 December")
    assert caught.value.field == "date"


def test_an_email_dry_run_hands_the_passphrase_back_once(config) -> None:
    sent = send_documents(config, EmailRequest(documents=("aftercare", "consent"), to="ana@example.org", visit=ANA,
                                               dry_run=True))
    assert sent.recipient == "ana@example.org" and sent.documents == 2 and sent.encrypted
    assert sent.encryption == "passphrase" and sent.passphrase and sent.passphrase.count("-") == 4
    assert sent.dry_run_file is not None and sent.dry_run_file.parent == config.outbox_dir
    assert sent.passphrase.encode() not in sent.dry_run_file.read_bytes()
    assert [p.parent for p in sent.saved] == [config.output_dir] * 2
    assert sent.handover is not None and sent.handover.passphrase == sent.passphrase


def test_plan_then_print_the_day(config, tmp_path: Path) -> None:
    day = tmp_path / "day.csv"
    with day.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([["date", "time", "patient_name", "documents"],
                                      ["2026-12-01", "8:30", "Ana Lima", "info"],
                                      ["2026-12-01", "09:00", "", "info"],
                                      ["2026-12-01", "09:30", "Ben Ode", "aftercare"]])
    plan = plan_day(config, day)
    assert [(r.line, r.time, r.patient, r.documents) for r in plan.rows] == [
        (2, "08:30", "Ana Lima", ("info",)), (4, "09:30", "Ben Ode", ("aftercare",))]
    assert [(p.line, p.reason) for p in plan.problems] == [(3, "patient name is empty")]
    assert plan.out_dir == config.output_dir / "2026-12-01" and not plan.out_dir.exists()  # nothing written yet
    seen: list[tuple[int, int]] = []
    result = print_day(config, plan, workers=1, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(0, 2), (1, 2), (2, 2)]
    assert (result.made, result.reused, result.failed, result.total) == (2, 0, 1, 3)
    assert result.not_made == ((3, "line 3: patient name is empty"),)
    assert result.print_all == plan.out_dir / "print-all.pdf" and result.print_all.is_file()
    assert result.report.read_text(encoding="utf-8").endswith("2 made, 1 not made, out of 3 rows.\n")
    again = print_day(config, plan_day(config, day), workers=1)
    assert (again.made, again.reused) == (2, 2)


def test_validate_and_content_status(config) -> None:
    lines = validate_all(config)
    assert not [line for line in lines if "is typed into the text" in line.text]  # no number typed in prose
    assert all(line.ok for line in lines)
    # The demo config's seal uses a demo certificate, which validate warns about (test_seal.py); then each
    # kind in normal and in large print, then the print run's cover sheet; in English, then in Spanish.
    assert [line.level for line in lines] == ["OK", "WARNING", *["OK"] * 14]
    assert lines[1].text.startswith("seal: ")
    assert re.fullmatch(r"dry-needling/en consent \(\d+ pages per copy; tagged: yes, text all tagged, fonts embedded\)",
                        lines[4].text), lines[4].text
    assert re.fullmatch(r"dry-needling/en consent in large print \(\d+ pages per copy; tagged: yes\)", lines[5].text)
    assert lines[8].text == "dry-needling/en cover sheet of a print run (1 page)"
    status, spanish = content_status(config)
    assert (spanish.language, spanish.language_name) == ("es", "Español")
    assert (status.treatment, status.language, status.version, status.language_name) == (
        "dry-needling", "en", "2026.11", "English")
    assert status.days_left == (status.review_by - TODAY).days

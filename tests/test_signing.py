"""Consent signed on a tablet (usecases/signing.py), called as the page calls it: the signed and
sealed PDF, its audit page, its records, and every refusal of a consent that is not complete."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from pypdf import PdfReader
from support import TODAY, TODAY_EPOCH, cli, copy_project, norm, run_cli

from patientdocs.errors import PatientDocsError
from patientdocs.load.config import load_config
from patientdocs.load.content import load_content
from patientdocs.usecases.saving import VisitInput
from patientdocs.usecases.signing import Answer, SignerInput, SignRequest, sign_consent

ANA = VisitInput(patient="Ana Lima", dob="1990-05-02", patient_id="P-1042", therapist="Sam Patel",
                 date="2026-12-01")


def drawing(width: int = 600, height: int = 200, *, empty: bool = False) -> bytes:
    """A signature as a tablet's canvas sends it: a transparent PNG with a dark stroke."""
    image = Image.new("RGBA", (width, height), (255, 255, 255, 0))
    if not empty:
        ImageDraw.Draw(image).line([(20, 150), (120, 40), (220, 160), (330, 50), (560, 120)],
                                   fill=(10, 20, 90, 255), width=6)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", TODAY_EPOCH)
    return load_config(copy_project(tmp_path))


def questions(config) -> list[str]:
    content = load_content(config.handouts_dir, "dry-needling", "en")
    return [q.id for q in content.data.consent.screening.questions]


def request(config, **changes) -> SignRequest:
    answers = {q: Answer("no") for q in questions(config)}
    answers["blood-thinners"] = Answer("yes", "apixaban 5 mg twice a day")
    values = dict(visit=ANA, dob_confirmed="1990-05-02", answers=answers,
                  signers=(SignerInput("patient", "Ana Lima", drawing()),
                           SignerInput("therapist", "Sam Patel", typed=True)),
                  device="Front desk tablet 2")
    values.update(changes)
    return SignRequest(**values)


def test_the_signed_consent_holds_the_signatures_an_audit_page_and_the_seal(config, tmp_path: Path) -> None:
    signed = sign_consent(config, request(config), user="reception1")
    assert signed.path.parent == config.output_dir and signed.path.name.endswith("-signed.pdf")
    assert signed.sealed
    reader = PdfReader(signed.path)
    last = norm(reader.pages[-1].extract_text())
    assert "Record of signing" in last
    for text in ("Ana Lima", "Sam Patel", "signed by hand on the screen", "typed their name", "Front desk tablet 2",
                 f"Consent content version {signed.version}", "blood-thinners: yes", "needle-fear: no",
                 "Date of birth confirmed by the patient 1990-05-02", "2026-12-01 00:00"):
        assert text in last, text
    # The drawn signature is an image on a page of the form itself, not on the audit page.
    with_images = [i for i, page in enumerate(reader.pages) if page.images]
    assert with_images and with_images[-1] < len(reader.pages) - 1
    everything = " ".join(norm(p.extract_text()) for p in reader.pages)
    assert "Signed copy" in everything
    checked = cli("verify", signed.path, cwd=config.base)
    assert checked.returncode == 0, checked.stdout
    assert checked.stdout.startswith(f"SEALED AND UNCHANGED: {signed.path.name} carries the seal of")
    with sqlite3.connect(config.records_path) as conn:
        (row,) = conn.execute("SELECT content_version, signers, device, witness, recorded_by, document_sha256 "
                              "FROM signatures").fetchall()
        (kind, sha) = conn.execute("SELECT kind, sha256 FROM documents").fetchone()
    assert row == (signed.version, "patient: Ana Lima (drawn); therapist: Sam Patel (typed)", "Front desk tablet 2",
                   "Sam Patel", "reception1", signed.sha256)
    assert (kind, sha) == ("consent", signed.sha256)


def test_the_signed_file_stays_accessible(config) -> None:
    from patientdocs.render.pdf.checks import accessibility_problems

    signed = sign_consent(config, request(config))
    assert accessibility_problems(signed.path.read_bytes()) == []


@pytest.mark.parametrize("changes, field, says", [
    (dict(signers=(SignerInput("patient", "Ana Lima", drawing()),)), "therapist_signature",
     "the therapist must countersign the consent"),
    (dict(signers=(SignerInput("therapist", "Sam Patel", typed=True),)), "patient_signature",
     "the consent needs the patient's signature (or a parent's or guardian's)"),
    (dict(signers=(SignerInput("patient", "Ana Lima", drawing(empty=True)),
                   SignerInput("therapist", "Sam Patel", typed=True))), "patient_signature",
     "the patient's signature is empty; sign in the box"),
    (dict(signers=(SignerInput("patient", "Ana Lima", b"GIF89a not a png"),
                   SignerInput("therapist", "Sam Patel", typed=True))), "patient_signature",
     "the patient's signature is not a readable drawing; draw it again"),
    (dict(signers=(SignerInput("patient", "Ana Lima"), SignerInput("therapist", "Sam Patel", typed=True))),
     "patient_signature", "the patient has not signed: draw the signature, or type the name as the signature"),
    (dict(dob_confirmed="1990-02-05"), "dob_confirmed",
     "the date of birth the patient confirmed does not match the appointment; check who is signing before going on"),
])
def test_an_incomplete_consent_is_refused_and_nothing_is_saved(config, changes, field: str, says: str) -> None:
    with pytest.raises(PatientDocsError) as caught:
        sign_consent(config, request(config, **changes))
    assert (caught.value.message, caught.value.field) == (says, field)
    assert not config.output_dir.exists() or not list(config.output_dir.glob("*.pdf"))


def test_an_unanswered_health_question_is_named(config) -> None:
    answers = {q: Answer("no") for q in questions(config)[1:]}
    with pytest.raises(PatientDocsError) as caught:
        sign_consent(config, request(config, answers=answers))
    first = questions(config)[0]
    assert caught.value.message == f"1 health question(s) not answered: {first}"
    assert caught.value.field == f"answer_{first}"


def test_a_guardian_may_sign_for_the_patient(config) -> None:
    signed = sign_consent(config, request(config, signers=(SignerInput("guardian", "Maria Lima", drawing()),
                                                           SignerInput("therapist", "Sam Patel", drawing()))))
    last = norm(PdfReader(signed.path).pages[-1].extract_text())
    assert "Parent or guardian Maria Lima" in last


def write_day(folder: Path) -> Path:
    path = folder / "day.csv"
    path.write_text("date,time,patient_name,dob,patient_id,therapist,documents\n"
                    "2026-12-01,09:00,Ana Lima,1990-05-02,P-1042,Sam Patel,packet\n"
                    "2026-12-01,10:00,Ben Okafor,1975-07-14,P-2001,Sam Patel,packet\n"
                    "2026-12-01,11:00,Cleo Park,1988-01-20,P-3003,Sam Patel,aftercare\n", encoding="utf-8")
    return path


def test_the_print_run_lists_who_must_consent_again_and_why(config, monkeypatch: pytest.MonkeyPatch) -> None:
    import yaml

    from patientdocs.records.signatures import Signature, insert
    from patientdocs.records.store import Records

    sign_consent(config, request(config))  # Ana signs today's version
    records = Records(config.records_path)
    ben = records.identity(name="Ben Okafor", patient_id="P-2001", dob=None)
    with records.transaction() as conn:  # Ben signed an older version, long ago
        insert(records, conn, Signature("2025-06-01T10:00:00+00:00", "0" * 64, ben, "P-2001", "dry-needling", "en",
                               "2025.05", "patient: Ben Okafor (drawn)", None, None, "1" * 64))
    records.close()
    # The content's change log says what changed since Ben's version.
    handouts = config.handouts_dir / "dry-needling" / "en.yaml"
    data = yaml.safe_load(handouts.read_text(encoding="utf-8"))
    version = data["version"]
    data["changes"] = [{"version": "2025.05", "text": "Older note."},
                       {"version": version, "text": "Fainting is now counted."}]
    handouts.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    day = write_day(config.base)
    result = run_cli("batch", day, "-o", "out/day", cwd=config.base)
    assert result.returncode == 0, result.stderr
    report = (config.base / "out/day/report.txt").read_text(encoding="utf-8")
    lines = {line.split(" ", 3)[3].split(":")[0]: line for line in report.splitlines() if line.startswith("line ")}
    assert "consent again" not in lines["Ana Lima"]
    assert lines["Ben Okafor"].endswith(f"consent again: signed version 2025.05; this is version {version}. "
                                        "Fainting is now counted.")
    assert "consent again" not in lines["Cleo Park"]  # no consent form in her documents
    cover = norm(PdfReader(config.base / "out/day/print-all.pdf").pages[0].extract_text())
    assert f"Consent again: signed version 2025.05; this is version {version}. Fainting is now counted." in cover
    assert cover.count("Consent again") == 1


def test_an_old_signature_or_none_at_all_means_consent_again(config) -> None:

    from patientdocs.load.content import load_content
    from patientdocs.records.signatures import Signature, insert
    from patientdocs.records.store import Records
    from patientdocs.usecases.reconsent import consent_due

    content = load_content(config.handouts_dir, "dry-needling", "en").data
    records = Records(config.records_path)
    old = records.identity(name="Old Signer", patient_id="P-9", dob=None)
    new = records.identity(name="New Signer", patient_id="P-8", dob=None)
    with records.transaction() as conn:
        insert(records, conn, Signature("2025-11-30T10:00:00+00:00", "0" * 64, old, "P-9", "dry-needling", "en",
                               content.version, "patient: Old Signer (drawn)", None, None, "1" * 64))
        insert(records, conn, Signature("2026-06-30T10:00:00+00:00", "2" * 64, new, "P-8", "dry-needling", "en",
                               content.version, "patient: New Signer (drawn)", None, None, "3" * 64))
    due = consent_due(config, records, [old, new, "someone-else"], content, TODAY, "dry-needling")
    records.close()
    assert due == {old: "signed on 2025-11-30, 12 months ago or more", "someone-else": "no signed consent on record"}

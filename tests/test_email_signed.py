"""`email --signed`: the patient's copy of a consent signed on the tablet, emailed to a real SMTP
server on 127.0.0.1 (tests/smtp_server.py), with the clinic's demo seal.

The copy is the signed form without its seal, locked with the one-time passphrase and sealed
again inside the encryption: it opens with the passphrase shown, still holds the signatures, the
answers and the record of signing, `verify --password` finds it sealed and in the records, and
poppler's pdfsig agrees. Anything but a signed consent from the output folder is refused with one
line, and nothing is sent or recorded as sent.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import io
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pikepdf
import pytest
import yaml
from PIL import Image, ImageDraw
from pypdf import PdfReader
from support import TODAY_EPOCH, cli, copy_project, norm
from test_email_cli import the_error

from patientdocs.load.config import load_config
from patientdocs.load.content import load_content
from patientdocs.usecases.saving import VisitInput
from patientdocs.usecases.signing import Answer, SignerInput, SignRequest, sign_consent

try:
    from tests.smtp_server import HOST, Handler, MailServer, free_port
except ModuleNotFoundError:  # tests/ itself is on sys.path (pytest's default "prepend" import mode)
    from smtp_server import HOST, Handler, MailServer, free_port

TO = "ana@example.org"
PASSPHRASE_LINE = re.compile(r"^Passphrase for the patient: ([a-z]+(?:-[a-z]+){4})$", re.M)


def drawing() -> bytes:
    image = Image.new("RGBA", (600, 200), (255, 255, 255, 0))
    ImageDraw.Draw(image).line([(20, 150), (200, 40), (560, 120)], fill=(10, 20, 90, 255), width=6)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def clinic(folder: Path, port: int) -> Path:
    """The project (with its demo seal) in ``folder``, email.smtp at the test server."""
    config_path = copy_project(folder)
    data = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    data["email"]["smtp"] = {"host": HOST, "port": port, "security": "none", "from": data["email"]["smtp"]["from"],
                             "timeout": 5, "retries": 1}
    config_path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return config_path


def signed_consent(config_path: Path, language: str = "en", patient_id: str | None = "P-1042") -> Path:
    """Ana's consent signed on the tablet, as the page signs it."""
    config = load_config(config_path)
    questions = load_content(config.handouts_dir, "dry-needling", language).data.consent.screening.questions
    answers = {q.id: Answer("no") for q in questions}
    answers["blood-thinners"] = Answer("yes", "apixaban 5 mg twice a day")
    visit = VisitInput(patient="Ana Lima", dob="1990-05-02", patient_id=patient_id, therapist="Sam Patel",
                       date="2026-12-01", language=language)
    return sign_consent(config, SignRequest(visit=visit, dob_confirmed="1990-05-02", answers=answers,
                                            signers=(SignerInput("patient", "Ana Lima", drawing()),
                                                     SignerInput("therapist", "Sam Patel", typed=True)),
                                            device="Front desk tablet 2")).path


def records(folder: Path, channel: str) -> list[dict[str, object]]:
    with sqlite3.connect(folder / "records.db") as conn:
        conn.row_factory = sqlite3.Row
        return [dict(row) for row in conn.execute("SELECT * FROM documents WHERE channel = ? ORDER BY id",
                                                  [channel])]


def the_attachment(handler: Handler) -> tuple[email.message.EmailMessage, str, bytes]:
    (received,) = handler.messages
    message = email.message_from_bytes(received.content, policy=email.policy.default)
    (part,) = message.iter_attachments()
    return message, str(part.get_filename()), part.get_content()


def opened(data: bytes, password: str) -> PdfReader:
    with pikepdf.open(io.BytesIO(data), password=password) as pdf:
        out = io.BytesIO()
        pdf.save(out)
    return PdfReader(io.BytesIO(out.getvalue()))


@pytest.fixture
def handler() -> Handler:
    return Handler()


@pytest.fixture
def folder(tmp_path: Path, servers, handler: Handler, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", TODAY_EPOCH)
    server = servers(MailServer(handler))
    clinic(tmp_path, server.port)
    return tmp_path


def test_the_signed_consent_is_emailed_locked_and_sealed_and_verify_finds_it(folder: Path, handler: Handler) -> None:
    signed = signed_consent(folder / "config.yaml")
    before = signed.read_bytes()
    result = cli("email", "--signed", signed.relative_to(folder), "--to", TO, cwd=folder)
    assert result.returncode == 0, (result.stdout, result.stderr)
    assert result.stdout.startswith(f"Sent 1 document(s) to {TO} (locked with a one-time passphrase)\n")
    passphrase = PASSPHRASE_LINE.findall(result.stdout)[0]

    message, name, data = the_attachment(handler)
    assert name == "document-1.pdf"  # named like every other attachment
    assert "consent" not in message["Subject"].lower()
    with pytest.raises(pikepdf.PasswordError):
        pikepdf.open(io.BytesIO(data))
    reader = opened(data, passphrase)
    text = norm(" ".join(page.extract_text() or "" for page in reader.pages))
    for expected in ("Record of signing", "Ana Lima", "Sam Patel", "signed by hand on the screen", "typed their name",
                     "blood-thinners: yes", "Front desk tablet 2", "Signed copy"):
        assert expected in text, expected
    assert [i for i, page in enumerate(reader.pages) if page.images]  # the drawn signature

    # Recorded as emailed like other attachments: the bytes that left, the recipient, how locked.
    (row,) = records(folder, "emailed")
    assert row["kind"] == "consent" and row["recipient"] == TO and row["encryption"] == "passphrase"
    assert row["sha256"] == hashlib.sha256(data).hexdigest() and row["file_name"] == str(signed.resolve())
    assert str(row["server_response"]).startswith("250") and row["patient_id"] == "P-1042"
    assert signed.read_bytes() == before  # the signed form itself stays as it was

    received = folder / "received.pdf"
    received.write_bytes(data)
    checked = cli("verify", received, "--password", cwd=folder, input=passphrase + "\n")
    assert checked.returncode == 0, (checked.stdout, checked.stderr)
    assert checked.stdout.startswith("SEALED AND UNCHANGED: received.pdf carries the seal of Riverside Physio")
    assert "for patient P-1042" in checked.stdout  # found in the records
    if shutil.which("pdfsig"):
        sig = subprocess.run(["pdfsig", "-upw", passphrase, str(received)], capture_output=True, text=True,
                             check=False).stdout
        assert "Signature Validation: Signature is Valid." in sig and "Total document signed" in sig


def test_the_copy_is_in_the_patients_language(folder: Path, handler: Handler) -> None:
    signed = signed_consent(folder / "config.yaml", "es")
    result = cli("email", "--signed", signed, "--to", TO, cwd=folder)
    assert result.returncode == 0, (result.stdout, result.stderr)
    message, name, data = the_attachment(handler)
    labels = load_content(load_config(folder / "config.yaml").handouts_dir, "dry-needling", "es").data.labels
    assert name == f"{labels['email_attachment']}-1.pdf" == "documento-1.pdf"
    assert message["Subject"] != "Your documents from Riverside Physio & Sports Clinic"
    reader = opened(data, PASSPHRASE_LINE.findall(result.stdout)[0])
    assert "Registro de la firma" in norm(reader.pages[-1].extract_text())


def test_a_dry_run_writes_the_email_and_records_nothing_as_emailed(folder: Path, handler: Handler) -> None:
    signed = signed_consent(folder / "config.yaml")
    result = cli("email", "--signed", signed, "--to", TO, "--dry-run", "--slip", cwd=folder)
    assert result.returncode == 0, (result.stdout, result.stderr)
    assert "Dry run: nothing was sent. The email is in outbox/2026-12-01_ana-lima_consent-signed.eml" in result.stdout
    assert "Slip to print for the patient: out/" in result.stdout
    assert not handler.messages and not records(folder, "emailed")


def _other_files(folder: Path, signed: Path) -> dict[str, Path]:
    made = cli("consent", "--patient", "Ana Lima", "--dob", "1990-05-02", "--patient-id", "P-1042", cwd=folder)
    assert made.returncode == 0, made.stderr
    (unsigned,) = (p for p in (folder / "out").glob("*.pdf") if p != signed)
    outside = folder / "elsewhere" / signed.name
    outside.parent.mkdir()
    shutil.copy2(signed, outside)
    changed = folder / "out" / "changed-consent-signed.pdf"
    changed.write_bytes(signed.read_bytes() + b"% changed after signing\n")
    return {"unsigned": unsigned, "outside": outside, "changed": changed, "missing": folder / "out" / "nope.pdf",
            "folder": folder / "out"}


@pytest.mark.parametrize(("which", "says"), [
    ("unsigned", "is not a consent signed here: the records have no signed consent with exactly these contents"),
    ("changed", "is not a consent signed here"),
    ("outside", "is outside the output folder"),
    ("missing", "file not found"),
    ("folder", "is not a file"),
])
def test_anything_but_a_signed_consent_from_the_output_folder_is_refused(folder: Path, handler: Handler,
                                                                          which: str, says: str) -> None:
    signed = signed_consent(folder / "config.yaml")
    path = _other_files(folder, signed)[which]
    message = the_error(cli("email", "--signed", path, "--to", TO, cwd=folder), 2)
    assert says in message
    assert not handler.messages and not records(folder, "emailed")
    assert not list((folder / "outbox").glob("*.eml")) if (folder / "outbox").exists() else True


@pytest.mark.parametrize(("args", "says"), [
    (("--patient", "Ana Lima"), "--signed sends the signed consent as it is, for the patient the records name; "
                                "leave out --patient"),
    (("--also", "info"), "--signed sends the signed consent as it is, for the patient the records name; "
                         "leave out --also"),
    (("consent",), "give either a DOCUMENT (consent) or --signed, not both"),
])
def test_visit_options_are_refused_with_signed(folder: Path, handler: Handler, args: tuple[str, ...],
                                               says: str) -> None:
    signed = signed_consent(folder / "config.yaml")
    message = the_error(cli("email", *args, "--signed", signed, "--to", TO, cwd=folder), 2)
    assert message == says
    assert not handler.messages and not records(folder, "emailed")


def test_a_failing_mail_server_sends_and_records_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", TODAY_EPOCH)
    port = free_port()  # nobody listens
    clinic(tmp_path, port)
    signed = signed_consent(tmp_path / "config.yaml")
    message = the_error(cli("email", "--signed", signed, "--to", TO, cwd=tmp_path), 1)
    assert f"cannot reach the mail server {HOST}:{port}" in message and "Nothing was sent" in message
    assert not records(tmp_path, "emailed")


def test_without_a_document_or_signed_the_command_says_what_to_give(tmp_path: Path) -> None:
    copy_project(tmp_path)
    assert "or --signed FILE for a consent signed on the tablet" in the_error(
        cli("email", "--to", TO, "--dry-run", cwd=tmp_path), 2)
    assert the_error(cli("email", "info", "--to", TO, "--dry-run", cwd=tmp_path), 2) == (
        "--patient is needed: the patient's full name, as it is to be printed")


def test_a_date_of_birth_password_needs_the_patients_own_date_of_birth(folder: Path, handler: Handler) -> None:
    config_path = folder / "config.yaml"
    data = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    data["email"]["password_policy"] = "dob_ddmmyyyy"
    config_path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    signed = signed_consent(config_path, patient_id=None)  # known to the records by name and date of birth
    assert "a date of birth is needed to lock the emailed document" in the_error(
        cli("email", "--signed", signed, "--to", TO, cwd=folder), 2)
    assert the_error(cli("email", "--signed", signed, "--to", TO, "--dob", "1990-02-05", cwd=folder), 2) == (
        "the date of birth is not that of the patient who signed this consent")
    assert not handler.messages and not records(folder, "emailed")
    sent = cli("email", "--signed", signed, "--to", TO, "--dob", "1990-05-02", cwd=folder)
    assert sent.returncode == 0, (sent.stdout, sent.stderr)
    _, _, attached = the_attachment(handler)
    assert "Record of signing" in norm(opened(attached, "02051990").pages[-1].extract_text())


def test_taking_the_seal_off_gives_back_exactly_the_form_that_was_sealed(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import datetime as dt

    from patientdocs.deliver.seal import load_sealer, unsealed
    from patientdocs.errors import PatientDocsError

    monkeypatch.setenv("SOURCE_DATE_EPOCH", TODAY_EPOCH)
    config = load_config(copy_project(tmp_path))
    made = cli("consent", "--patient", "Ana Lima", "-o", tmp_path / "form.pdf", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    form = (tmp_path / "form.pdf").read_bytes()
    sealer = load_sealer(config, dt.date(2026, 12, 1))
    sealed = sealer.seal(form, when=dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
    assert unsealed(sealed) == form
    for not_sealed in (form, b"%PDF-1.7\n% not a PDF at all\n"):
        with pytest.raises(PatientDocsError):
            unsealed(not_sealed)

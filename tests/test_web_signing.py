"""Signing on a tablet through the page (Flask's test client): the patient's page shows the consent
in their language, a consent without the therapist's signature is refused beside its field, and a
complete one is signed, sealed and recorded with who handed the tablet over."""

from __future__ import annotations

import base64
import io
import re
import sqlite3
from pathlib import Path

import pytest
from conftest import TODAY_EPOCH
from PIL import Image, ImageDraw
from pypdf import PdfReader
from web_helpers import beside, login, make_project, text, token

from patientdocs.load.config import load_config
from patientdocs.load.content import load_content
from patientdocs.web.app import create_app

ANA = {"patient": "Ana Lima", "dob": "1990-05-02", "patient_id": "P-1042", "therapist": "Sam Patel",
       "date": "2026-12-01", "language": "en"}


def drawing_url() -> str:
    image = Image.new("RGBA", (600, 200), (255, 255, 255, 0))
    ImageDraw.Draw(image).line([(20, 150), (200, 40), (560, 120)], fill=(10, 20, 90, 255), width=6)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", TODAY_EPOCH)
    return make_project(tmp_path)


@pytest.fixture
def client(project: Path):
    client = create_app(project).test_client()
    assert login(client).status_code == 302
    return client


def tablet_page(client):
    start = client.get("/sign").get_data(as_text=True)
    return client.post("/sign/tablet", data={**ANA, "csrf_token": token(start)})


def answers(project: Path) -> dict[str, str]:
    content = load_content(load_config(project).handouts_dir, "dry-needling", "en").data
    return {f"answer_{q.id}": "no" for q in content.consent.screening.questions}


def test_the_tablet_page_shows_the_consent_and_every_health_question(client, project: Path) -> None:
    page = tablet_page(client)
    assert page.status_code == 200
    shown = text(page)
    content = load_content(load_config(project).handouts_dir, "dry-needling", "en").data
    assert content.consent.title in shown
    for question in content.consent.screening.questions:
        assert question.text.replace("*", "") in shown
    html = page.get_data(as_text=True)
    assert 'name="patient_drawing"' in html and 'name="therapist_typed"' in html
    assert "1990-05-02" not in re.sub(r'<input type="hidden"[^>]*>', "", html)  # the patient types it


def test_a_wrong_date_of_birth_or_a_missing_countersignature_is_refused_beside_its_field(client,
                                                                                         project: Path) -> None:
    page = tablet_page(client).get_data(as_text=True)
    form = {**ANA, **answers(project), "csrf_token": token(page), "dob_confirmed": "1990-02-05",
            "patient_name": "Ana Lima", "patient_drawing": drawing_url()}
    wrong = client.post("/sign/submit", data=form)
    assert wrong.status_code == 422
    assert "the date of birth the patient confirmed does not match the appointment" in text(wrong)
    form["dob_confirmed"] = "1990-05-02"
    unsigned = client.post("/sign/submit", data=form)
    assert unsigned.status_code == 422
    assert 'id="e-therapist_signature"' in unsigned.get_data(as_text=True)
    assert "the therapist must countersign the consent" in text(unsigned)
    assert not list((project.parent / "out").glob("*.pdf"))


def test_a_complete_consent_is_signed_sealed_and_recorded_with_who_handed_it_over(client, project: Path) -> None:
    page = tablet_page(client).get_data(as_text=True)
    form = {**ANA, **answers(project), "answer_blood-thinners": "yes", "details_blood-thinners": "apixaban",
            "csrf_token": token(page), "dob_confirmed": "1990-05-02", "patient_name": "Ana Lima",
            "patient_drawing": drawing_url(), "therapist_name": "Sam Patel", "therapist_typed": "on"}
    done = client.post("/sign/submit", data=form)
    assert done.status_code == 200, text(done)
    assert "The consent is signed" in text(done) and "The file carries the clinic's seal." in text(done)
    (signed,) = (project.parent / "out").glob("*-signed.pdf")
    last = " ".join(PdfReader(signed).pages[-1].extract_text().split())
    assert "Record of signing" in last and "blood-thinners: yes" in last and "typed their name" in last
    with sqlite3.connect(load_config(project).records_path) as conn:
        assert conn.execute("SELECT recorded_by, signers FROM signatures").fetchall() == [
            ("ana", "patient: Ana Lima (drawn); therapist: Sam Patel (typed)")]
        assert conn.execute("SELECT action FROM actions WHERE action = 'consent-signed'").fetchall()
        logged = " ".join(str(r[0]) for r in conn.execute("SELECT detail FROM actions"))
    assert "Ana Lima" not in logged and "1990-05-02" not in logged


def test_todays_list_shows_who_must_consent_again(client, project: Path) -> None:
    page = tablet_page(client).get_data(as_text=True)
    form = {**ANA, **answers(project), "csrf_token": token(page), "dob_confirmed": "1990-05-02",
            "patient_name": "Ana Lima", "patient_drawing": drawing_url(), "therapist_name": "Sam Patel",
            "therapist_typed": "on"}
    assert client.post("/sign/submit", data=form).status_code == 200
    day = project.parent / "day.csv"
    day.write_text("date,time,patient_name,dob,patient_id,therapist,documents\n"
                   "2026-12-01,09:00,Ana Lima,1990-05-02,P-1042,Sam Patel,packet\n"
                   "2026-12-01,10:00,Ben Okafor,1975-07-14,P-2001,Sam Patel,packet\n", encoding="utf-8")
    today = client.get("/today").get_data(as_text=True)
    with day.open("rb") as handle:
        shown = client.post("/today/upload", data={"csrf_token": token(today), "appointments": (handle, "day.csv")},
                            content_type="multipart/form-data", follow_redirects=True)
    rows = {cells[3]: cells for cells in (re.findall(r"<td>(.*?)</td>", row) for row in
                                           re.findall(r"<tr>(.*?)</tr>", shown.get_data(as_text=True))) if cells}
    assert rows["Ana Lima"][-1] == ""
    assert rows["Ben Okafor"][-1] == "no signed consent on record"


# --- emailing the patient their copy ---------------------------------------------------------------------------


def signed_page(client, project: Path):
    """Ana's consent signed through the page: the page that says so, with the form to email it."""
    page = tablet_page(client).get_data(as_text=True)
    form = {**ANA, **answers(project), "answer_blood-thinners": "yes", "details_blood-thinners": "apixaban",
            "csrf_token": token(page), "dob_confirmed": "1990-05-02", "patient_name": "Ana Lima",
            "patient_drawing": drawing_url(), "therapist_name": "Sam Patel", "therapist_typed": "on"}
    done = client.post("/sign/submit", data=form)
    assert done.status_code == 200, text(done)
    return done


def emailed_rows(project: Path) -> list[tuple]:
    with sqlite3.connect(load_config(project).records_path) as conn:
        return conn.execute("SELECT kind, recipient, username, encryption, sha256 FROM documents "
                            "WHERE channel = 'emailed'").fetchall()


def signed_with_a_mail_server(tmp_path: Path, servers, monkeypatch: pytest.MonkeyPatch):
    """A project whose mail goes to a real SMTP server here, logged in, a consent just signed:
    (the server's handler, the project, the client, the signed page)."""
    from smtp_server import Handler, MailServer

    monkeypatch.setenv("SOURCE_DATE_EPOCH", TODAY_EPOCH)
    handler = Handler()
    project = make_project(tmp_path, smtp_port=servers(MailServer(handler)).port)
    client = create_app(project).test_client()
    assert login(client).status_code == 302
    return handler, project, client, signed_page(client, project)


def test_after_signing_the_patient_gets_their_copy_by_email(tmp_path: Path, servers,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    import email
    import email.policy
    import hashlib

    import pikepdf

    handler, project, client, done = signed_with_a_mail_server(tmp_path, servers, monkeypatch)
    html = done.get_data(as_text=True)
    assert "Email the patient their copy" in text(done) and 'action="/sign/email"' in html
    # The form names no file: the session knows which consent was just signed.
    form = re.search(r'<form method="post" action="/sign/email".*?</form>', html, flags=re.S).group(0)
    assert "consent-signed" not in form and "Ana" not in form

    bad = client.post("/sign/email", data={"to": "ana@", "csrf_token": token(html)})
    assert bad.status_code == 422 and "ana@" in beside(bad, "to")
    assert not handler.messages and not emailed_rows(project)

    sent = client.post("/sign/email", data={"to": "ana@example.org", "csrf_token": token(html)})
    assert sent.status_code == 200, text(sent)
    assert "Sent the signed consent to ana@example.org, locked." in text(sent)
    passphrase = re.search(r"Passphrase for the patient \(shown once\): ([a-z]+(?:-[a-z]+){4})", text(sent)).group(1)
    (received,) = handler.messages
    message = email.message_from_bytes(received.content, policy=email.policy.default)
    (part,) = message.iter_attachments()
    assert part.get_filename() == "document-1.pdf"
    data = part.get_content()
    with pikepdf.open(io.BytesIO(data), password=passphrase) as pdf:
        out = io.BytesIO()
        pdf.save(out)
    last = " ".join(PdfReader(out).pages[-1].extract_text().split())
    assert "Record of signing" in last and "Ana Lima" in last and "blood-thinners: yes" in last
    assert emailed_rows(project) == [("consent", "ana@example.org", "ana", "passphrase",
                                      hashlib.sha256(data).hexdigest())]
    checked = client.post("/verify", data={"csrf_token": token(html), "password": passphrase,
                                           "pdf": (io.BytesIO(data), "document-1.pdf")},
                          content_type="multipart/form-data")
    assert "SEALED AND UNCHANGED" in text(checked)
    with sqlite3.connect(load_config(project).records_path) as conn:
        logged = " ".join(str(r) for r in conn.execute("SELECT action, detail FROM actions"))
    assert "email-sent" in logged and passphrase not in logged and "Ana Lima" not in logged


def test_a_failed_email_of_the_signed_copy_says_why_and_records_nothing(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from smtp_server import free_port

    monkeypatch.setenv("SOURCE_DATE_EPOCH", TODAY_EPOCH)
    project = make_project(tmp_path, smtp_port=free_port())  # nothing listens there
    client = create_app(project).test_client()
    assert login(client).status_code == 302
    html = signed_page(client, project).get_data(as_text=True)
    failed = client.post("/sign/email", data={"to": "ana@example.org", "csrf_token": token(html)})
    assert failed.status_code == 502
    assert "Not sent:" in text(failed) and "Nothing was sent" in text(failed)
    assert "Email the patient their copy" in text(failed)  # to try again
    assert not emailed_rows(project)


def test_the_signed_copy_cannot_be_emailed_without_a_consent_signed_in_this_session(client, project: Path) -> None:
    page = client.get("/sign").get_data(as_text=True)
    refused = client.post("/sign/email", data={"to": "ana@example.org", "csrf_token": token(page)})
    assert refused.status_code == 422
    assert "There is no signed consent to email in this session" in text(refused)
    assert not emailed_rows(project) if load_config(project).records_path.exists() else True


def test_a_signed_consent_changed_after_signing_is_not_emailed_from_the_page(tmp_path: Path, servers,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    handler, project, client, done = signed_with_a_mail_server(tmp_path, servers, monkeypatch)
    html = done.get_data(as_text=True)
    (signed,) = (project.parent / "out").glob("*-signed.pdf")
    signed.write_bytes(signed.read_bytes() + b"% changed\n")
    refused = client.post("/sign/email", data={"to": "ana@example.org", "csrf_token": token(html)})
    assert refused.status_code == 422
    assert f"{signed.name}: has changed since it was signed, so it is not sent" in text(refused)
    assert not handler.messages and not emailed_rows(project)

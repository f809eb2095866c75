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
from web_helpers import login, make_project, text, token

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

"""The front desk's page through Flask's test client: every route, over the same use cases as the
CLI, and its security rules (login, idle sessions, a second user, CSRF, headers, downloads only
from the output folder, no patient data in addresses or in the log of actions)."""

from __future__ import annotations

import hashlib
import io
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import GENERATE, TODAY_EPOCH, cli, page_texts
from pypdf import PdfReader
from web_helpers import DAY_LIST, beside, login, make_project, packet_pages, text, token

from patientdocs.load.config import load_config
from patientdocs.usecases.day import plan_day
from patientdocs.web.app import create_app

ANA = {"patient": "Ana Lima", "dob": "1990-05-02", "patient_id": "P-1042", "therapist": "Sam Patel",
       "date": "2026-12-01", "language": "en"}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", TODAY_EPOCH)
    return make_project(tmp_path)


@pytest.fixture
def app(project: Path):
    return create_app(project)


@pytest.fixture
def client(app):
    client = app.test_client()
    assert login(client).status_code == 302
    return client


def form_token(client, path: str = "/today") -> str:
    return token(client.get(path).get_data(as_text=True))


def actions(project: Path) -> list[sqlite3.Row]:
    conn = sqlite3.connect(load_config(project).records_path)
    conn.row_factory = sqlite3.Row
    return conn.execute("SELECT * FROM actions ORDER BY at").fetchall()


def documents(project: Path) -> list[sqlite3.Row]:
    conn = sqlite3.connect(load_config(project).records_path)
    conn.row_factory = sqlite3.Row
    return conn.execute("SELECT * FROM documents ORDER BY id").fetchall()


def upload_day(client, data: bytes | None = None, name: str = "appointments-2026-12-01.csv"):
    body = data if data is not None else DAY_LIST.read_bytes()
    return client.post("/today/upload",
                       data={"csrf_token": form_token(client), "appointments": (io.BytesIO(body), name)},
                       content_type="multipart/form-data")


def print_run(client) -> str:
    """Make the print run of the uploaded list; returns the finished progress page's text."""
    started = client.post("/today/run", data={"csrf_token": form_token(client)})
    assert started.status_code == 302 and "/today/run/" in started.location
    for _ in range(240):
        state = client.get(started.location + "/progress.json").get_json()
        if state["finished"]:
            break
        time.sleep(0.25)
    assert state["finished"] and state["done"] == state["total"]
    return client.get(started.location)


def download(client, path: str, how: str = "download"):
    return client.post("/file", data={"csrf_token": form_token(client), "path": path, "how": how})


def file_paths(page) -> list[str]:
    return re.findall(r'name="path" value="([^"]+)"', page.get_data(as_text=True))


# --- logging in ----------------------------------------------------------------------------------------------


def test_every_page_needs_a_login(app) -> None:
    client = app.test_client()
    for path in ("/", "/today", "/patient", "/after-session", "/sign", "/history", "/verify", "/status"):
        response = client.get(path)
        assert (response.status_code == 302 and response.location.endswith("/login")) or path == "/"
    page = client.get("/login")
    assert "Log in" in text(page) and 'type="password"' in page.get_data(as_text=True)


def test_wrong_password_is_refused_then_slowed_down(app, project: Path) -> None:
    client = app.test_client()
    for _ in range(3):
        response = login(client, "ana", "not-the-password")
        assert response.status_code == 401
        assert "That name and password do not match an account." in text(response)
    slowed = login(client, "ana", "ana-front-desk-2026")  # even the right one waits now
    assert slowed.status_code == 429 and re.search(r"Too many wrong passwords\. Wait \d+ seconds", text(slowed))
    assert login(app.test_client(), "ben").status_code == 302  # another person at the same desk is not held up
    for number in range(7):
        assert login(client, f"guess{number}", "whatever-it-is").status_code == 401
    # Ten wrong passwords from one computer, whatever the names: it is slowed down too.
    assert login(app.test_client(), "ben").status_code == 429
    assert [row["action"] for row in actions(project)] == ["login-failed"] * 3 + ["login"] + ["login-failed"] * 7


def test_login_and_logout_end_the_session_on_the_server(app, project: Path) -> None:
    client = app.test_client()
    response = login(client)
    assert response.status_code == 302 and response.location.endswith("/today")
    assert client.get("/today").status_code == 200
    copied = client.get_cookie("patientdocs").value
    out = client.post("/logout", data={"csrf_token": form_token(client)})
    assert out.location.endswith("/login?why=out") and "You are logged out." in text(client.get(out.location))
    other = app.test_client()
    other.set_cookie("patientdocs", copied)
    assert other.get("/today").status_code == 302  # the copied cookie is worthless after logout
    assert [row["action"] for row in actions(project)] == ["login", "logout"]
    assert {row["username"] for row in actions(project)} == {"ana"}


def test_idle_session_ends(project: Path) -> None:
    app = create_app(project, idle_seconds=0.3)
    client = app.test_client()
    login(client)
    assert client.get("/today").status_code == 200
    time.sleep(0.5)
    response = client.get("/patient")
    assert response.status_code == 302 and response.location.endswith("/login?why=idle")
    assert "You were logged out after 15 minutes without use." in text(client.get(response.location))
    assert client.get("/today").status_code == 302
    assert [row["action"] for row in actions(project)][-1] == "idle-timeout"


def test_a_second_user_has_a_session_of_their_own(app, project: Path) -> None:
    ana, ben = app.test_client(), app.test_client()
    login(ana)
    login(ben, "ben")
    upload_day(ana)
    assert "Zoë O'Brien" in text(ana.get("/today"))
    assert "Zoë O'Brien" not in text(ben.get("/today"))  # ana's upload is hers
    started = ana.post("/today/run", data={"csrf_token": form_token(ana)})
    assert ben.get(started.location).status_code == 404  # and so is her print run
    assert ben.get(started.location + "/progress.json").status_code == 404
    ana.post("/logout", data={"csrf_token": form_token(ana)})
    assert ben.get("/today").status_code == 200  # her logout is not his
    for _ in range(240):  # let the print run end before the folder goes
        if app.extensions["patientdocs.jobs"].get(started.location.rsplit("/", 1)[1]).finished:
            break
        time.sleep(0.25)


# --- CSRF and headers ----------------------------------------------------------------------------------------


def test_forms_without_the_token_or_with_a_wrong_one_are_refused(app, client) -> None:
    anonymous = app.test_client()
    anonymous.get("/login")
    assert anonymous.post("/login", data={"username": "ana", "password": "ana-front-desk-2026"}).status_code == 400
    for data in ({}, {"csrf_token": "forged"}):
        response = client.post("/patient", data={**ANA, "kind": "info", **data})
        assert response.status_code == 400 and "This form has expired" in text(response)
        assert client.post("/logout", data=data).status_code == 400
    other = app.test_client()
    login(other, "ben")
    theirs = form_token(other)  # a real token, of another session
    assert client.post("/patient", data={**ANA, "kind": "info", "csrf_token": theirs}).status_code == 400
    assert not load_config(app.config["PATIENTDOCS_CONFIG"]).output_dir.exists()


def test_strict_headers_and_cookies(project: Path) -> None:
    for tls in (False, True):
        client = create_app(project, tls=tls).test_client()
        page = client.get("/login")
        csp = page.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert page.headers["X-Frame-Options"] == "DENY"
        assert page.headers["Cache-Control"] == "no-store"
        assert page.headers["Referrer-Policy"] == "no-referrer"
        assert page.headers["X-Content-Type-Options"] == "nosniff"
        body = page.get_data(as_text=True)
        assert "<script>" not in body and " style=" not in body and "<style" not in body  # no inline code
        login(client)
        cookie = next(value for name, value in client.get("/today").request.headers.items() if name == "Cookie")
        assert cookie.startswith("patientdocs=")
        set_cookie = login(create_app(project, tls=tls).test_client()).headers["Set-Cookie"]
        assert "HttpOnly" in set_cookie and "SameSite=Strict" in set_cookie
        assert ("Secure" in set_cookie) is tls


def test_pages_send_patient_data_only_in_post_bodies(client) -> None:
    """Every form that carries patient data posts it: nothing lands in an address or a server log."""
    for path in ("/today", "/patient", "/after-session", "/sign", "/history", "/verify", "/status"):
        body = client.get(path).get_data(as_text=True)
        forms = re.findall(r"<form\b[^>]*>", body)
        assert forms and all('method="post"' in form for form in forms), path


def test_scripts_and_styles_are_served_here(client) -> None:
    body = client.get("/today").get_data(as_text=True)
    sources = re.findall(r'(?:src|href)="([^"]+)"', body)
    assert sources and all(s.startswith(("/", "#")) and not s.startswith("//") for s in sources), "all from here"
    assert client.get("/static/app.js").status_code == 200
    assert "--brand: #" in client.get("/brand.css").get_data(as_text=True)


# --- today ---------------------------------------------------------------------------------------------------


def test_today_previews_the_list_with_the_batch_messages_then_prints_it(client, project: Path) -> None:
    bad = DAY_LIST.read_bytes() + b"2026-12-01,15:00,Mia Roth,1990-02-30,DEMO-9,Sam Patel,en,,\n"
    assert upload_day(client, bad).status_code == 302
    page = text(client.get("/today"))
    plan = plan_day(load_config(project), next((load_config(project).output_dir / ".uploads" / "ana").glob("*/*")))
    assert "appointments-2026-12-01.csv: 5 to make, 1 skipped" in page
    for row in plan.rows:
        assert row.patient in page
    assert plan.problems[0].reason in page and "Line 7: Mia Roth:" in page  # the same message as batch
    assert "/work/" not in page and ".uploads" not in page  # the private folder is not shown
    done = print_run(client)
    assert "Done: 5 made, 1 not made." in text(done)
    paths = file_paths(done)
    print_all = next(p for p in paths if p.endswith("print-all.pdf"))
    pdf = download(client, print_all)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert "attachment" in pdf.headers["Content-Disposition"]
    made = [p for p in dict.fromkeys(paths) if p.endswith(".pdf") and not p.endswith("print-all.pdf")]
    assert len(made) == 5
    pages = len(PdfReader(io.BytesIO(pdf.data)).pages)
    assert pages > sum(len(PdfReader(io.BytesIO(download(client, p).data)).pages) for p in made)  # + the cover
    assert "Mia Roth" in " ".join(page_texts(pdf.data)[:2])  # the cover sheet lists the skipped row
    assert {row["username"] for row in documents(project)} == {"ana"}
    again = print_run(client)  # a rerun makes only what changed: nothing
    assert "Done: 5 made (5 kept from an earlier run), 1 not made." in text(again)


def test_today_refuses_a_list_it_cannot_use(client) -> None:
    response = upload_day(client, b"name;when\nAna;today\n", "export.csv")
    assert response.status_code == 302
    page = text(client.get("/today"))
    assert "export.csv" in page and "columns" in page and "Make the print run" not in page
    assert "is not a .csv or .txt or .tsv file" in text(upload_day(client, b"x", "list.xlsx"))
    too_big = upload_day(client, b"a" * (5 * 1024 * 1024 + 1))
    assert too_big.status_code == 400 and "larger than 5 MB" in text(too_big)
    assert client.post("/today/run", data={"csrf_token": form_token(client)}).status_code == 400


def test_only_the_latest_day_list_is_kept_and_none_older_than_a_day(client, project: Path) -> None:
    import os

    uploads = load_config(project).output_dir / ".uploads"
    upload_day(client)
    first = list(uploads.glob("ana/*"))
    assert len(first) == 1 and oct(first[0].stat().st_mode & 0o777) == "0o700"
    assert oct(next(first[0].iterdir()).stat().st_mode & 0o777) == "0o600"
    upload_day(client)
    second = list(uploads.glob("ana/*"))
    assert len(second) == 1 and second != first
    stale = uploads / "ben" / "an-old-token-of-ben"
    stale.mkdir(parents=True)
    os.utime(stale, (time.time() - 2 * 86400,) * 2)
    upload_day(client)
    assert not stale.exists() and len(list(uploads.glob("ana/*"))) == 1


def test_uploads_over_the_limit_are_refused(client) -> None:
    response = client.post("/verify", data={"csrf_token": form_token(client, "/verify"),
                                            "pdf": (io.BytesIO(b"%PDF-" + b"0" * (26 * 1024 * 1024)), "big.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 413 and "File too large" in text(response)


# --- downloads -----------------------------------------------------------------------------------------------


def test_downloads_only_of_documents_inside_the_output_folder(client, project: Path) -> None:
    made = client.post("/patient", data={**ANA, "kind": "info", "action": "make", "csrf_token": form_token(client)})
    inside = file_paths(made)[0]
    assert inside == "2026-12-01_ana-lima_p-1042_info.pdf"
    opened = download(client, inside, "open")
    assert opened.status_code == 200 and opened.headers["Content-Disposition"].startswith("inline")
    upload_day(client)
    (project.parent / "secret.pdf").write_bytes(b"%PDF-1.7 not yours")
    for outside in ("../config.yaml", "../secret.pdf", str(project.parent / "secret.pdf"), "/etc/passwd",
                    "../../../../etc/passwd", "", ".uploads", "records.db", "%2e%2e/secret.pdf"):
        assert download(client, outside).status_code == 404, outside
    upload = next((load_config(project).output_dir / ".uploads").glob("ana/*/*"))
    assert download(client, str(upload.relative_to(load_config(project).output_dir))).status_code == 404
    (load_config(project).output_dir / "link.pdf").symlink_to(project.parent / "secret.pdf")
    assert download(client, "link.pdf").status_code == 404  # a link out of the folder is outside too


# --- one patient ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("field", "value", "says"), [
    ("patient", " ", "patient name is empty"),
    ("dob", "1990-02-30", "date of birth '1990-02-30' is not a real date"),
    ("date", "12/01/2026", "is not in an accepted date format"),
    ("patient_id", "P\t1", "patient id contains characters"),
])
def test_one_patient_shows_the_clis_error_beside_its_field(client, project: Path, field: str, value: str,
                                                           says: str) -> None:
    response = client.post("/patient", data={**ANA, field: value, "kind": "packet", "action": "make",
                                             "csrf_token": form_token(client, "/patient")})
    assert response.status_code == 422 and says in beside(response, field)
    options = (f"--{k.replace('_', '-')}={v}" for k, v in {**ANA, field: value}.items() if k != "language")
    command = cli("packet", "--config", project, *options, cwd=project.parent)
    assert command.returncode == 2 and says in command.stderr  # the same check as the command line's
    assert not documents(project)


def test_one_patient_makes_the_packet_then_downloads_it(client, project: Path) -> None:
    response = client.post("/patient", data={**ANA, "kind": "packet", "action": "make",
                                             "csrf_token": form_token(client, "/patient")})
    page = text(response)
    pages = packet_pages(project, ANA)
    assert f"Saved 2026-12-01_ana-lima_p-1042_packet.pdf ({pages} pages), content version 2026.11." in page
    pdf = download(client, file_paths(response)[0])
    assert len(PdfReader(io.BytesIO(pdf.data)).pages) == pages
    rows = documents(project)
    assert [(r["kind"], r["username"], r["sha256"]) for r in rows] == [
        ("info", "ana", hashlib.sha256(pdf.data).hexdigest()), ("consent", "ana", hashlib.sha256(pdf.data).hexdigest())]
    logged = [(row["username"], row["action"], row["detail"]) for row in actions(project)]
    assert ("ana", "document-made", f"info+consent, patient id P-1042, sha256 {rows[0]['sha256'][:16]}") in logged
    assert not any("Ana Lima" in str(row["detail"]) or "1990" in str(row["detail"]) for row in actions(project))


def test_one_patient_preview_saves_and_records_nothing(client, project: Path) -> None:
    response = client.post("/patient", data={**ANA, "kind": "consent", "action": "preview",
                                             "csrf_token": form_token(client, "/patient")})
    assert response.mimetype == "application/pdf"
    assert "Ana Lima" in " ".join(page_texts(response.data))
    assert not documents(project) and not list(load_config(project).output_dir.glob("*.pdf"))


# --- history and verify --------------------------------------------------------------------------------------


def test_history_finds_records_by_patient_id_or_date(client) -> None:
    client.post("/patient", data={**ANA, "kind": "info", "action": "make", "csrf_token": form_token(client)})
    found = client.post("/history", data={"patient_id": "P-1042", "csrf_token": form_token(client, "/history")})
    page = text(found)
    assert "1 record" in page and "Ana Lima" in page and "info" in page and "2026.11" in page and "ana" in page
    by_date = text(client.post("/history", data={"date": "2026-12-01", "csrf_token": form_token(client)}))
    assert "1 record" in by_date
    assert "No records found." in text(client.post("/history", data={"date": "2026-12-02",
                                                                    "csrf_token": form_token(client)}))
    bad = client.post("/history", data={"date": "1 Dec", "csrf_token": form_token(client)})
    assert bad.status_code == 422 and "'1 Dec' is not in an accepted date format" in beside(bad, "date")
    assert "Type a patient id or a visit date" in beside(
        client.post("/history", data={"csrf_token": form_token(client)}), "patient_id")


def verify(client, data: bytes, name: str = "ana-info.pdf"):
    return client.post("/verify", data={"csrf_token": form_token(client, "/verify"),
                                        "pdf": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def test_verify_says_unchanged_changed_or_not_recognised(client, project: Path) -> None:
    made = client.post("/patient", data={**ANA, "kind": "info", "action": "make", "csrf_token": form_token(client)})
    pdf = download(client, file_paths(made)[0]).data
    unchanged = text(verify(client, pdf))
    assert "UNCHANGED" in unchanged and "content version 2026.11" in unchanged and "patient P-1042" in unchanged
    changed = text(verify(client, pdf.replace(b"Ana Lima", b"Ana Lime", 1) + b"\n"))
    assert "CHANGED" in changed and "UNCHANGED" not in changed and "2026.11" in changed
    assert "NOT RECOGNISED" in text(verify(client, b"%PDF-1.4\n%%EOF\n", "other.pdf"))
    not_pdf = verify(client, b"hello", "note.pdf")
    assert not_pdf.status_code == 422 and "note.pdf: is not a PDF file" in text(not_pdf)
    assert not list((load_config(project).output_dir / ".uploads" / "ana").glob("*/*"))  # nothing kept


# --- status --------------------------------------------------------------------------------------------------


def test_status_shows_versions_review_dates_and_validate(client, project: Path) -> None:
    page = text(client.get("/status"))
    assert "2026.11" in page and "2027-11-20" in page and "Current (354 days left)" in page
    content = project.parent / "handouts" / "dry-needling" / "en.yaml"
    content.write_text(content.read_text(encoding="utf-8").replace("review_by: 2027-11-20", "review_by: 2026-12-31"),
                       encoding="utf-8")
    assert "Due for review in 30 days" in text(client.get("/status"))
    checks = text(client.post("/status/validate", data={"csrf_token": form_token(client, "/status")}))
    assert "OK: dry-needling/en consent" in checks and "tagged: yes" in checks and "All checks passed." in checks


# --- the command line ----------------------------------------------------------------------------------------


def test_users_add_stores_an_argon2_hash_and_serve_needs_tls_beyond_this_computer(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    added = cli("--config", project, "users", "add", "cara", "--password-stdin", input="cara-physio-2026\n",
                cwd=tmp_path)
    assert added.returncode == 0 and added.stdout.strip() == "Added the account cara"
    stored = sqlite3.connect(load_config(project).records_path).execute(
        "SELECT password_hash FROM users WHERE username = 'cara'").fetchone()[0]
    assert stored.startswith("$argon2id$") and "cara-physio-2026" not in stored
    short = cli("--config", project, "users", "add", "dan", "--password-stdin", input="short\n", cwd=tmp_path)
    assert short.returncode == 2 and "the password must be at least 10 characters long" in short.stderr
    open_session = create_app(project).test_client()
    login(open_session, "ben")
    assert open_session.get("/today").status_code == 200
    listed = cli("users", "list", "--config", project, cwd=tmp_path)
    assert listed.stdout.split() == ["ana", "ben", "cara"]
    removed = cli("users", "remove", "ben", "--config", project, cwd=tmp_path)
    assert removed.returncode == 0 and removed.stdout.strip() == "Removed the account ben"
    assert login(create_app(project).test_client(), "ben").status_code == 401
    assert open_session.get("/today").status_code == 302  # his open session ended with the account
    again = cli("users", "remove", "ben", "--config", project, cwd=tmp_path)
    assert again.returncode == 2 and "there is no account 'ben' (see 'users list')" in again.stderr
    lan = cli("serve", "--config", project, "--host", "0.0.0.0", cwd=tmp_path)
    assert lan.returncode == 2 and "--host 0.0.0.0 serves other computers: that needs TLS" in lan.stderr
    empty = tmp_path / "empty"
    bare = cli("serve", "--config", make_project_without_accounts(empty), cwd=empty)
    assert bare.returncode == 2 and "no staff accounts yet" in bare.stderr


def make_project_without_accounts(folder: Path) -> Path:
    from conftest import copy_project

    return copy_project(folder)


def test_other_commands_never_import_the_web_framework(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-X", "importtime", str(GENERATE), "list"], capture_output=True,
                            text=True, cwd=tmp_path, check=False)
    assert result.returncode == 0
    imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines() if "|" in line}
    assert not {"flask", "flask_wtf", "argon2", "werkzeug", "patientdocs.web"} & imported


# --- after a session: email ----------------------------------------------------------------------------------

SESSION = {**ANA, "areas": "neck (left)\nupper trapezius (both)", "chest_region": "yes", "estim": "on",
           "note": "Heat for 10 minutes tonight", "next_visit": "2026-12-08", "to": "ana@example.org"}


def test_after_a_session_previews_then_emails_the_aftercare_sheet_locked(tmp_path: Path, servers,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import email
    import email.policy

    import pikepdf
    from smtp_server import Handler, MailServer

    monkeypatch.setenv("SOURCE_DATE_EPOCH", TODAY_EPOCH)
    handler = Handler()
    server = servers(MailServer(handler))
    project = make_project(tmp_path, smtp_port=server.port)
    client = create_app(project).test_client()
    login(client, "ben")
    preview = client.post("/after-session", data={**SESSION, "action": "preview",
                                                  "csrf_token": form_token(client, "/after-session")})
    assert preview.mimetype == "application/pdf"
    sheet = " ".join(page_texts(preview.data))
    assert "neck (left)" in sheet and "Heat for 10 minutes tonight" in sheet and not handler.messages
    sent = client.post("/after-session", data={**SESSION, "also": "consent", "action": "email",
                                               "csrf_token": form_token(client, "/after-session")})
    page = text(sent)
    assert "Sent 2 documents to ana@example.org, locked." in page
    passphrase = re.search(r"Passphrase for the patient \(shown once\): ([a-z]+(?:-[a-z]+){4})", page).group(1)
    assert len(handler.messages) == 1 and handler.messages[0].rcpt_tos == ["ana@example.org"]
    message = email.message_from_bytes(handler.messages[0].content, policy=email.policy.default)
    attachments = [part.get_content() for part in message.iter_attachments()]
    assert len(attachments) == 2
    with pytest.raises(pikepdf.PasswordError):
        pikepdf.open(io.BytesIO(attachments[0]))
    with pikepdf.open(io.BytesIO(attachments[0]), password=passphrase) as opened:
        assert len(opened.pages) >= 1
    emailed = [(r["kind"], r["channel"], r["recipient"], r["username"], r["encryption"]) for r in documents(project)
               if r["channel"] == "emailed"]
    assert emailed == [("aftercare", "emailed", "ana@example.org", "ben", "passphrase"),
                       ("consent", "emailed", "ana@example.org", "ben", "passphrase")]
    assert passphrase not in str([tuple(r) for r in actions(project)])
    checked = client.post("/verify", data={"csrf_token": form_token(client, "/verify"), "password": passphrase,
                                           "pdf": (io.BytesIO(attachments[0]), "document-1.pdf")},
                          content_type="multipart/form-data")
    assert "SEALED AND UNCHANGED" in text(checked)
    assert passphrase not in str([tuple(r) for r in actions(project)])


def test_a_failed_email_says_why_and_nothing_is_recorded_as_sent(tmp_path: Path, monkeypatch) -> None:
    from smtp_server import free_port

    monkeypatch.setenv("SOURCE_DATE_EPOCH", TODAY_EPOCH)
    project = make_project(tmp_path, smtp_port=free_port())  # nothing listens there
    client = create_app(project).test_client()
    login(client, "ben")
    failed = client.post("/after-session", data={**SESSION, "action": "email",
                                                 "csrf_token": form_token(client, "/after-session")})
    assert failed.status_code == 502
    page = text(failed)
    assert "Not sent:" in page and "Nothing was sent; the PDFs are saved:" in page
    assert not [r for r in documents(project) if r["channel"] == "emailed"]
    assert [row["action"] for row in actions(project)][-1] == "email-failed"
    bad = client.post("/after-session", data={**SESSION, "to": "ana@", "action": "email",
                                              "csrf_token": form_token(client, "/after-session")})
    assert bad.status_code == 422 and "ana@" in beside(bad, "to")
    no_area = client.post("/after-session", data={**SESSION, "next_visit": "2026-11-30", "action": "email",
                                                  "csrf_token": form_token(client, "/after-session")})
    assert "is not after this visit" in beside(no_area, "next_visit")


def test_after_a_session_picks_the_patient_from_todays_list(client) -> None:
    upload_day(client)
    form = client.get("/after-session")
    assert "Pick the patient from today's list" in text(form)
    picked = client.post("/after-session/pick", data={"line": "4", "csrf_token": token(form.get_data(as_text=True))})
    body = picked.get_data(as_text=True)
    assert 'name="patient" type="text" value="Ana Lima"' in body and 'value="P-1042"' in body


# --- serving other computers: TLS ----------------------------------------------------------------------------


def test_served_over_tls_with_a_self_signed_certificate(project: Path) -> None:
    import http.cookiejar
    import ssl
    import threading
    import urllib.request

    from patientdocs.web.serve import make_server

    with pytest.raises(Exception, match="needs TLS"):
        make_server(project, host="0.0.0.0", port=0)
    server = make_server(project, host="127.0.0.1", port=0, self_signed=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        cert = project.parent / "tls" / "web-cert.pem"
        assert server.url.startswith("https://127.0.0.1:")
        assert oct((project.parent / "tls" / "web-key.pem").stat().st_mode & 0o777) == "0o600"
        context = ssl.create_default_context(cafile=str(cert))
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context),
                                             urllib.request.HTTPCookieProcessor(jar))
        with opener.open(server.url + "login") as response:
            assert response.status == 200 and "Strict-Transport-Security" in response.headers
            page = response.read().decode()
        with opener.open(urllib.request.Request(server.url + "login", data=urllib.parse.urlencode(
                {"username": "ana", "password": "ana-front-desk-2026", "csrf_token": token(page)}).encode())) as done:
            assert done.url.endswith("/today") and "Today's appointments" in done.read().decode()
        assert all(cookie.secure for cookie in jar)
        with pytest.raises(OSError):  # plain HTTP is not answered
            urllib.request.urlopen(server.url.replace("https", "http") + "login", timeout=5)
    finally:
        server.shutdown()
        server.server_close()
    other = project.parent / "other.pem"
    other.write_text("not a certificate")
    with pytest.raises(Exception, match="cannot use the certificate"):
        make_server(project, cert=other, key=other)


def test_expired_content_is_refused_unless_allowed_as_on_the_command_line(client, project: Path) -> None:
    content = project.parent / "handouts" / "dry-needling" / "en.yaml"
    content.write_text(content.read_text(encoding="utf-8").replace("review_by: 2027-11-20", "review_by: 2026-11-30"),
                       encoding="utf-8")
    assert "EXPIRED 1 day ago" in text(client.get("/status"))
    refused = client.post("/patient", data={**ANA, "kind": "info", "action": "make",
                                            "csrf_token": form_token(client, "/patient")})
    assert refused.status_code == 422
    assert "content version 2026.11 was due for review by 2026-11-30" in text(refused) and not documents(project)
    allowed = client.post("/patient", data={**ANA, "kind": "info", "action": "make", "allow_expired": "on",
                                            "csrf_token": form_token(client, "/patient")})
    assert "Saved 2026-12-01_ana-lima_p-1042_info.pdf" in text(allowed)


def test_large_print_from_the_form(client) -> None:
    normal = client.post("/patient", data={**ANA, "kind": "aftercare", "action": "preview",
                                           "csrf_token": form_token(client, "/patient")})
    large = client.post("/patient", data={**ANA, "kind": "aftercare", "action": "preview", "large_print": "yes",
                                          "csrf_token": form_token(client, "/patient")})
    assert len(PdfReader(io.BytesIO(large.data)).pages) > len(PdfReader(io.BytesIO(normal.data)).pages)


def test_a_page_that_does_not_exist_says_so_when_logged_in(client) -> None:
    """An address no page answers (a mistyped bookmark) is a plain "not found", never a crash."""
    response = client.get("/no-such-page")
    assert response.status_code == 404
    text = response.get_data(as_text=True)
    assert "There is nothing here." in text and "Today" in text  # the page, with its menu

"""`generate.py email`, end to end: the CLI sending to a real SMTP server on 127.0.0.1 (in this process;
in a subprocess for signals and Python's start-up settings).

The servers come from tests/smtp_server.py (aiosmtpd; STARTTLS and implicit TLS with a trustme
authority; AUTH). Every run uses a private config.yaml in tmp_path: content and templates are the
repository's, output, records and outbox are in tmp_path, email.smtp points at the test server and
the SMTP password is only in the command's environment.
"""

from __future__ import annotations

import base64
import contextlib
import email
import email.policy
import hashlib
import io
import os
import re
import signal
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pikepdf
import pytest
import trustme
import yaml
from pypdf import PdfReader
from support import GENERATE, REPO, TODAY, TODAY_EPOCH, cli, cli_env, norm

from patientdocs.errors import PatientDocsError

try:
    from tests.smtp_server import HOST, Authenticator, Handler, MailServer, RawServer, free_port
except ModuleNotFoundError:  # tests/ itself is on sys.path (pytest's default "prepend" import mode)
    from smtp_server import HOST, Authenticator, Handler, MailServer, RawServer, free_port

SETTINGS = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
CLINIC_NAME = SETTINGS["clinic"]["name"]
# What the email says with email.password_policy: dob_ddmmyyyy and no policy_text of the clinic's own.
POLICY_TEXT = "your date of birth as 8 digits: day, month, year (for example 09031984)"

TO = "ana@example.org"
PATIENT = "Ana Lima"
DOB = "1990-05-02"
PASSWORD = "02051990"  # the date of birth by the rule dob_ddmmyyyy
USERNAME = "frontdesk@riverside-physio.example"
PASSWORD_ENV = "PATIENTDOCS_TEST_SMTP_PASSWORD"
SMTP_PASSWORD = "Tr0ub4dor-and-3-horses"
SENDER_ADDRESS = "frontdesk@riverside-physio.example"  # the address in config.yaml's email.smtp.from
ANA = ("--to", TO, "--patient", PATIENT, "--dob", DOB, "--therapist", "Sam Patel", "--areas", "neck (left)",
       "--chest-region", "yes")
# What the email text must never say: the documents' subject stays private.
CLINICAL_WORDS = ("needle", "needling", "dry", "consent", "aftercare", "risk", "pain", "treatment", "chest",
                  "pneumothorax", "therap", "neck")


# --- servers and settings ------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def ca_file(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ca") / "clinic-ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


def write_config(folder: Path, port: int, **smtp: object) -> Path:
    """The repository's config.yaml with paths into ``folder`` and email.smtp at 127.0.0.1:``port``."""
    data = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
    data.pop("seal", None)  # the seal has its own tests (test_seal.py)
    data["paths"] = {"handouts": str(REPO / "handouts"), "templates": str(REPO / "templates"),
                     "output": str(folder / "out"), "records": str(folder / "records.db"),
                     "outbox": str(folder / "outbox")}
    data["email"]["smtp"] = {"host": HOST, "port": port, "security": "none",
                             "from": SETTINGS["email"]["smtp"]["from"], "timeout": 5, "retries": 1,
                             **{k: str(v) if isinstance(v, Path) else v for k, v in smtp.items()}}
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def set_email(config: Path, **values: object) -> None:
    """Change keys of the email section of the config.yaml at ``config``."""
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["email"].update(values)
    config.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


PASSPHRASE_LINE = re.compile(r"^Passphrase for the patient(?: \([a-z ]+\))?: ([a-z]+(?:-[a-z]+){4})$", re.M)


def shown_passphrase(result: subprocess.CompletedProcess[str]) -> str:
    """The passphrase the sender was shown (exactly once) on the terminal."""
    found = PASSPHRASE_LINE.findall(result.stdout)
    assert len(found) == 1, result.stdout
    return found[0]


def assert_opens_only_with(data: bytes, password: str) -> None:
    """A locked attachment: not without a password, not with the date of birth, only with ``password``."""
    for wrong in ("", PASSWORD, "19900502", password.replace("-", " ")):
        if wrong != password:
            with pytest.raises(pikepdf.PasswordError):
                pikepdf.open(io.BytesIO(data), password=wrong)
    with pikepdf.open(io.BytesIO(data), password=password) as pdf:
        assert pdf.is_encrypted and pdf.encryption.R == 6


def files_holding(folder: Path, secret: str) -> list[Path]:
    """Every file under ``folder`` whose bytes hold ``secret``, as is or in base64 (as in an .eml)."""
    forms = [secret.encode(), base64.b64encode(secret.encode())]
    return [path for path in folder.rglob("*") if path.is_file() and any(f in path.read_bytes() for f in forms)]


def login(ca_file: Path | None = None, security: str = "starttls") -> dict[str, object]:
    values: dict[str, object] = {"security": security, "username": USERNAME, "password_env": PASSWORD_ENV}
    if ca_file is not None:
        values["ca_file"] = ca_file
    return values


def run(folder: Path, *args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The CLI with the folder's config.yaml, without the SMTP password unless ``env`` gives it: in this
    process, or in a subprocess when ``env`` sets a variable Python reads only at start-up (PYTHON...)."""
    args = ("--config", folder / "config.yaml", *args)
    if any(name.startswith("PYTHON") for name in env or {}):
        command = [sys.executable, str(GENERATE), *map(str, args)]
        return subprocess.run(command, cwd=folder, env=cli_env(extra=env, drop=(PASSWORD_ENV, "PYTHONWARNINGS")),
                              capture_output=True, text=True, encoding="utf-8", timeout=60, check=False)
    return cli(*args, cwd=folder, env={PASSWORD_ENV: None, "PYTHONWARNINGS": None, **(env or {})})


def send(folder: Path, *args: str | Path, password: str | None = SMTP_PASSWORD,
         env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``email aftercare`` for Ana (and ``args``), the SMTP password in the environment."""
    extra = dict(env or {})
    if password is not None:
        extra[PASSWORD_ENV] = password
    return run(folder, "email", "aftercare", *ANA, *args, env=extra)


def records(folder: Path, channel: str | None = None) -> list[dict[str, object]]:
    path = folder / "records.db"
    if not path.exists():
        return []
    with sqlite3.connect(path) as conn:
        conn.row_factory = sqlite3.Row
        rows = [dict(row) for row in conn.execute("SELECT * FROM documents ORDER BY id")]
    return [row for row in rows if channel is None or row["channel"] == channel]


def saved_pdfs(folder: Path) -> list[Path]:
    return sorted((folder / "out").glob("*.pdf")) if (folder / "out").exists() else []


def parse(data: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(data, policy=email.policy.default)


def attachments(message: email.message.EmailMessage) -> dict[str, bytes]:
    return {part.get_filename(): part.get_content() for part in message.iter_attachments()}


def pdf_text(data: bytes, password: str = "") -> str:
    """The whitespace-normalised text of a (locked) PDF."""
    with pikepdf.open(io.BytesIO(data), password=password) as pdf:
        out = io.BytesIO()
        pdf.save(out)  # unencrypted copy, for pypdf
    reader = PdfReader(io.BytesIO(out.getvalue()))
    return norm(" ".join(page.extract_text() or "" for page in reader.pages))


def the_error(result: subprocess.CompletedProcess[str], code: int) -> str:
    """The one "Error: ..." line of a failed run (exit ``code``), without its prefix."""
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert "Traceback" not in result.stderr and "Sent" not in result.stdout
    return lines[0][len("Error: "):]


def assert_not_sent_but_kept(folder: Path, handler: Handler | None = None) -> None:
    """A delivery failure: nothing sent or recorded as sent, but both PDFs saved and recorded as saved."""
    if handler is not None:
        assert not handler.messages
    assert not records(folder, "emailed")
    pdfs = saved_pdfs(folder)
    assert len(pdfs) == 2
    assert sorted(str(r["file_name"]) for r in records(folder, "saved")) == [str(p) for p in pdfs]
    assert not list(folder.rglob("*.part"))


def assert_not_sent_but_kept_one(folder: Path) -> None:
    """The same, for one document."""
    assert not records(folder, "emailed")
    assert len(saved_pdfs(folder)) == 1 and len(records(folder, "saved")) == 1


# --- delivery --------------------------------------------------------------------------------------------------------


def test_plain_delivery_of_two_locked_documents(servers, tmp_path):
    handler = Handler()
    server = servers(MailServer(handler))
    write_config(tmp_path, server.port)
    result = send(tmp_path, "--also", "consent", password=None)
    assert result.returncode == 0, (result.stdout, result.stderr)
    assert result.stderr == ""
    assert result.stdout.startswith(f"Sent 2 document(s) to {TO} (locked with a one-time passphrase)\n")
    passphrase = shown_passphrase(result)

    assert len(handler.messages) == 1
    received = handler.messages[0]
    assert received.rcpt_tos == [TO] and received.mail_from == SENDER_ADDRESS
    message = parse(received.content)
    assert message.get_content_type() == "multipart/mixed"
    parts = list(message.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "application/pdf", "application/pdf"]
    assert all(p.get_content_disposition() == "attachment" for p in parts[1:])
    files = attachments(message)
    # The attachment names are neutral too: a mail program shows them next to the subject.
    assert sorted(files) == ["document-1.pdf", "document-2.pdf"]

    # Both attachments are locked with the passphrase shown, and only with it: not the date of birth.
    for data in files.values():
        assert_opens_only_with(data, passphrase)
    text = pdf_text(files["document-1.pdf"], passphrase)
    assert "Prepared for Ana Lima," in text and "neck (left)" in text
    assert "You had needling near your chest" in text  # the therapist said the chest region was needled

    # The text says how to open them, never the password nor what they are about.
    subject = message["Subject"]
    body = parts[0].get_content()
    assert subject == f"Your documents from {CLINIC_NAME}"
    assert "The password is not in this email: we give it to you separately, by phone or on a slip of paper." in (
        " ".join(body.split()))
    assert "date of birth" not in body
    for secret in (passphrase, PASSWORD):
        assert secret not in body and secret not in received.content.decode("ascii")
    for text in (body.lower(), subject.lower()):
        assert not [word for word in CLINICAL_WORDS if word in text]
    for secret in (PATIENT, "Ana", "Lima", DOB, "Sam Patel"):
        assert secret not in body and secret not in subject

    # Recorded as emailed, with the server's answer and the fingerprint of what was sent.
    emailed = records(tmp_path, "emailed")
    assert sorted(r["kind"] for r in emailed) == ["aftercare", "consent"]
    for row in emailed:
        assert row["recipient"] == TO
        assert str(row["server_response"]).startswith("250")
        assert row["encryption"] == "passphrase"  # the policy, never the passphrase
        number = {"aftercare": 1, "consent": 2}[row["kind"]]
        assert row["sha256"] == hashlib.sha256(files[f"document-{number}.pdf"]).hexdigest()
    # The PDFs are on disk too, recorded as saved.
    pdfs = saved_pdfs(tmp_path)
    assert len(pdfs) == 2 and len(records(tmp_path, "saved")) == 2
    assert {str(r["file_name"]) for r in emailed} == {str(p) for p in pdfs}

    # The file the patient received is recognised as the clinic's.
    received_file = tmp_path / "received-aftercare.pdf"
    received_file.write_bytes(files["document-1.pdf"])
    checked = run(tmp_path, "verify", received_file)
    assert checked.returncode == 0 and checked.stdout.startswith("UNCHANGED"), (checked.stdout, checked.stderr)

    # The passphrase is in no file (records, PDFs, ...) and in no other command's output.
    assert files_holding(tmp_path, passphrase) == []
    for command in (("history",), ("history", "--json")):
        shown = run(tmp_path, *command)
        assert shown.returncode == 0 and passphrase not in shown.stdout + shown.stderr
    assert f"emailed to {TO} (locked: passphrase)" in run(tmp_path, "history").stdout


def test_a_date_of_birth_policy_works_only_when_the_clinic_sets_it(servers, tmp_path):
    handler = Handler()
    server = servers(MailServer(handler))
    set_email(write_config(tmp_path, server.port), password_policy="dob_ddmmyyyy")
    result = send(tmp_path, password=None)
    assert result.returncode == 0, (result.stdout, result.stderr)
    assert result.stdout.splitlines() == [
        f"Sent 1 document(s) to {TO} (locked with the password rule in config.yaml)"]  # no passphrase to pass on
    message = parse(handler.messages[0].content)
    assert_opens_only_with(attachments(message)["document-1.pdf"], PASSWORD)
    body = " ".join(next(message.iter_parts()).get_content().split())
    assert f"The password is {POLICY_TEXT}." in body and PASSWORD not in body
    assert [row["encryption"] for row in records(tmp_path, "emailed")] == ["dob_ddmmyyyy"]


def test_no_encrypt_attaches_an_open_pdf(servers, tmp_path):
    handler = Handler()
    server = servers(MailServer(handler))
    write_config(tmp_path, server.port)
    result = send(tmp_path, "--no-encrypt", password=None)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"Sent 1 document(s) to {TO} (not locked)"]
    message = parse(handler.messages[0].content)
    files = attachments(message)
    assert list(files) == ["document-1.pdf"]
    with pikepdf.open(io.BytesIO(files["document-1.pdf"])) as pdf:
        assert not pdf.is_encrypted
    body = next(message.iter_parts()).get_content()
    assert "password" not in body.lower()
    emailed = records(tmp_path, "emailed")
    assert len(emailed) == 1
    assert emailed[0]["sha256"] == hashlib.sha256(files["document-1.pdf"]).hexdigest()
    assert emailed[0]["encryption"] == "none"  # the records say it went unlocked
    assert f"emailed to {TO} (not locked)" in run(tmp_path, "history").stdout
    # Unlocked, the attachment is byte for byte the saved PDF.
    assert saved_pdfs(tmp_path)[0].read_bytes() == files["document-1.pdf"]


def test_dry_run_writes_the_email_and_sends_nothing(servers, tmp_path):
    handler = Handler()
    server = servers(MailServer(handler))
    write_config(tmp_path, server.port, **login())
    result = send(tmp_path, "--also", "info", "--dry-run", password=None)  # no SMTP password needed
    assert result.returncode == 0, result.stderr
    assert "nothing was sent" in result.stdout
    passphrase = shown_passphrase(result)  # the .eml is to check: its attachments can be opened too
    assert handler.rcpt_calls == 0 and not handler.messages
    outbox = list((tmp_path / "outbox").glob("*.eml"))
    assert len(outbox) == 1 and str(outbox[0]) in result.stdout
    message = parse(outbox[0].read_bytes())
    assert message["To"] == TO and message["Subject"] == f"Your documents from {CLINIC_NAME}"
    files = attachments(message)
    assert sorted(files) == ["document-1.pdf", "document-2.pdf"]
    for data in files.values():
        assert_opens_only_with(data, passphrase)
    assert not records(tmp_path, "emailed")
    assert len(saved_pdfs(tmp_path)) == 2
    assert files_holding(tmp_path, passphrase) == []  # not in the .eml (nor base64 in it), nor anywhere


def test_starttls_with_login_and_the_clinics_ca(servers, tmp_path, server_tls, ca_file):
    handler = Handler()
    auth = Authenticator(USERNAME, SMTP_PASSWORD)
    server = servers(MailServer(handler, starttls_context=server_tls, authenticator=auth))
    write_config(tmp_path, server.port, **login(ca_file))
    result = send(tmp_path)
    assert result.returncode == 0, (result.stdout, result.stderr)
    assert result.stderr == ""
    assert len(handler.messages) == 1
    assert handler.messages[0].tls and handler.messages[0].authenticated
    assert len(records(tmp_path, "emailed")) == 1


def test_implicit_tls_with_login(servers, tmp_path, server_tls, ca_file):
    handler = Handler()
    server = servers(MailServer(handler, implicit_tls_context=server_tls, auth_require_tls=False,
                                authenticator=Authenticator(USERNAME, SMTP_PASSWORD)))
    write_config(tmp_path, server.port, **login(ca_file, security="tls"))
    result = send(tmp_path)
    assert result.returncode == 0, (result.stdout, result.stderr)
    assert len(handler.messages) == 1 and handler.messages[0].authenticated
    assert str(records(tmp_path, "emailed")[0]["server_response"]).startswith("250")


# --- delivery failures: exit 1, nothing recorded as sent, the PDFs kept ----------------------------------------------


def test_a_wrong_smtp_password_is_reported_without_showing_it(servers, tmp_path, server_tls, ca_file):
    handler = Handler()
    auth = Authenticator(USERNAME, SMTP_PASSWORD)
    server = servers(MailServer(handler, starttls_context=server_tls, authenticator=auth))
    write_config(tmp_path, server.port, **login(ca_file))
    wrong = "Wrong-Staple-9931"
    result = send(tmp_path, "--also", "consent", password=wrong)
    message = the_error(result, 1)
    assert "rejected the username or password" in message and "535" in message
    assert "Nothing was sent" in message
    for secret in (wrong, SMTP_PASSWORD, PASSWORD):
        assert secret not in result.stderr and secret not in result.stdout
    assert_not_sent_but_kept(tmp_path, handler)
    assert all(str(p) in message for p in saved_pdfs(tmp_path))  # the user is told where the PDFs are


def test_server_down(tmp_path):
    port = free_port()
    write_config(tmp_path, port)
    started = time.monotonic()
    result = send(tmp_path)
    message = the_error(result, 1)
    assert time.monotonic() - started < 10
    assert f"cannot reach the mail server {HOST}:{port}" in message
    assert "gave up" not in message  # a refused connection is not tried again
    assert_not_sent_but_kept_one(tmp_path)


def test_a_refused_recipient_is_named(servers, tmp_path):
    handler = Handler(refuse_rcpt="550 5.1.1 no such user")
    server = servers(MailServer(handler))
    write_config(tmp_path, server.port)
    result = send(tmp_path, "--also", "consent")
    message = the_error(result, 1)
    assert f"refused the address {TO}" in message and "550" in message
    assert handler.rcpt_calls == 1  # a permanent refusal is not tried again
    assert_not_sent_but_kept(tmp_path, handler)


def test_an_untrusted_certificate_sends_nothing(servers, tmp_path, server_tls):
    handler = Handler()
    auth = Authenticator(USERNAME, SMTP_PASSWORD)
    server = servers(MailServer(handler, starttls_context=server_tls, authenticator=auth))
    write_config(tmp_path, server.port, **login(ca_file=None))  # the system's CAs do not trust trustme
    result = send(tmp_path, "--also", "consent")
    message = the_error(result, 1)
    assert "certificate" in message and f"{HOST}:{server.port}" in message
    assert auth.calls == 0, "the password was offered over an untrusted connection"
    assert SMTP_PASSWORD not in result.stderr
    assert_not_sent_but_kept(tmp_path, handler)


def test_a_server_that_never_answers_times_out(servers, tmp_path):
    server = servers(RawServer("silent"))
    write_config(tmp_path, server.port, timeout=1)
    started = time.monotonic()
    result = send(tmp_path)
    elapsed = time.monotonic() - started
    message = the_error(result, 1)
    assert elapsed < 6
    assert f"{HOST}:{server.port} did not answer within 1 s" in message
    assert server.connections == 1
    assert_not_sent_but_kept_one(tmp_path)


# --- bad input: exit 2, nothing sent, nothing saved ------------------------------------------------------------------


def assert_nothing_done(folder: Path, handler: Handler) -> None:
    assert handler.rcpt_calls == 0 and not handler.messages
    assert not saved_pdfs(folder) and not records(folder)
    assert not list(folder.rglob("*.pdf")) and not list(folder.rglob("*.eml"))


@pytest.mark.parametrize(("address", "says"), [
    ("a@b@c", "exactly one @"),
    ("x@example.org\r\nBcc: e@example.org", "line break"),
    ("x@example.org\nBcc: e@example.org", "line break"),
    ("ana lima@example.org", "space"),
])
def test_an_invalid_address_is_refused(servers, tmp_path, address, says):
    handler = Handler()
    server = servers(MailServer(handler))
    write_config(tmp_path, server.port)
    result = run(tmp_path, "email", "aftercare", "--to", address, "--patient", PATIENT, "--dob", DOB)
    message = the_error(result, 2)
    assert message.startswith("invalid email address") and says in message
    assert_nothing_done(tmp_path, handler)


def test_no_date_of_birth_is_needed_with_a_passphrase(servers, tmp_path):
    handler = Handler()
    server = servers(MailServer(handler))
    write_config(tmp_path, server.port)
    result = run(tmp_path, "email", "aftercare", "--to", TO, "--patient", PATIENT)
    assert result.returncode == 0, (result.stdout, result.stderr)
    assert_opens_only_with(attachments(parse(handler.messages[0].content))["document-1.pdf"],
                           shown_passphrase(result))


def test_a_missing_date_of_birth_points_to_the_passphrase_not_to_no_encrypt(servers, tmp_path):
    handler = Handler()
    server = servers(MailServer(handler))
    set_email(write_config(tmp_path, server.port), password_policy="dob_ddmmyyyy")
    result = run(tmp_path, "email", "aftercare", "--to", TO, "--patient", PATIENT)
    message = the_error(result, 2)
    assert message == ("a date of birth is needed to lock the emailed document: email.password_policy is "
                       "dob_ddmmyyyy; give --dob, or set email.password_policy: passphrase in config.yaml, which "
                       "needs no date of birth and is much harder to guess")
    assert "--no-encrypt" not in message
    assert_nothing_done(tmp_path, handler)


@pytest.mark.parametrize("value", [None, ""])
def test_an_unset_password_variable_is_named(servers, tmp_path, server_tls, ca_file, value):
    handler = Handler()
    server = servers(MailServer(handler, starttls_context=server_tls,
                                authenticator=Authenticator(USERNAME, SMTP_PASSWORD)))
    write_config(tmp_path, server.port, **login(ca_file))
    result = send(tmp_path, password=value)
    message = the_error(result, 2)
    assert PASSWORD_ENV in message
    assert_nothing_done(tmp_path, handler)


@pytest.mark.parametrize("args", [("email", "letter"), ("email", "aftercare", "--also", "letter")])
def test_an_unknown_document_is_refused(servers, tmp_path, args):
    handler = Handler()
    server = servers(MailServer(handler))
    write_config(tmp_path, server.port)
    result = run(tmp_path, *args, "--to", TO, "--patient", PATIENT, "--dob", DOB)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "'letter' is not one of" in result.stderr and "Traceback" not in result.stderr
    assert_nothing_done(tmp_path, handler)


def test_output_option_is_refused(servers, tmp_path):
    handler = Handler()
    server = servers(MailServer(handler))
    write_config(tmp_path, server.port)
    result = send(tmp_path, "-o", tmp_path / "mine.pdf")
    assert "-o cannot be used with email" in the_error(result, 2)
    assert_nothing_done(tmp_path, handler)


# --- settings that cannot work: found before any document is made ------------------------------------------------


@pytest.mark.parametrize("ca", ["missing.pem", "not-a-certificate.pem"])
def test_an_unusable_ca_file_is_a_settings_error(servers, tmp_path, ca):
    handler = Handler()
    server = servers(MailServer(handler))
    (tmp_path / "not-a-certificate.pem").write_text("hello\n", encoding="utf-8")
    write_config(tmp_path, server.port, security="starttls", ca_file=tmp_path / ca)
    result = send(tmp_path)
    message = the_error(result, 2)
    assert "ca_file" in message and ca in message
    assert_nothing_done(tmp_path, handler)


@pytest.mark.parametrize(("key", "value"), [("from", "Riverside Physio"), ("policy_text", " ")])
def test_bad_email_settings_stop_before_any_document_is_made(servers, tmp_path, key, value):
    handler = Handler()
    server = servers(MailServer(handler))
    config = write_config(tmp_path, server.port)
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    (data["email"]["smtp"] if key == "from" else data["email"])[key] = value
    data["email"]["password_policy"] = "dob_ddmmyyyy"  # policy_text explains a date-of-birth rule
    config.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    result = send(tmp_path)
    assert key in the_error(result, 2)
    assert_nothing_done(tmp_path, handler)


def test_a_date_of_birth_explanation_left_with_the_passphrase_is_refused(servers, tmp_path):
    """The email would tell the patient a wrong password rule."""
    handler = Handler()
    server = servers(MailServer(handler))
    config = write_config(tmp_path, server.port)
    set_email(config, password_policy="passphrase", policy_text=POLICY_TEXT)
    line = next(n for n, text in enumerate(config.read_text(encoding="utf-8").splitlines(), 1)
                if text.strip().startswith("policy_text:"))
    assert the_error(send(tmp_path), 2) == (
        f"{config}:{line}: email.policy_text: explains a date-of-birth password, but password_policy is passphrase "
        "(the email then says the password comes separately); remove policy_text")
    assert_nothing_done(tmp_path, handler)


# --- what is printed --------------------------------------------------------------------------------------------------


def test_nothing_but_the_one_error_line_even_with_warnings_on(servers, tmp_path, server_tls, ca_file):
    handler = Handler()
    server = servers(MailServer(handler, starttls_context=server_tls,
                                authenticator=Authenticator(USERNAME, SMTP_PASSWORD)))
    write_config(tmp_path, server.port, **login(ca_file))
    noisy = {"PYTHONWARNINGS": "always", "PYTHONDEVMODE": "1"}

    sent = send(tmp_path, env=noisy)
    assert sent.returncode == 0, sent.stderr
    assert sent.stderr == ""
    passphrase = shown_passphrase(sent)
    assert sent.stdout.splitlines() == [
        f"Sent 1 document(s) to {TO} (locked with a one-time passphrase)",
        f"Passphrase for the patient: {passphrase}",
        "Tell the patient by phone or give it to them on paper. It is shown only this once; it is not in the email "
        "and is not kept.",
    ]

    failed = send(tmp_path, "--also", "consent", password="not-" + SMTP_PASSWORD, env=noisy)
    message = the_error(failed, 1)  # exactly one line: no warnings, no log records, no smtplib debug output
    assert failed.stdout == ""
    for secret in ("not-" + SMTP_PASSWORD, SMTP_PASSWORD, PASSWORD, PATIENT, DOB, "Sam Patel", "neck"):
        assert secret not in failed.stderr and secret not in sent.stdout + sent.stderr
    assert "Passphrase" not in failed.stdout + failed.stderr  # not sent: there is nothing to open
    assert "rejected the username or password" in message
    assert len(handler.messages) == 1


class _BreaksTheRecords(Handler):
    """Accepts the message, but the records database stops working at that very moment."""

    def __init__(self, db: Path):
        super().__init__()
        self.db = db

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        with sqlite3.connect(self.db) as conn:
            conn.execute("ALTER TABLE documents RENAME TO documents_elsewhere")
        return await super().handle_DATA(server, session, envelope)


def test_a_sent_email_that_cannot_be_recorded_says_it_was_sent(servers, tmp_path):
    """Saying "failed" after the server took the message would make staff send it twice."""
    handler = _BreaksTheRecords(tmp_path / "records.db")
    server = servers(MailServer(handler))
    write_config(tmp_path, server.port)
    result = send(tmp_path, password=None)
    message = the_error(result, 1)
    assert len(handler.messages) == 1
    assert message.startswith(f"the email WAS sent to {TO}, but it could not be added to the records (")
    assert message.endswith("do not send it again, and note it by hand")
    assert PASSWORD not in result.stderr and PATIENT not in result.stderr
    # The patient has the email: without the passphrase it could not be opened.
    assert_opens_only_with(attachments(parse(handler.messages[0].content))["document-1.pdf"],
                           shown_passphrase(result))


def test_a_message_the_server_never_confirmed_is_not_called_unsent(servers, tmp_path):
    server = servers(RawServer("vanish"))
    write_config(tmp_path, server.port)
    result = send(tmp_path, password=None)
    message = the_error(result, 1)
    assert "it may have been delivered. Ask the patient before sending it again" in message
    assert "Nothing was sent" not in message and "It is recorded as sent but not confirmed; the PDFs are saved" \
        in message
    # The attempt is recorded: the patient may have the documents.
    [attempt] = records(tmp_path, "emailed")
    assert attempt["server_response"] == "unconfirmed: handed over, but the server did not confirm it"
    assert attempt["recipient"] == TO and attempt["encryption"] == "passphrase" and server.connections == 1
    # It may have arrived: then the patient needs the passphrase.
    assert re.search(r"^Passphrase for the patient \(if the email did arrive\): [a-z-]+$", result.stdout, re.M)


class _Holds(RawServer):
    """Speaks SMTP until the whole message is in, then never answers it (until the client hangs up)."""

    def __init__(self) -> None:
        super().__init__("vanish")
        self.has_message = threading.Event()

    def _vanish(self, conn) -> None:
        conn.settimeout(20)
        with contextlib.suppress(OSError), conn, conn.makefile("rb") as lines:
            conn.sendall(b"220 test ESMTP\r\n")
            for line in lines:
                command = line.strip().upper()
                if command.startswith((b"EHLO", b"HELO")):
                    conn.sendall(b"250 test\r\n")
                elif command.startswith((b"MAIL", b"RCPT")):
                    conn.sendall(b"250 OK\r\n")
                elif command == b"DATA":
                    conn.sendall(b"354 go ahead\r\n")
                    for body in lines:
                        if body == b".\r\n":
                            self.has_message.set()
                            conn.recv(1)  # wait, silent, until the client closes the connection
                            return


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "kill"])
def test_stopped_after_the_hand_over_says_it_may_have_been_delivered(servers, tmp_path, stop):
    server = servers(_Holds())
    write_config(tmp_path, server.port, timeout=30, retries=0)
    env = cli_env(drop=(PASSWORD_ENV,))
    process = subprocess.Popen([sys.executable, str(GENERATE), "--config", str(tmp_path / "config.yaml"), "email",
                                "aftercare", *ANA], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, encoding="utf-8")
    try:
        assert server.has_message.wait(60), "the message never reached the server"
        process.send_signal(stop)
        out, err = process.communicate(timeout=30)
    finally:
        process.kill()
    result = subprocess.CompletedProcess(process.args, process.returncode, out, err)
    message = the_error(result, 1)
    assert message.startswith(f"sending was stopped after the whole message was handed over to the mail server "
                              f"{HOST}:{server.port}, before the server confirmed it: it may have been delivered. "
                              "Ask the patient before sending it again. It is recorded as sent but not confirmed; "
                              "the PDFs are saved: "), message
    assert "nothing half-written" not in err
    [attempt] = records(tmp_path, "emailed")
    assert attempt["server_response"] == "unconfirmed: handed over, but the server did not confirm it"
    assert re.search(r"^Passphrase for the patient \(if the email did arrive\): [a-z-]+$", out, re.M)
    history = run(tmp_path, "history")
    assert f"emailed (unconfirmed) to {TO} (locked: passphrase)" in history.stdout


# --- the one-time passphrase: shown once, on a slip if asked, kept nowhere else -------------------------------------


def test_the_shipped_settings_lock_with_a_passphrase():
    assert SETTINGS["email"]["password_policy"] == "passphrase" and "policy_text" not in SETTINGS["email"]


def test_every_email_gets_its_own_passphrase(servers, tmp_path):
    handler = Handler()
    server = servers(MailServer(handler))
    write_config(tmp_path, server.port)
    shown = [shown_passphrase(send(tmp_path, password=None)) for _ in range(2)]
    assert shown[0] != shown[1]
    for received, passphrase in zip(handler.messages, shown, strict=True):
        assert_opens_only_with(attachments(parse(received.content))["document-1.pdf"], passphrase)


def test_a_slip_to_hand_to_the_patient(servers, tmp_path):
    handler = Handler()
    server = servers(MailServer(handler))
    write_config(tmp_path, server.port)
    result = send(tmp_path, "--also", "consent", "--slip", password=None)
    assert result.returncode == 0, (result.stdout, result.stderr)
    passphrase = shown_passphrase(result)
    [line] = [text for text in result.stdout.splitlines() if text.startswith("Slip to print for the patient: ")]
    slip = Path(line.removeprefix("Slip to print for the patient: ").removesuffix(" (delete it once printed)"))
    assert slip.parent == tmp_path / "out" and slip.is_file()
    # Readable by its owner only, and its name says nothing about the patient.
    assert stat.S_IMODE(slip.stat().st_mode) == 0o600
    assert re.fullmatch(r"2026-12-01_passphrase-slip-[0-9a-f]{6}\.pdf", slip.name)
    reader = PdfReader(slip)
    assert len(reader.pages) == 1
    assert PATIENT not in str(reader.metadata) and TO not in str(reader.metadata)
    text = " ".join(reader.pages[0].extract_text().split())
    assert passphrase in text
    assert f"Password for {PATIENT}" in text and f"On 1 December 2026 we emailed 2 documents to {TO}" in text
    assert "with a hyphen (-) between the words" in text and SETTINGS["clinic"]["phone"] in text
    for data in attachments(parse(handler.messages[0].content)).values():
        assert_opens_only_with(data, passphrase)
    # The slip is the only file that holds the passphrase; the PDFs in out/ are the two documents.
    assert files_holding(tmp_path, passphrase) == []  # the slip draws it with a font subset: not plain bytes
    assert [p for p in saved_pdfs(tmp_path) if "passphrase" not in p.name] == sorted(
        Path(str(r["file_name"])) for r in records(tmp_path, "saved"))
    assert not list(tmp_path.rglob("*.part"))


def test_dry_run_emails_older_than_a_week_are_removed(servers, tmp_path):
    write_config(tmp_path, free_port())
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    old, recent, other = (outbox / "2026-11-20_ben-okafor_aftercare.eml", outbox / "2026-11-30_cara_info.eml",
                          outbox / "notes.eml")
    for path in (old, recent, other):
        path.write_bytes(b"To: x@example.org\r\n\r\nold")
    eight_days_ago = time.time() - 8 * 24 * 3600
    for path in (old, other):
        os.utime(path, (eight_days_ago, eight_days_ago))
    result = send(tmp_path, "--dry-run", password=None)
    assert result.returncode == 0, result.stderr
    assert not old.exists()  # holds a patient's documents: not kept for ever
    assert recent.exists() and other.exists()  # a recent one, and a file not named by this tool
    assert len(list(outbox.glob("*.eml"))) == 3


def test_a_dry_run_can_make_the_slip_too(servers, tmp_path):
    server = servers(MailServer(Handler()))
    write_config(tmp_path, server.port)
    result = send(tmp_path, "--dry-run", "--slip", password=None)
    assert result.returncode == 0, result.stderr
    [slip] = (tmp_path / "out").glob("*_passphrase-slip-*.pdf")
    assert shown_passphrase(result) in " ".join(PdfReader(slip).pages[0].extract_text().split())


def test_a_slip_never_replaces_a_file(tmp_path, monkeypatch):
    from patientdocs.deliver import slip

    names = iter(["aaaaaa", "aaaaaa", "bbbbbb"])
    monkeypatch.setattr(slip.secrets, "token_hex", lambda n: next(names))
    taken = tmp_path / "2026-12-01_passphrase-slip-aaaaaa.pdf"
    taken.write_bytes(b"someone else's")
    made = slip.write_slip(tmp_path, TODAY, b"%PDF-slip")
    assert made == tmp_path / "2026-12-01_passphrase-slip-bbbbbb.pdf" and made.read_bytes() == b"%PDF-slip"
    assert taken.read_bytes() == b"someone else's"
    assert stat.S_IMODE(made.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == [taken.name, made.name]  # no temporary file left


def test_a_slip_that_cannot_be_written_still_leaves_the_passphrase_on_screen(tmp_path, monkeypatch):
    """The email has gone by then: failing would lose the only copy of the passphrase."""
    from click.testing import CliRunner

    from patientdocs import cli
    from patientdocs.deliver import slip

    def full(folder, day, data):
        raise PatientDocsError(f"cannot write the passphrase slip in '{folder}' (No space left on device)")

    monkeypatch.setattr(slip, "write_slip", full)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", TODAY_EPOCH)
    config = write_config(tmp_path, free_port())
    result = CliRunner().invoke(cli.main, ["--config", str(config), "email", "aftercare", *ANA, "--dry-run", "--slip"])
    assert result.exit_code == 0, result.output
    assert PASSPHRASE_LINE.search(result.stdout)
    assert result.stderr == (f"Warning: cannot write the passphrase slip in '{tmp_path / 'out'}' (No space left on "
                             "device); write the passphrase above on paper instead\n")


@pytest.mark.parametrize(("setting", "args", "says"), [
    ({}, ("--no-encrypt",), "the documents are not locked"),
    ({"password_policy": "dob_ddmmyyyy"}, (), "email.password_policy is dob_ddmmyyyy, which the email explains"),
])
def test_a_slip_needs_a_passphrase(servers, tmp_path, setting, args, says):
    handler = Handler()
    server = servers(MailServer(handler))
    set_email(write_config(tmp_path, server.port), **setting)
    message = the_error(send(tmp_path, "--slip", *args), 2)
    assert message == f"--slip prints a one-time passphrase for the patient, but {says}; leave out --slip"
    assert_nothing_done(tmp_path, handler)


def test_the_help_explains_the_passphrase_and_the_slip(tmp_path):
    write_config(tmp_path, free_port())
    shown = " ".join(run(tmp_path, "email", "--help").stdout.split())
    assert "locked with a new one-time passphrase (five short words), shown here once after sending" in shown
    assert "--slip Also make a one-page slip with the passphrase, to print and hand to the patient." in shown


def test_validate_warns_that_a_date_of_birth_password_is_guessable(tmp_path):
    config = write_config(tmp_path, free_port())
    quiet = run(tmp_path, "validate")
    assert quiet.returncode == 0 and "WARNING" not in quiet.stdout
    set_email(config, password_policy="dob_yyyymmdd")
    line = next(n for n, text in enumerate(config.read_text(encoding="utf-8").splitlines(), 1)
                if text.strip().startswith("password_policy:"))
    result = run(tmp_path, "validate")
    assert result.returncode == 0, (result.stdout, result.stderr)  # the clinic's choice: warned, not refused
    warnings = [text for text in result.stdout.splitlines() if text.startswith("WARNING")]
    assert warnings == [
        f"WARNING {config}:{line}: email.password_policy: dob_yyyymmdd makes the attachment password the patient's "
        "date of birth, which anyone who knows the patient knows, and which a computer finds in minutes by trying "
        "all of about 46,000 possible dates; use password_policy: passphrase (a one-time passphrase per email, "
        "given to the patient by phone or on a slip)"]
    set_email(config, encrypt=False)  # nothing is locked: the policy is not used
    assert "WARNING" not in run(tmp_path, "validate").stdout


def test_records_from_before_say_nothing_about_locking_and_new_ones_do(servers, tmp_path):
    """A clinic's version-2 database gains the column; its emailed records stay, not guessed."""
    from patientdocs.records import store as audit

    db = tmp_path / "records.db"
    with sqlite3.connect(db) as conn:
        for statement in audit.steps_for("sqlite", 0, 2):
            conn.execute(statement)
        conn.execute(f"PRAGMA application_id={audit.APPLICATION_ID}")
        conn.execute("PRAGMA user_version=2")
        conn.execute("INSERT INTO documents (created_at, patient_id, patient_name, kind, treatment, language, "
                     "content_version, fingerprint, sha256, channel, recipient) VALUES ('2026-11-30T09:00:00+00:00',"
                     " 'P-7', 'Old Record', 'info', 'dry-needling', 'en', '2026.11', 'abc', 'f00', 'emailed', "
                     "'old@example.org')")
    conn.close()
    server = servers(MailServer(Handler()))
    write_config(tmp_path, server.port)
    assert send(tmp_path, password=None).returncode == 0
    emailed = records(tmp_path, "emailed")
    assert [(row["patient_name"], row["encryption"]) for row in emailed] == [
        ("Old Record", None), (PATIENT, "passphrase")]
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == audit.SCHEMA_VERSION
    conn.close()


@pytest.mark.parametrize("offered", [["LOGIN"], ["PLAIN"]], ids=["plain-only", "login-only"])
def test_a_server_echoing_the_login_never_puts_the_password_on_screen(servers, tmp_path, server_tls, ca_file,
                                                                       offered):
    handler = Handler()
    auth = Authenticator(USERNAME, SMTP_PASSWORD, echo=True)
    server = servers(MailServer(handler, starttls_context=server_tls, authenticator=auth, auth_exclude=offered))
    write_config(tmp_path, server.port, **login(ca_file))
    wrong = "Wrong-Staple-9931"
    result = send(tmp_path, password=wrong)
    message = the_error(result, 1)
    assert message.startswith("the mail server rejected the username or password (535 5.7.8). Nothing was sent")
    echoed = (base64.b64encode(wrong.encode()).decode(), base64.b64encode(f"\0{USERNAME}\0{wrong}".encode()).decode())
    assert any(secret in reply for reply in auth.echoed for secret in echoed)  # the server did echo it
    for secret in (wrong, *echoed):
        assert secret not in result.stderr + result.stdout
    assert_not_sent_but_kept_one(tmp_path)


def test_an_internationalised_address_is_accepted_and_sent_where_the_server_can(servers, tmp_path):
    """zoë@example.org: accepted by the email command as by the batch (RFC 6531); sent with SMTPUTF8."""
    handler = Handler()
    server = servers(MailServer(handler, smtputf8=True))
    write_config(tmp_path, server.port)
    result = run(tmp_path, "email", "aftercare", "--to", "zoë@example.org", "--patient", PATIENT, "--dob", DOB)
    assert result.returncode == 0, result.stderr
    assert "Sent 1 document(s) to zoë@example.org" in result.stdout
    (received,) = handler.messages
    assert received.rcpt_tos == ["zoë@example.org"] and parse(received.content)["To"] == "zoë@example.org"
    assert [row["recipient"] for row in records(tmp_path, "emailed")] == ["zoë@example.org"]


def test_without_smtputf8_the_error_says_so_and_nothing_is_sent(servers, tmp_path):
    handler = Handler()
    server = servers(MailServer(handler))
    write_config(tmp_path, server.port)
    result = run(tmp_path, "email", "aftercare", "--to", "zoë@example.org", "--patient", PATIENT, "--dob", DOB)
    message = the_error(result, 1)
    assert message.startswith("the address has letters outside plain English (such as ë), which only a mail "
                              f"server with SMTPUTF8 can carry, and {HOST}:{server.port} does not offer SMTPUTF8")
    assert "Nothing was sent; the PDFs are saved: " in message
    assert not handler.messages
    assert_not_sent_but_kept_one(tmp_path)

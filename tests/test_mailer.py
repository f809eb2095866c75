"""Emailing documents: message, wording, locking the PDF, and sending to a real SMTP server on 127.0.0.1."""

from __future__ import annotations

import base64
import datetime
import email
import email.policy
import io
import logging
import math
import re
import smtplib
import ssl
import time
from pathlib import Path

import pikepdf
import pytest
import trustme
from reportlab.pdfgen import canvas
from support import REPO

from patientdocs.deliver import encrypt, mailer
from patientdocs.deliver.encrypt import attachment_password, encrypt_pdf
from patientdocs.errors import DeliveryError, PatientDocsError
from patientdocs.load.config import Email, Smtp

try:
    from tests.smtp_server import HOST, Authenticator, Handler, MailServer, RawServer, free_port
except ModuleNotFoundError:  # tests/ itself is on sys.path (pytest's default "prepend" import mode)
    from smtp_server import HOST, Authenticator, Handler, MailServer, RawServer, free_port

CLINIC = "Riverside Physio & Sports Clinic"
PHONE = "01632 960 418"
SENDER = f"{CLINIC} <frontdesk@riverside-physio.example>"
PATIENT_FIRST_NAME = "Zebedee"
PATIENT_EMAIL = "zebedee.quill@example.org"
DOB = datetime.date(1990, 7, 21)
PASSWORD = "21071990"  # DOB as ddmmyyyy
USERNAME = "frontdesk"
SMTP_PASSWORD = "s3cret-Horse-Battery"
ATTACHMENT_NAME = "Zebedee Quill information sheet.pdf"
# What the email text must never say: the documents' subject stays private.
CLINICAL_WORDS = ("needle", "needling", "dry needling", "consent", "aftercare", "risk", "pain", "treatment",
                  "diagnos", "injur", "symptom", "therap", "bleed", "bruis")


# --- fixtures ---------------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def pdf_bytes() -> bytes:
    out = io.BytesIO()
    page = canvas.Canvas(out)
    page.drawString(72, 720, "Test document")
    page.showPage()
    page.save()
    return out.getvalue()


@pytest.fixture(scope="session")
def client_tls(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


@pytest.fixture
def sleeps() -> list[float]:
    return []


def settings(port: int, **changes) -> Smtp:
    values = {"host": HOST, "port": port, "security": "none", "from_": SENDER, "timeout": 5.0, "retries": 2}
    values.update(changes)
    return Smtp(**values)


def message(pdf: bytes, *, encrypted: bool = True, to: str = PATIENT_EMAIL):
    policy = Email(password_policy="dob_ddmmyyyy")
    body = mailer.compose_body(clinic_name=CLINIC, clinic_phone=PHONE, patient_first_name=PATIENT_FIRST_NAME,
                               encrypted=encrypted, password_rule=policy.password_rule)
    data = encrypt_pdf(pdf, attachment_password(DOB, policy.password_policy)) if encrypted else pdf
    return mailer.build_message(sender=SENDER, to=to, subject=mailer.format_subject(policy.subject, CLINIC),
                                body=body, attachments=[mailer.Attachment(ATTACHMENT_NAME, data)])


def one_line(error: BaseException) -> str:
    text = str(error)
    assert "\n" not in text and "\r" not in text
    return text


# --- encryption ---------------------------------------------------------------------------------------------------


def test_attachment_password_follows_the_policy():
    assert attachment_password(datetime.date(1984, 3, 9), "dob_ddmmyyyy") == "09031984"
    assert attachment_password(datetime.date(1984, 3, 9), "dob_yyyymmdd") == "19840309"


def test_a_missing_date_of_birth_cannot_lock_the_attachment():
    with pytest.raises(PatientDocsError) as caught:
        attachment_password(None, "dob_ddmmyyyy")
    text = one_line(caught.value)
    assert "date of birth" in text and "dob_ddmmyyyy" in text
    # The way out is the safer policy, never an unlocked attachment.
    assert "email.password_policy: passphrase" in text and "--no-encrypt" not in text
    assert caught.value.exit_code == 2


# --- the one-time passphrase --------------------------------------------------------------------------------------

WORD_FILE = Path(encrypt.__file__).resolve().parent / "data" / "passphrase-words.txt"


def test_the_word_list_is_package_data_of_plain_short_words():
    lines = WORD_FILE.read_text(encoding="ascii").splitlines()
    listed = [line for line in lines if not line.startswith("#")]
    assert listed == sorted(set(listed)), "one word a line, sorted, no repeats"
    assert all(re.fullmatch(r"[a-z]{3,7}", word) for word in listed)
    assert encrypt.words() == tuple(listed)
    # Nothing that would tell someone reading the slip over a shoulder what the documents are about.
    assert not {"needle", "pain", "risk", "dry", "chest", "hurt", "cut", "dose", "cure", "lung"} & set(listed)


def test_a_passphrase_has_at_least_50_bits_of_entropy():
    count = len(encrypt.words())
    bits = encrypt.PASSPHRASE_WORDS * math.log2(count)  # every word is drawn uniformly and independently
    assert count >= 1296 and encrypt.PASSPHRASE_WORDS == 5
    assert bits >= 51.7
    assert encrypt.passphrase_bits() == pytest.approx(bits)
    # Against the date of birth it replaces: about 46,000 guesses, 15.5 bits.
    assert bits - math.log2(encrypt.DOB_GUESSES) > 36
    readme = " ".join((REPO / "README.md").read_text(encoding="utf-8").split())
    assert f"from the {count:,} words in `patientdocs/data/passphrase-words.txt` ({bits:.1f} bits;" in readme


def test_a_passphrase_is_five_words_drawn_with_secrets(monkeypatch):
    drawn: list[tuple[str, ...]] = []
    real = encrypt.secrets.choice

    def choice(seq):
        drawn.append(tuple(seq))
        return real(seq)

    monkeypatch.setattr(encrypt.secrets, "choice", choice)
    phrase = attachment_password(None, "passphrase")  # no date of birth needed
    parts = phrase.split("-")
    assert len(parts) == 5 and all(part in encrypt.words() for part in parts)
    assert len(drawn) == 5 and all(seq == encrypt.words() for seq in drawn)
    monkeypatch.undo()
    assert len({attachment_password(DOB, "passphrase") for _ in range(20)}) == 20  # new for every message


def test_a_passphrase_opens_the_pdf_and_the_date_of_birth_does_not(pdf_bytes):
    phrase = attachment_password(DOB, "passphrase")
    locked = encrypt_pdf(pdf_bytes, phrase)
    for wrong in ("", PASSWORD, "19900721", phrase.replace("-", " "), phrase.upper()):
        with pytest.raises(pikepdf.PasswordError):
            pikepdf.open(io.BytesIO(locked), password=wrong)
    with pikepdf.open(io.BytesIO(locked), password=phrase) as pdf:
        assert pdf.is_encrypted and pdf.encryption.R == 6 and len(pdf.pages) == 1


def test_the_default_policy_is_the_passphrase():
    settings = Email()
    assert settings.password_policy == "passphrase" and settings.password_rule is None
    assert Email(password_policy="dob_ddmmyyyy").password_rule == (
        "your date of birth as 8 digits: day, month, year (for example 09031984)")
    assert Email(password_policy="dob_yyyymmdd").password_rule == (
        "your date of birth as 8 digits: year, month, day (for example 19840309)")
    assert Email(password_policy="dob_yyyymmdd", policy_text="Own words").password_rule == "Own words"


def test_encrypted_pdf_needs_the_password_and_can_be_printed(pdf_bytes):
    locked = encrypt_pdf(pdf_bytes, PASSWORD)
    with pytest.raises(pikepdf.PasswordError):
        pikepdf.open(io.BytesIO(locked))
    with pytest.raises(pikepdf.PasswordError):
        pikepdf.open(io.BytesIO(locked), password="09031984")
    with pikepdf.open(io.BytesIO(locked), password=PASSWORD) as pdf:
        assert pdf.is_encrypted
        assert pdf.encryption.R == 6 and pdf.encryption.stream_method.name == "aesv3"
        assert pdf.allow.print_highres and not pdf.allow.modify_other
        assert len(pdf.pages) == 1
    assert encrypt_pdf(pdf_bytes, PASSWORD) != locked  # a fresh random owner password each time


def test_encrypting_something_that_is_not_a_pdf_is_a_clear_error():
    with pytest.raises(PatientDocsError, match="not a readable PDF"):
        encrypt_pdf(b"hello", PASSWORD)


# --- addresses, wording, message ----------------------------------------------------------------------------------


@pytest.mark.parametrize("address", [
    "not-an-address",
    "a@b@c",
    "x@example.org\r\nBcc: evil@example.org",
    "x@example.org\nBcc: evil@example.org",
    "",
    "   ",
    "two words@example.org",
    "x@example",
    "@example.org",
    "x@",
    "x..y@example.org",
    "zoë＠example.org",
    "Zoë <zoe@example.org>",
    "zoe@exam_ple.org",
])
def test_invalid_addresses_are_refused(address, pdf_bytes):
    with pytest.raises(PatientDocsError) as caught:
        mailer.check_address(address)
    assert caught.value.exit_code == 2
    assert one_line(caught.value).startswith("invalid email address '")
    with pytest.raises(PatientDocsError):
        message(pdf_bytes, encrypted=False, to=address)


@pytest.mark.parametrize("address", ["anna@example.org", " anna.smith+docs@mail.example.co.uk ", "o'brien@example.ie",
                                     "zoë@example.org", "ana@exämple.de", "дмитрий@пример.рф"])
def test_valid_addresses_are_kept(address):
    assert mailer.check_address(address) == address.strip()


def test_an_address_is_kept_in_one_normal_form():
    # "ë" typed as e + combining diaeresis is the same address as the single letter ë.
    assert mailer.check_address("zoe\u0308@example.org") == "zoë@example.org"


def test_the_batch_and_the_email_command_accept_the_same_addresses():
    from patientdocs.batch.appointments import is_email

    for address in ("zoë@example.org", "ana@exämple.de", "x..y@example.org", "Ana <ana@x.com>", "ana@x.123"):
        try:
            mailer.check_address(address)
        except PatientDocsError:
            assert not is_email(address), address
        else:
            assert is_email(address), address


def test_an_internationalised_address_is_sent_with_smtputf8(servers, pdf_bytes, sleeps):
    handler = Handler()
    server = servers(MailServer(handler, smtputf8=True))
    reply = mailer.send(message(pdf_bytes, to="zoë@exämple.de"), settings(server.port), password=None,
                        sleep=sleeps.append)
    assert reply.startswith("250")
    (received,) = handler.messages
    assert received.rcpt_tos == ["zoë@exämple.de"]
    parsed = email.message_from_bytes(received.content, policy=email.policy.default)
    assert parsed["To"] == "zoë@exämple.de"  # UTF-8 as RFC 6532 has it, not encoded words


def test_a_server_without_smtputf8_says_why_it_cannot_send(servers, pdf_bytes, sleeps):
    handler = Handler()
    server = servers(MailServer(handler))
    with pytest.raises(DeliveryError) as caught:
        mailer.send(message(pdf_bytes, to="zoë@example.org"), settings(server.port), password=None,
                    sleep=sleeps.append)
    assert one_line(caught.value) == (
        "the address has letters outside plain English (such as ë), which only a mail server with SMTPUTF8 can "
        f"carry, and {HOST}:{server.port} does not offer SMTPUTF8; ask the patient for another address, or send "
        "through a server that has it")
    assert handler.messages == [] and sleeps == []


def test_a_bad_sender_is_named_as_the_setting():
    with pytest.raises(PatientDocsError, match=r"^email\.smtp\.from: "):
        mailer.build_message(sender="Clinic <desk>", to=PATIENT_EMAIL, subject="s", body="b",
                             attachments=[mailer.Attachment("a.pdf", b"%PDF")])


def test_the_body_is_friendly_and_says_nothing_clinical_or_secret():
    policy = Email(password_policy="dob_ddmmyyyy")
    body = mailer.compose_body(clinic_name=CLINIC, clinic_phone=PHONE, patient_first_name=PATIENT_FIRST_NAME,
                               encrypted=True, password_rule=policy.password_rule)
    lowered = body.lower()
    assert not [word for word in CLINICAL_WORDS if word in lowered]
    assert PASSWORD not in body
    assert f"Dear {PATIENT_FIRST_NAME}," in body and PHONE in body and "PDF" in body
    assert f"The password is {policy.password_rule}." in body
    plain = mailer.compose_body(clinic_name=CLINIC, clinic_phone=PHONE, encrypted=False,
                                signature="Front desk\nRiverside", documents=2)
    assert "password" not in plain.lower() and plain.startswith("Hello,") and "documents" in plain
    assert plain.endswith("Front desk\nRiverside\n")


def test_with_a_passphrase_the_body_says_the_password_comes_separately():
    body = mailer.compose_body(clinic_name=CLINIC, clinic_phone=PHONE, patient_first_name=PATIENT_FIRST_NAME,
                               encrypted=True, password_rule=Email().password_rule, documents=2)
    text = " ".join(body.split())
    assert ("The attachments are locked with a password to keep them private. The password is not in this "
            "email: we give it to you separately, by phone or on a slip of paper. It is five short words joined "
            "by hyphens (-); type it exactly as given.") in text
    assert "date of birth" not in text and not [word for word in CLINICAL_WORDS if word in text.lower()]


def test_the_message_structure(pdf_bytes):
    msg = message(pdf_bytes)
    parsed = email.message_from_bytes(msg.as_bytes(), policy=email.policy.default)
    assert parsed.get_content_type() == "multipart/mixed"
    parts = list(parsed.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "application/pdf"]
    assert parts[1].get_filename() == "zebedee-quill-information-sheet.pdf"
    assert parsed["To"] == PATIENT_EMAIL and parsed["Message-ID"].endswith("@riverside-physio.example>")


# --- sending ------------------------------------------------------------------------------------------------------


def test_plain_delivery(servers, pdf_bytes, sleeps):
    handler = Handler()
    server = servers(MailServer(handler))
    reply = mailer.send(message(pdf_bytes), settings(server.port), password=None, sleep=sleeps.append)
    assert reply.startswith("250") and "queued as TEST1" in reply
    assert len(handler.messages) == 1 and not sleeps
    received = handler.messages[0]
    assert received.rcpt_tos == [PATIENT_EMAIL] and received.mail_from == "frontdesk@riverside-physio.example"

    parsed = email.message_from_bytes(received.content, policy=email.policy.default)
    assert parsed["Subject"] == f"Your documents from {CLINIC}"
    assert parsed.get_content_type() == "multipart/mixed"
    text_part, pdf_part = parsed.iter_parts()
    assert text_part.get_content_type() == "text/plain"
    assert pdf_part.get_content_type() == "application/pdf"
    assert pdf_part.get_content_disposition() == "attachment"
    assert pdf_part.get_filename().endswith(".pdf")
    body = text_part.get_content()
    assert not [word for word in CLINICAL_WORDS if word in body.lower()]
    assert PASSWORD not in body and PASSWORD not in received.content.decode("ascii")

    attachment = pdf_part.get_content()
    with pytest.raises(pikepdf.PasswordError):
        pikepdf.open(io.BytesIO(attachment))
    with pikepdf.open(io.BytesIO(attachment), password=PASSWORD) as pdf:
        assert len(pdf.pages) == 1


def test_starttls_with_login(servers, pdf_bytes, server_tls, client_tls):
    handler = Handler()
    auth = Authenticator(USERNAME, SMTP_PASSWORD)
    server = servers(MailServer(handler, starttls_context=server_tls, authenticator=auth))
    smtp = settings(server.port, security="starttls", username=USERNAME, password_env="TEST_SMTP_PASSWORD")
    reply = mailer.send(message(pdf_bytes), smtp, password=SMTP_PASSWORD, ssl_context=client_tls)
    assert reply.startswith("250")
    assert len(handler.messages) == 1
    assert handler.messages[0].tls and handler.messages[0].authenticated


def test_starttls_with_an_untrusted_certificate_sends_nothing(servers, pdf_bytes, server_tls):
    handler = Handler()
    server = servers(MailServer(handler, starttls_context=server_tls,
                                authenticator=Authenticator(USERNAME, SMTP_PASSWORD)))
    smtp = settings(server.port, security="starttls", username=USERNAME, password_env="TEST_SMTP_PASSWORD")
    with pytest.raises(DeliveryError) as caught:
        mailer.send(message(pdf_bytes), smtp, password=SMTP_PASSWORD, sleep=pytest.fail)  # system CAs only
    text = one_line(caught.value)
    assert text.startswith(f"secure connection to {HOST}:{server.port} failed") and "certificate" in text
    assert SMTP_PASSWORD not in text
    assert caught.value.exit_code == 1 and not handler.messages


def test_implicit_tls(servers, pdf_bytes, server_tls, client_tls):
    handler = Handler()
    server = servers(MailServer(handler, implicit_tls_context=server_tls, auth_require_tls=False,
                                authenticator=Authenticator(USERNAME, SMTP_PASSWORD)))
    smtp = settings(server.port, security="tls", username=USERNAME, password_env="TEST_SMTP_PASSWORD")
    assert mailer.send(message(pdf_bytes), smtp, password=SMTP_PASSWORD, ssl_context=client_tls).startswith("250")
    assert len(handler.messages) == 1 and handler.messages[0].authenticated


def test_starttls_required_but_not_offered(servers, pdf_bytes, client_tls):
    handler = Handler()
    server = servers(MailServer(handler))
    with pytest.raises(DeliveryError, match="does not offer a secure connection"):
        mailer.send(message(pdf_bytes), settings(server.port, security="starttls"), password=None,
                    ssl_context=client_tls)
    assert not handler.messages


def test_plain_connection_to_a_server_that_requires_starttls(servers, pdf_bytes, server_tls):
    handler = Handler()
    server = servers(MailServer(handler, starttls_context=server_tls))
    with pytest.raises(DeliveryError) as caught:
        mailer.send(message(pdf_bytes), settings(server.port), password=None, sleep=pytest.fail)
    assert "needs a secure connection first (email.smtp.security: starttls)" in one_line(caught.value)
    assert not handler.messages


def test_wrong_password_is_rejected_once(servers, pdf_bytes, server_tls, client_tls, sleeps):
    handler = Handler()
    auth = Authenticator(USERNAME, SMTP_PASSWORD)
    server = servers(MailServer(handler, starttls_context=server_tls, authenticator=auth))
    smtp = settings(server.port, security="starttls", username=USERNAME, password_env="TEST_SMTP_PASSWORD")
    with pytest.raises(DeliveryError) as caught:
        mailer.send(message(pdf_bytes), smtp, password="wrong-horse", ssl_context=client_tls, sleep=sleeps.append)
    text = one_line(caught.value)
    assert "rejected the username or password" in text and "535" in text
    assert "wrong-horse" not in text and SMTP_PASSWORD not in text
    assert auth.calls <= 2 and not sleeps and not handler.messages  # one login (smtplib tries PLAIN, then LOGIN)


def login_echoes(username: str, password: str) -> tuple[str, ...]:
    """The password as a server may echo it: plain, AUTH LOGIN's base64 and AUTH PLAIN's base64."""
    def b64(data: str) -> str:
        return base64.b64encode(data.encode()).decode("ascii")

    return password, b64(password), b64(f"\0{username}\0{password}")


@pytest.mark.parametrize("offered", [["LOGIN"], ["PLAIN"]], ids=["plain-only", "login-only"])
def test_a_server_echoing_the_login_data_never_shows_the_password(servers, pdf_bytes, server_tls, client_tls,
                                                                   sleeps, offered, caplog):
    """Some servers answer a failed login with the data they got: the password in base64."""
    caplog.set_level(logging.DEBUG, logger="patientdocs.mail")
    handler = Handler()
    auth = Authenticator(USERNAME, SMTP_PASSWORD, echo=True)
    server = servers(MailServer(handler, starttls_context=server_tls, authenticator=auth, auth_exclude=offered))
    smtp = settings(server.port, security="starttls", username=USERNAME, password_env="TEST_SMTP_PASSWORD")
    wrong = "wrong-Horse-7"
    with pytest.raises(DeliveryError) as caught:
        mailer.send(message(pdf_bytes), smtp, password=wrong, ssl_context=client_tls, sleep=sleeps.append)
    text = one_line(caught.value)
    # The server really did echo it (so the check below can fail)...
    echoes = login_echoes(USERNAME, wrong)
    assert auth.echoed and any(secret in reply for reply in auth.echoed for secret in echoes[1:])
    # ...and none of it reaches the user: only the code and the enhanced status.
    assert text == "the mail server rejected the username or password (535 5.7.8)"
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for secret in echoes:
        assert secret not in text and secret not in logged
    assert not handler.messages and not sleeps


def test_other_server_answers_never_show_the_password_in_base64():
    smtp = settings(25, username=USERNAME)
    for secret in login_echoes(USERNAME, SMTP_PASSWORD):
        refused = mailer._classify(smtplib.SMTPDataError(554, f"5.7.1 rejected {secret} here".encode()), smtp,
                                   SMTP_PASSWORD)
        assert refused is not None and secret not in refused.message
        assert refused.message == "the mail server refused the message (554 5.7.1 rejected *** here)"


def test_login_not_offered_without_tls(servers, pdf_bytes):
    handler = Handler()
    server = servers(MailServer(handler, authenticator=Authenticator(USERNAME, SMTP_PASSWORD)))
    smtp = settings(server.port, username=USERNAME, password_env="TEST_SMTP_PASSWORD")
    with pytest.raises(DeliveryError, match="does not offer a login"):
        mailer.send(message(pdf_bytes), smtp, password=SMTP_PASSWORD)
    assert not handler.messages


def test_refused_recipient_is_named_and_not_retried(servers, pdf_bytes, sleeps):
    handler = Handler(refuse_rcpt="550 5.1.1 no such user")
    server = servers(MailServer(handler))
    with pytest.raises(DeliveryError) as caught:
        mailer.send(message(pdf_bytes), settings(server.port), password=None, sleep=sleeps.append)
    text = one_line(caught.value)
    assert text == f"the mail server refused the address {PATIENT_EMAIL} (550 5.1.1 no such user)"
    assert handler.rcpt_calls == 1 and not sleeps and not handler.messages


@pytest.mark.parametrize("failing", ["fail_rcpt", "fail_data"])
def test_temporary_failures_are_retried(servers, pdf_bytes, sleeps, failing):
    handler = Handler(**{failing: 2})
    server = servers(MailServer(handler))
    reply = mailer.send(message(pdf_bytes), settings(server.port, retries=2), password=None, sleep=sleeps.append)
    assert reply.startswith("250")
    assert sleeps == [2.0, 4.0]
    assert len(handler.messages) == 1
    assert (handler.rcpt_calls if failing == "fail_rcpt" else handler.data_calls) == 3


def test_temporary_failures_give_up_after_the_retries(servers, pdf_bytes, sleeps):
    handler = Handler(fail_data=100)
    server = servers(MailServer(handler))
    with pytest.raises(DeliveryError) as caught:
        mailer.send(message(pdf_bytes), settings(server.port, retries=5), password=None, retries=2,
                    sleep=sleeps.append)
    assert one_line(caught.value) == "the mail server refused the message (451 4.3.0 try again); gave up after 3 tries"
    assert handler.data_calls == 3 and len(sleeps) == 2 and not handler.messages


def test_server_down(pdf_bytes, sleeps):
    port = free_port()
    with pytest.raises(DeliveryError) as caught:
        mailer.send(message(pdf_bytes), settings(port), password=None, sleep=sleeps.append)
    assert one_line(caught.value) == f"cannot reach the mail server {HOST}:{port}: connection refused"
    assert caught.value.exit_code == 1 and not sleeps


def test_time_out(servers, pdf_bytes, sleeps):
    server = servers(RawServer("silent"))
    started = time.monotonic()
    with pytest.raises(DeliveryError) as caught:
        mailer.send(message(pdf_bytes), settings(server.port, timeout=0.5), password=None, sleep=sleeps.append)
    assert time.monotonic() - started < 3
    assert one_line(caught.value) == f"the mail server {HOST}:{server.port} did not answer within 0.5 s"
    assert server.connections == 1 and not sleeps


def test_dropped_connections_are_retried(servers, pdf_bytes, sleeps):
    server = servers(RawServer("close"))
    with pytest.raises(DeliveryError) as caught:
        mailer.send(message(pdf_bytes), settings(server.port, retries=1), password=None, sleep=sleeps.append)
    assert "closed the connection unexpectedly" in one_line(caught.value)
    assert server.connections == 2 and sleeps == [2.0]


def test_a_message_handed_over_but_never_confirmed_is_not_sent_twice(servers, pdf_bytes, sleeps):
    """The server may have queued it: a retry could deliver the patient's documents twice."""
    server = servers(RawServer("vanish"))
    with pytest.raises(DeliveryError) as caught:
        mailer.send(message(pdf_bytes), settings(server.port, retries=2), password=None, sleep=sleeps.append)
    assert one_line(caught.value) == (
        f"the connection to the mail server {HOST}:{server.port} broke after the whole message was handed over, "
        "before the server confirmed it: it may have been delivered. Ask the patient before sending it again")
    assert server.connections == 1 and not sleeps


# --- the password and the logs ------------------------------------------------------------------------------------


def test_password_comes_from_the_named_environment_variable(monkeypatch):
    smtp = settings(25, username=USERNAME, password_env="TEST_SMTP_PASSWORD")
    monkeypatch.delenv("TEST_SMTP_PASSWORD", raising=False)
    with pytest.raises(PatientDocsError) as caught:
        mailer.smtp_password(smtp)
    assert "TEST_SMTP_PASSWORD" in one_line(caught.value) and caught.value.exit_code == 2
    monkeypatch.setenv("TEST_SMTP_PASSWORD", "")
    with pytest.raises(PatientDocsError, match="TEST_SMTP_PASSWORD"):
        mailer.smtp_password(smtp)
    monkeypatch.setenv("TEST_SMTP_PASSWORD", SMTP_PASSWORD)
    assert mailer.smtp_password(smtp) == SMTP_PASSWORD
    assert mailer.smtp_password(settings(25)) is None
    with pytest.raises(PatientDocsError, match="password_env"):
        mailer.smtp_password(settings(25, username=USERNAME))


def test_logs_hold_no_password_and_no_patient_data(servers, pdf_bytes, server_tls, client_tls, caplog, capfd):
    caplog.set_level(logging.DEBUG, logger="patientdocs.mail")
    handler = Handler()
    server = servers(MailServer(handler, starttls_context=server_tls,
                                authenticator=Authenticator(USERNAME, SMTP_PASSWORD)))
    smtp = settings(server.port, security="starttls", username=USERNAME, password_env="TEST_SMTP_PASSWORD")
    msg = message(pdf_bytes)
    mailer.send(msg, smtp, password=SMTP_PASSWORD, ssl_context=client_tls)
    with pytest.raises(DeliveryError):
        mailer.send(msg, smtp, password="wrong-" + SMTP_PASSWORD, ssl_context=client_tls)

    ours = [record for record in caplog.records if record.name.startswith("patientdocs")]
    assert ours and any(str(server.port) in record.getMessage() for record in ours)
    logged = "\n".join(f"{record.getMessage()} {record.args!r}" for record in ours)
    out, err = capfd.readouterr()  # smtplib's debug output would land here
    for secret in (SMTP_PASSWORD, PATIENT_FIRST_NAME, "zebedee", PASSWORD, "information-sheet", "PDF reader"):
        assert secret.lower() not in logged.lower()
        assert secret.lower() not in (out + err).lower()
    assert "send:" not in err and "reply:" not in err

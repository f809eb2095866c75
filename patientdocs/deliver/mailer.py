"""Emailing documents to a patient over SMTP: the address check, the message, its wording, the sending.

Privacy rules kept here:

* the email text never says what the documents are about (no clinical words), and never holds the
  attachment password: it says the password comes separately (a one-time passphrase), or gives
  the clinic's date-of-birth rule (``email.policy_text``);
* log records (logger ``patientdocs.mail``) hold only the server, attempt numbers and SMTP codes;
  never the password, the recipient, the patient's name, the text or the attachment names;
* error messages name the server and, when it refused it, the address the user typed; never the
  password, nor the server's text after a failed login (a server may echo the login data, which is
  the password in base64). smtplib's debug output (the whole conversation) is never switched on.
"""

from __future__ import annotations

import base64
import dataclasses
import email.policy
import email.utils
import logging
import os
import re
import smtplib
import socket
import ssl
import time
from collections.abc import Callable
from email.headerregistry import Address
from email.message import EmailMessage
from typing import TYPE_CHECKING

from patientdocs.deliver.output import slug
from patientdocs.errors import DeliveryError, PatientDocsError, shown
from patientdocs.load.address import check_address, needs_smtputf8

__all__ = ["Attachment", "build_message", "check_address", "check_sender", "compose_body", "send", "smtp_password",
           "translated_email"]

if TYPE_CHECKING:
    from patientdocs.load.config import Smtp

log = logging.getLogger("patientdocs.mail")
# Without a handler configured by the program, Python would print warnings to stderr; the CLI shows
# only its own one-line messages.
log.addHandler(logging.NullHandler())

# The Message-ID's domain: ASCII, as every mail server reads it.
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_DOMAIN = re.compile(rf"(?:{_LABEL}\.)+{_LABEL}")


@dataclasses.dataclass(frozen=True)
class Attachment:
    """One PDF to attach: the name the patient sees, and the file's bytes."""

    filename: str
    data: bytes

    def __repr__(self) -> str:  # never the bytes (or the name) in a traceback or log
        return f"Attachment(<{len(self.data)} bytes>)"


# --- addresses ------------------------------------------------------------------------------------------------


def _has_control(text: str) -> bool:
    return any(ord(c) < 32 or ord(c) == 127 for c in text)


def _address(spec: str) -> Address:
    """A checked address as a header value; Python's parser refuses a non-ASCII local part."""
    local, domain = spec.rsplit("@", 1)
    return Address(username=local, domain=domain)


def check_sender(value: str) -> Address:
    """The ``From`` of ``email.smtp.from``: ``Name <address>`` or a plain address."""
    if not isinstance(value, str) or _has_control(value):
        raise PatientDocsError(f"email.smtp.from: '{shown(str(value))}' must be one line, "
                               "like Clinic <desk@example.org>")
    name, spec = email.utils.parseaddr(value)
    if not spec:
        raise PatientDocsError(f"email.smtp.from: '{shown(value)}' has no email address; "
                               "write Clinic <desk@example.org>")
    try:
        spec = check_address(spec)
    except PatientDocsError as exc:
        raise PatientDocsError(f"email.smtp.from: {exc}") from None
    local, domain = spec.rsplit("@", 1)
    return Address(display_name=" ".join(name.split()), username=local, domain=domain)


# --- the message ----------------------------------------------------------------------------------------------


def format_subject(template: str, clinic_name: str) -> str:
    """``email.subject`` with ``{clinic}`` filled in (no other braces are interpreted)."""
    return " ".join(template.replace("{clinic}", clinic_name).split())


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text if not text or text[-1] in ".!?" else text + "."


def compose_body(
    *,
    clinic_name: str,
    clinic_phone: str,
    patient_first_name: str | None = None,
    encrypted: bool,
    password_rule: str | None = None,
    signature: str = "",
    documents: int = 1,
) -> str:
    """The plain-text email: friendly, and saying nothing about what the documents are about.

    It says that documents are attached and how to open them. When they are locked, it says
    that the clinic gives the password separately (``password_rule`` None: a one-time
    passphrase), or gives the clinic's date-of-birth rule; never the password itself.
    """
    if encrypted and password_rule is not None and not password_rule.strip():
        raise PatientDocsError("email.policy_text is empty: patients would not know the password of the document")
    several = documents > 1
    first = " ".join((patient_first_name or "").split())
    it = "them" if several else "it"
    lines = [
        f"Dear {first}," if first else "Hello,",
        "",
        f"Please find attached {'your documents' if several else 'a document'} from {' '.join(clinic_name.split())}.",
        "",
        f"To open {it} you need a PDF reader. Most phones, tablets and computers have one built in; "
        "if yours does not, you can install a free PDF reader.",
    ]
    if encrypted:
        noun = "The attachments are" if several else "The attachment is"
        if password_rule is None:
            from patientdocs.deliver.encrypt import PASSPHRASE_WORDS

            count = {4: "four", 5: "five", 6: "six", 7: "seven"}.get(PASSPHRASE_WORDS, str(PASSPHRASE_WORDS))
            told = ("The password is not in this email: we give it to you separately, by phone or on a slip of "
                    f"paper. It is {count} short words joined by hyphens (-); type it exactly as given.")
        else:
            told = f"The password is {_sentence(password_rule)}"
        lines += ["", f"{noun} locked with a password to keep {it} private. {told}"]
    lines += [
        "",
        f"If you have any questions, please call us on {' '.join(clinic_phone.split())}.",
        "",
    ]
    closing = signature.strip("\n").rstrip()
    lines += closing.splitlines() if closing else ["Kind regards,", " ".join(clinic_name.split())]
    return "\n".join(line.rstrip() for line in lines) + "\n"


# The words of the email in a language other than English, from its content's labels; the
# email in English is compose_body's own. Each may hold {clinic}, {name}, {phone}, {count}, {rule}.
EMAIL_LABELS = ("email_subject", "email_dear", "email_hello", "email_attached_one", "email_attached_many",
                "email_reader_one", "email_reader_many", "email_locked_one", "email_locked_many",
                "email_passphrase", "email_rule", "email_questions", "email_closing", "email_attachment")


def translated_email(labels: dict[str, str], language: str, *, clinic_name: str, clinic_phone: str,
                     encrypted: bool, password_rule: str | None = None, signature: str = "",
                     documents: int = 1, patient_first_name: str | None = None) -> tuple[str, str] | None:
    """The subject and body in the content's language, from its ``email_*`` labels; None when
    the language has none of them (the English email is then sent, as before). Same content as
    compose_body: nothing about what the documents are about, never the password itself."""
    if not all(key in labels for key in EMAIL_LABELS):
        return None
    from patientdocs import language as lang
    from patientdocs.deliver.encrypt import PASSPHRASE_WORDS

    clinic, phone = " ".join(clinic_name.split()), " ".join(clinic_phone.split())
    first = " ".join((patient_first_name or "").split())
    several = documents > 1

    def fill(key: str, **more: str) -> str:
        text = labels[key]
        for name, value in {"clinic": clinic, "phone": phone, "name": first, **more}.items():
            text = text.replace("{" + name + "}", value)
        return " ".join(text.split())

    subject = fill("email_subject")
    lines = [fill("email_dear") if first else fill("email_hello"), "",
             fill("email_attached_many" if several else "email_attached_one"), "",
             fill("email_reader_many" if several else "email_reader_one")]
    if encrypted:
        if password_rule is None:
            told = fill("email_passphrase", count=lang.number(PASSPHRASE_WORDS, language))
        else:
            told = fill("email_rule", rule=_sentence(password_rule))
        lines += ["", f"{fill('email_locked_many' if several else 'email_locked_one')} {told}"]
    lines += ["", fill("email_questions"), ""]
    closing = signature.strip("\n").rstrip()
    lines += closing.splitlines() if closing else [fill("email_closing"), clinic]
    return subject, "\n".join(line.rstrip() for line in lines) + "\n"


def safe_filenames(names: list[str]) -> list[str]:
    """Attachment names that every mail program shows correctly: ASCII, ending in .pdf, all different."""
    out: list[str] = []
    for name in names:
        stem = name[:-4] if name.lower().endswith(".pdf") else name
        base = slug(stem, fallback="document", limit=60)
        candidate, n = f"{base}.pdf", 2
        while candidate in out:
            candidate, n = f"{base}-{n}.pdf", n + 1
        out.append(candidate)
    return out


def build_message(
    *,
    sender: str,
    to: str,
    subject: str,
    body: str,
    attachments: list[Attachment],
    message_id_domain: str | None = None,
) -> EmailMessage:
    """A multipart/mixed message: the text, then each PDF as an attachment."""
    from_ = check_sender(sender)
    recipient = check_address(to)
    if _has_control(subject):
        raise PatientDocsError("email.subject: the subject must be one line of text")
    if not attachments:
        raise ValueError("build_message needs at least one attachment")
    domain = message_id_domain or from_.domain
    if not _DOMAIN.fullmatch(domain):
        raise PatientDocsError(f"'{shown(domain)}' is not a domain name for the Message-ID")

    # An internationalised address (RFC 6531) is written as UTF-8 (RFC 6532): the default policy
    # would turn it into encoded words, which are not allowed in an address.
    international = needs_smtputf8(recipient) or needs_smtputf8(from_.addr_spec)
    message = EmailMessage(policy=email.policy.default.clone(utf8=True) if international else email.policy.default)
    message["From"] = from_
    message["To"] = _address(recipient)
    message["Subject"] = subject
    message["Date"] = email.utils.formatdate(localtime=True)
    message["Message-ID"] = email.utils.make_msgid(domain=domain)
    message.set_content(body, subtype="plain", charset="utf-8",
                        cte="7bit" if body.isascii() else "quoted-printable")
    for attachment, name in zip(attachments, safe_filenames([a.filename for a in attachments]), strict=True):
        message.add_attachment(attachment.data, maintype="application", subtype="pdf", filename=name)
    return message


# --- sending --------------------------------------------------------------------------------------------------


def smtp_password(smtp: Smtp) -> str | None:
    """The login password from the environment variable ``email.smtp.password_env`` (None: no login)."""
    name = smtp.password_env
    if not name:
        if smtp.username:
            raise PatientDocsError("email.smtp.username is set but email.smtp.password_env is not: "
                                   "give the name of the environment variable that holds the mail password")
        return None
    if not smtp.username:
        raise PatientDocsError("email.smtp.password_env is set but email.smtp.username is not: "
                               "give the user name for the mail server")
    value = os.environ.get(name)
    if not value:
        raise PatientDocsError(f"the mail password is read from the environment variable {name}, "
                               "which is not set or is empty; set it before sending")
    if not (value + smtp.username).isascii():
        # Python's SMTP login sends them as ASCII: better to say so now than after making the PDFs.
        raise PatientDocsError(f"the mail user name or the password in {name} has letters outside plain "
                               "English (ASCII), which the mail server login cannot send; ask for an ASCII password")
    return value


class _Recording:
    """Keeps the server's answer to DATA, which smtplib's send_message does not return, and
    whether the whole message had been handed over when the connection broke."""

    data_reply: tuple[int, bytes] | None = None
    handed_over = False
    # The end of the message is being written: stopped now, the server may already have all of it.
    ending = False
    _in_data = False

    def data(self, msg):  # type: ignore[no-untyped-def]
        self._in_data = True
        try:
            code, text = super().data(msg)  # type: ignore[misc]
        finally:
            self._in_data = False
        self.data_reply = (code, text)
        return code, text

    def send(self, s):  # type: ignore[no-untyped-def]
        last = self._in_data and isinstance(s, bytes) and s.endswith(b"\r\n.\r\n")
        self.ending = self.ending or last
        super().send(s)  # type: ignore[misc]
        if last:
            self.handed_over = True


class _PlainClient(_Recording, smtplib.SMTP):
    pass


class _TlsClient(_Recording, smtplib.SMTP_SSL):
    pass


class _AttemptError(Exception):
    """One attempt failed: the user's message, and whether trying again may help."""

    def __init__(self, message: str, *, temporary: bool = False, code: int | str = "error"):
        super().__init__(message)
        self.message = message
        self.temporary = temporary
        self.code = code


def _text(reply: bytes | str | None, hide: tuple[str | None, ...] = ()) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply or "")
    text = " ".join(text.split())
    for secret in hide:
        if secret:
            text = text.replace(secret, "***")
    return shown(text, 160)


def _reply(code: int, reply: bytes | str | None, hide: tuple[str | None, ...] = ()) -> str:
    text = _text(reply, hide)
    return f"{code} {text}" if text else f"{code}"


def _hidden(smtp: Smtp, password: str | None) -> tuple[str, ...]:
    """The password as it may come back in a server's text: plain, and as smtplib sent it for AUTH
    LOGIN (base64 of the password) and AUTH PLAIN (base64 of NUL user NUL password)."""
    if not password:
        return ()

    def b64(text: str) -> str:
        return base64.b64encode(text.encode("utf-8", "replace")).decode("ascii")

    return (b64(f"\0{smtp.username or ''}\0{password}"), b64(password), password)


_STATUS = re.compile(r"[245]\.\d{1,3}\.\d{1,3}")


def _login_reply(code: int, reply: bytes | str | None) -> str:
    """A failed login's code and enhanced status (``535 5.7.8``), never the server's text: some
    servers echo the login data, that is, the password in base64."""
    words = _text(reply).split(" ", 1)
    return f"{code} {words[0]}" if words and _STATUS.fullmatch(words[0]) else f"{code}"


def _is_temporary(code: int) -> bool:
    return 400 <= code < 500


def _os_cause(exc: BaseException) -> BaseException | None:
    """The socket/TLS error under an SMTPServerDisconnected (smtplib raises it *while handling* one)."""
    seen = exc.__cause__ or exc.__context__
    while seen is not None:
        if isinstance(seen, OSError) and not isinstance(seen, smtplib.SMTPException):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _classify(exc: BaseException, smtp: Smtp, password: str | None) -> _AttemptError | None:
    """A one-line, password-free explanation of ``exc``; None for errors that are bugs, not delivery."""
    where = f"{smtp.host}:{smtp.port}"
    hide = _hidden(smtp, password)
    fail = _AttemptError

    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        parts = [f"{addr} ({_reply(code, text, hide)})" for addr, (code, text) in exc.recipients.items()]
        codes = [code for code, _ in exc.recipients.values()] or [550]
        return fail(f"the mail server refused the address {', '.join(parts)}",
                    temporary=all(_is_temporary(c) for c in codes), code=codes[0])
    if isinstance(exc, smtplib.SMTPResponseException):
        code = exc.smtp_code
        reply = _reply(code, exc.smtp_error, hide)
        temporary = _is_temporary(code)
        if isinstance(exc, smtplib.SMTPAuthenticationError):
            reply = _login_reply(code, exc.smtp_error)
            if temporary:
                return fail(f"the mail server could not check the username and password just now ({reply})",
                            temporary=True, code=code)
            return fail(f"the mail server rejected the username or password ({reply})", code=code)
        if isinstance(exc, smtplib.SMTPSenderRefused):
            hint = ""
            if "starttls" in reply.lower() or "tls" in reply.lower().split():
                hint = "; the server needs a secure connection first (email.smtp.security: starttls)"
            elif code == 530 or "auth" in reply.lower():
                hint = "; the server may need a login (email.smtp.username and email.smtp.password_env)"
            return fail(f"the mail server refused the sender address {exc.sender} ({reply}){hint}",
                        temporary=temporary, code=code)
        if isinstance(exc, smtplib.SMTPDataError):
            return fail(f"the mail server refused the message ({reply})", temporary=temporary, code=code)
        if isinstance(exc, smtplib.SMTPConnectError):
            return fail(f"the mail server {where} refused the connection ({reply})", temporary=temporary, code=code)
        if isinstance(exc, smtplib.SMTPHeloError):
            return fail(f"the mail server {where} did not accept the greeting ({reply})", temporary=temporary,
                        code=code)
        return fail(f"the mail server {where} answered with an error ({reply})", temporary=temporary, code=code)
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        said = str(exc)
        if "AUTH" in said:
            return fail(f"the mail server {where} does not offer a login on this connection; check "
                        "email.smtp.security (servers usually offer a login only over starttls or tls)",
                        code="no-auth")
        if "SMTPUTF8" in said:
            return fail(f"the address has letters outside plain English (such as ë), which only a mail server with "
                        f"SMTPUTF8 can carry, and {where} does not offer SMTPUTF8; ask the patient for another "
                        "address, or send through a server that has it", code="no-smtputf8")
        return fail(f"the mail server {where} does not support a feature needed to send ({_text(said)})",
                    code="unsupported")
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        cause = _os_cause(exc)
        if cause is not None and not isinstance(cause, ConnectionResetError | BrokenPipeError):
            failure = _classify(cause, smtp, password)
            if failure is not None:
                return failure
        return fail(f"the mail server {where} closed the connection unexpectedly", temporary=True,
                    code="disconnected")
    if isinstance(exc, smtplib.SMTPException):
        # The remaining ones carry smtplib's own fixed text, e.g. "No suitable authentication method found."
        return fail(f"sending through the mail server {where} failed: {_text(str(exc), hide)}", code="smtp")
    if isinstance(exc, ssl.SSLCertVerificationError):
        return fail(f"secure connection to {where} failed: certificate not trusted "
                    f"({_text(exc.verify_message or exc.reason)})", code="tls-certificate")
    if isinstance(exc, ssl.SSLError):
        hint = ""
        if smtp.security == "tls" and "WRONG_VERSION_NUMBER" in str(exc):
            hint = "; the server may expect security: starttls on this port (587 is usually starttls, 465 tls)"
        return fail(f"secure connection to {where} failed ({_text(exc.reason or type(exc).__name__)}){hint}",
                    code="tls")
    if isinstance(exc, TimeoutError):
        hint = "; port 465 usually needs security: tls" if smtp.security == "starttls" and smtp.port == 465 else ""
        return fail(f"the mail server {where} did not answer within {smtp.timeout:g} s{hint}", code="timeout")
    if isinstance(exc, ConnectionRefusedError):
        return fail(f"cannot reach the mail server {where}: connection refused", code="refused")
    if isinstance(exc, socket.gaierror):
        return fail(f"cannot reach the mail server {where}: the name '{shown(smtp.host)}' was not found",
                    code="dns")
    if isinstance(exc, ConnectionResetError | ConnectionAbortedError | BrokenPipeError):
        return fail(f"the connection to the mail server {where} was interrupted", temporary=True, code="reset")
    if isinstance(exc, OSError):
        return fail(f"cannot reach the mail server {where}: {_text(exc.strerror or type(exc).__name__)}",
                    code="network")
    if isinstance(exc, UnicodeEncodeError):
        # smtplib sends the login as ASCII only.
        return fail("the mail user name or password has characters (such as accents) that a mail login "
                    "cannot carry", code="login-encoding")
    return None


def _send_once(message: EmailMessage, smtp: Smtp, password: str | None, context: ssl.SSLContext | None) -> str:
    client: _PlainClient | _TlsClient | None = None
    try:
        if smtp.security == "tls":
            client = _TlsClient(smtp.host, smtp.port, timeout=smtp.timeout, context=context)
        else:
            client = _PlainClient(smtp.host, smtp.port, timeout=smtp.timeout)
        log.debug("connected to %s:%d", smtp.host, smtp.port)
        client.ehlo_or_helo_if_needed()
        if smtp.security == "starttls":
            if not client.has_extn("starttls"):
                raise _AttemptError(f"the mail server {smtp.host}:{smtp.port} does not offer a secure connection "
                                    "(STARTTLS); check email.smtp.security and email.smtp.port", code="no-starttls")
            code, _ = client.starttls(context=context)
            log.debug("STARTTLS with %s:%d (%d)", smtp.host, smtp.port, code)
            client.ehlo()
        if smtp.username:
            code, _ = client.login(smtp.username, password or "")
            log.debug("logged in at %s:%d (%d)", smtp.host, smtp.port, code)
        refused = client.send_message(message)
        if refused:
            # Some recipients accepted, some not: with one recipient per message this means failure.
            raise smtplib.SMTPRecipientsRefused(refused)
        code, text = client.data_reply or (250, b"")
        reply = _reply(code, text, _hidden(smtp, password))
    except _AttemptError:
        if client is not None:
            client.close()
        raise
    except KeyboardInterrupt:  # Ctrl-C, or kill (SIGTERM): see cli._stop_cleanly_on_terminate
        if client is not None:
            client.close()
        if client is not None and client.ending and client.data_reply is None:
            # Like a broken connection after the hand-over: the server may deliver it all the same.
            raise _AttemptError(f"sending was stopped after the whole message was handed over to the mail server "
                                f"{smtp.host}:{smtp.port}, before the server confirmed it: it may have been "
                                "delivered. Ask the patient before sending it again", code="unconfirmed") from None
        raise
    except Exception as exc:
        if client is not None:
            client.close()
        if client is not None and client.handed_over and client.data_reply is None:
            # The server has the whole message but never said whether it took it: sending it
            # again could deliver it twice, so this is not retried.
            raise _AttemptError(f"the connection to the mail server {smtp.host}:{smtp.port} broke after the whole "
                                "message was handed over, before the server confirmed it: it may have been "
                                "delivered. Ask the patient before sending it again", code="unconfirmed") from None
        failure = _classify(exc, smtp, password)
        if failure is None:
            raise
        raise failure from None
    # The message is accepted: a problem saying goodbye must not make it look unsent (and resent).
    try:
        client.quit()
    except (smtplib.SMTPException, OSError, KeyboardInterrupt):  # stopped now: it is sent all the same
        client.close()
    return reply


def _backoff(attempt: int) -> float:
    return min(30.0, 2.0 * 2 ** (attempt - 1))


def send(
    message: EmailMessage,
    smtp: Smtp,
    *,
    password: str | None,
    retries: int | None = None,
    sleep: Callable[[float], object] = time.sleep,
    ssl_context: ssl.SSLContext | None = None,
) -> str:
    """Send ``message`` through the server of ``email.smtp``; the server's final answer (e.g. ``250 OK``).

    ``password`` is the login password (see :func:`smtp_password`); ``retries`` overrides
    ``smtp.retries``: how many more times a temporary failure (4xx answer, dropped connection) is
    tried again, waiting ``sleep(2 s, 4 s, ...)`` in between. ``ssl_context`` replaces the system's
    certificate check (tests trust their own authority with it). Any failure is a DeliveryError.
    """
    if smtp.username and not password:
        raise PatientDocsError("the mail server needs a password for the user in email.smtp.username, "
                               "but none was given (see email.smtp.password_env)")
    if smtp.security != "none" and ssl_context is None:
        # Never smtplib's default, which does not check the certificate.
        ssl_context = ssl.create_default_context()
    attempts = 1 + max(0, smtp.retries if retries is None else retries)
    for attempt in range(1, attempts + 1):
        log.info("sending through %s:%d (%s), attempt %d of %d", smtp.host, smtp.port, smtp.security, attempt, attempts)
        try:
            reply = _send_once(message, smtp, password, ssl_context)
        except _AttemptError as failure:
            log.warning("attempt %d of %d through %s:%d failed (%s)", attempt, attempts, smtp.host, smtp.port,
                        failure.code)
            if failure.temporary and attempt < attempts:
                delay = _backoff(attempt)
                log.info("trying again in %g s", delay)
                sleep(delay)
                continue
            tried = f"; gave up after {attempts} tries" if failure.temporary and attempts > 1 else ""
            error = DeliveryError(failure.message + tried)
            error.maybe_sent = failure.code == "unconfirmed"
            raise error from None
        log.info("accepted by %s:%d (%s)", smtp.host, smtp.port, reply.split(" ", 1)[0])
        return reply
    raise AssertionError("unreachable")  # pragma: no cover

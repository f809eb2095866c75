"""Email documents to a patient: made, saved and recorded like any document, locked, then sent.

Every setting and input is checked before any document is made or recorded. The one-time
passphrase that locks the attachments is returned once (``Sent.passphrase``) for the sender to
pass on, and written nowhere but the optional slip; when sending fails after the message may
have gone, the error carries it too (``handover``), since the patient needs it all the same.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from patientdocs.errors import DeliveryError, PatientDocsError
from patientdocs.frozen import frozen
from patientdocs.usecases.saving import (
    VisitInput,
    build_visit,
    chest_hints,
    records_for,
    save_document,
    treatment_and_language,
)

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Callable

    from patientdocs.deliver.seal import Sealer
    from patientdocs.load.config import Config
    from patientdocs.records.base import Record, RecordsBase
    from patientdocs.render.pipeline import Pipeline

__all__ = ["Attached", "EmailRequest", "Handover", "Mailing", "Sent", "VisitInput", "deliver", "prepare_mailing",
           "send_documents"]


# The server answer recorded for an email handed over but never confirmed (the connection broke, or
# sending was stopped): it may have arrived.
UNCONFIRMED = "unconfirmed: handed over, but the server did not confirm it"


@frozen
class EmailRequest:
    documents: tuple[str, ...]  # kinds to attach; the first one is the main document
    to: str
    visit: VisitInput
    dry_run: bool = False  # write the whole email into the outbox folder instead of sending it
    encrypt: bool | None = None  # None: the clinic's setting (email.encrypt); False: sent unlocked
    slip: bool = False  # also make a one-page slip with the passphrase, to print for the patient
    allow_expired: bool = False


@frozen
class Handover:
    """The passphrase for the patient, shown once; and the slip to print, if one was asked for."""

    passphrase: str
    slip: Path | None = None
    slip_problem: str | None = None  # the slip could not be written (the passphrase is still shown)
    note: str = ""  # e.g. " (if the email did arrive)"


@frozen
class Sent:
    recipient: str
    documents: int
    saved: tuple[Path, ...]
    dry_run_file: Path | None
    encrypted: bool
    passphrase: str | None  # shown once to the sender
    encryption: str = "none"  # how the attachments were locked: "passphrase", "dob_ddmmyyyy", ... or "none"
    handover: Handover | None = None
    hints: tuple[str, ...] = ()  # for the screen, e.g. a question about the chest region


def _checked_address(check, value: str, field: str) -> str:
    try:
        return check(value)
    except PatientDocsError as exc:
        exc.field = exc.field or field
        raise


@frozen
class Attached:
    """One attachment as it leaves the clinic: the file kept in the output folder, the bytes sent
    (locked and sealed), and its records as emailed, made once the server has answered
    (``emailed(server_response=...)``)."""

    path: Path
    data: bytes
    emailed: Callable[..., list[Record]]


@frozen
class Mailing:
    """What every email checks and words before anything is made: the addresses, the patient's
    password, the mail server's login, the subject and body in the patient's language, the seal."""

    address: str
    sender: str
    subject: str
    body: str
    attachment_word: str  # the attachments' neutral name, e.g. "document" (document-1.pdf)
    encrypted: bool
    policy: str  # "passphrase", "dob_ddmmyyyy", ... or "none"
    password: str | None
    passphrase: str | None  # shown once to the sender
    login: str | None
    context: Any  # ssl.SSLContext | None
    sealer: Sealer | None


def send_documents(config: Config, request: EmailRequest, *, user: str | None = None) -> Sent:
    from functools import partial

    from patientdocs.load.visit import now
    from patientdocs.render.pipeline import Pipeline

    pipeline = Pipeline(config, allow_expired=request.allow_expired)
    kinds = [pipeline.kinds.get(name) for name in dict.fromkeys(request.documents)]
    if not kinds:
        raise PatientDocsError("name at least one document to send", field="documents")
    visit = build_visit(config, request.visit, pipeline.today)
    treatment, language = treatment_and_language(config, request.visit)
    mailing = prepare_mailing(config, pipeline, to=request.to, dry_run=request.dry_run, encrypt=request.encrypt,
                              slip=request.slip, dob=visit.dob, treatment=treatment, language=language,
                              documents=len(kinds))
    care = pipeline.content(treatment, language).data.aftercare
    hints = (chest_hints(visit, care.chest_areas)
             if care is not None and any(kind.name == "aftercare" for kind in kinds) else ())

    def make(records: RecordsBase) -> list[Attached]:
        made = []
        for kind in kinds:
            rendered = pipeline.render(kind.sections(first_copy_only=True), visit, treatment=treatment,
                                       language=language, large_print=request.visit.large_print)
            path, _ = save_document(config, pipeline.kinds, records, rendered, visit, output=None,
                                    channel="saved", username=user)
            data = _locked_and_sealed(rendered.pdf, mailing.password, mailing.sealer, now())
            made.append(Attached(path, data, partial(
                records_for, rendered, visit, channel="emailed", file_name=str(path), patient_key=None,
                sha256=hashlib.sha256(data).hexdigest(), recipient=mailing.address, encryption=mailing.policy,
                username=user)))
        return made

    return deliver(config, pipeline, mailing, make, patient=visit.patient, day=visit.date,
                   label="-".join(k.name for k in kinds), slip=request.slip, large_print=request.visit.large_print,
                   dry_run=request.dry_run, hints=hints)


def prepare_mailing(config: Config, pipeline: Pipeline, *, to: str, dry_run: bool, encrypt: bool | None,
                    slip: bool, dob: dt.date | None, treatment: str, language: str, documents: int) -> Mailing:
    """Check every setting and input an email needs, and word it; nothing is made or recorded yet."""
    import ssl

    from patientdocs.deliver import encrypt as lock
    from patientdocs.deliver import mailer
    from patientdocs.deliver.output import slug

    settings = config.email
    smtp = settings.smtp
    if smtp is None and not dry_run:
        raise PatientDocsError(f"{config.source}: email.smtp is not set; add the mail server settings first")
    address = _checked_address(mailer.check_address, to, "to")
    sender = smtp.from_ if smtp is not None else f"noreply@{slug(config.clinic.name)}.invalid"
    mailer.check_sender(sender)
    encrypted = settings.encrypt if encrypt is None else encrypt
    policy = settings.password_policy if encrypted else "none"
    if slip and policy != lock.PASSPHRASE:
        why = ("the documents are not locked" if not encrypted
               else f"email.password_policy is {policy}, which the email explains")
        raise PatientDocsError(f"--slip prints a one-time passphrase for the patient, but {why}; "
                               "leave out --slip", field="slip")
    password = lock.attachment_password(dob, settings.password_policy) if encrypted else None
    passphrase = password if policy == lock.PASSPHRASE else None
    login = mailer.smtp_password(smtp) if smtp is not None and not dry_run else None
    context = None
    if smtp is not None and smtp.ca_file and not dry_run:
        try:
            context = ssl.create_default_context(cafile=str(config.resolve(smtp.ca_file)))
        except (OSError, ssl.SSLError) as exc:
            raise PatientDocsError(f"email.smtp.ca_file: cannot use '{smtp.ca_file}' as a certificate "
                                   f"authority ({exc})") from None
    subject = mailer.format_subject(settings.subject, config.clinic.name)
    body = mailer.compose_body(clinic_name=config.clinic.name, clinic_phone=config.clinic.phone,
                               encrypted=encrypted, password_rule=settings.password_rule,
                               signature=settings.signature, documents=documents)
    # In the patient's language when its content gives the email's words (labels email_*).
    labels = pipeline.content(treatment, language).data.labels
    attachment_word = "document"
    translated = mailer.translated_email(
        labels, language, clinic_name=config.clinic.name, clinic_phone=config.clinic.phone, encrypted=encrypted,
        password_rule=_translated_rule(labels, settings), signature=config.email_signature(language),
        documents=documents)
    if translated is not None:
        subject, body = translated
        attachment_word = mailer.safe_filenames([labels["email_attachment"]])[0][:-4]
    sealer = None
    if config.seal is not None and config.seal.seals("emailed"):
        from patientdocs.deliver.seal import load_sealer

        sealer = load_sealer(config, pipeline.today)  # before anything is made: a bad key stops here
    return Mailing(address, sender, subject, body, attachment_word, encrypted, policy, password, passphrase,
                   login, context, sealer)


def deliver(config: Config, pipeline: Pipeline, mailing: Mailing, make: Callable[[RecordsBase], list[Attached]], *,
            patient: str, day: dt.date, label: str, slip: bool, large_print: bool | None, dry_run: bool,
            hints: tuple[str, ...] = ()) -> Sent:
    """Make the attachments (``make``, with the records open), then send them, or write the email
    to the outbox on a dry run; record them as emailed. ``label`` names the dry run's .eml."""
    from patientdocs.deliver import mailer
    from patientdocs.deliver.output import slug
    from patientdocs.records.store import open_records

    smtp = config.email.smtp
    address, passphrase, policy = mailing.address, mailing.passphrase, mailing.policy
    records = open_records(config)
    try:
        made = make(records)
        # A neutral name: mail programs show it, and it should not say what the document is about.
        attachments = [mailer.Attachment(f"{mailing.attachment_word}-{number}.pdf", one.data)
                       for number, one in enumerate(made, start=1)]
        message = mailer.build_message(sender=mailing.sender, to=address, subject=mailing.subject,
                                       body=mailing.body, attachments=attachments)
        slip_pdf = None
        if slip and passphrase is not None:
            from patientdocs.deliver.slip import render_slip

            # Made before sending: a problem with it stops here, not after the email has gone.
            slip_pdf = render_slip(clinic_name=config.clinic.name, clinic_phone=config.clinic.phone,
                                   brand_colour=config.clinic.brand_colour, paper=config.document.paper,
                                   patient=patient, recipient=address, passphrase=passphrase,
                                   day=pipeline.today, documents=len(made),
                                   large_print=pipeline.large_print(large_print))

        def hand_over(note: str = "") -> Handover | None:
            if passphrase is None:
                return None
            return _hand_over(config, pipeline.today, passphrase, slip_pdf, note)

        paths = tuple(one.path for one in made)
        if dry_run:
            from patientdocs.deliver.output import atomic_write, ensure_folder, inside

            outbox = ensure_folder(config.outbox_dir)
            _clear_old_dry_runs(outbox)
            target = inside(outbox, f"{day.isoformat()}_{slug(patient)}_{label}.eml")
            atomic_write(target, bytes(message))
            return Sent(address, len(attachments), paths, target, mailing.encrypted, passphrase, policy,
                        hand_over(" (opens the attachments of this email)"), hints=hints)
        def record(reply: str) -> None:
            with records.transaction() as conn:
                for one in made:
                    for emailed in one.emailed(server_response=reply):
                        records.insert(conn, emailed)

        assert smtp is not None  # refused by prepare_mailing unless a dry run, which has returned
        caught: tuple[type[BaseException], ...] = (*records.errors, PatientDocsError, KeyboardInterrupt)
        try:
            reply = mailer.send(message, smtp, password=mailing.login, ssl_context=mailing.context)
        except PatientDocsError as exc:
            kept = ", ".join(str(path) for path in paths)
            maybe_sent = getattr(exc, "maybe_sent", False)
            sent = "Nothing was sent"
            if maybe_sent:
                # The records must show the attempt: the patient may have the documents.
                try:
                    record(UNCONFIRMED)
                    sent = "It is recorded as sent but not confirmed"
                except caught:
                    sent = "It could not be added to the records either; note it by hand"
            # Any: the same class as exc, which need not be a DeliveryError (the attributes' home).
            error: Any = type(exc)(f"{str(exc).rstrip('.')}. {sent}; the PDFs are saved: {kept}")
            error.maybe_sent = maybe_sent
            # If it did arrive, the patient cannot open it without this.
            error.handover = hand_over(" (if the email did arrive)") if maybe_sent else None
            raise error from None
        try:
            record(reply)
        except caught as exc:
            # The server has the message: saying "failed" now would make staff send it twice.
            reason = "stopped first" if isinstance(exc, KeyboardInterrupt) else getattr(exc, "message", None) or exc
            error = DeliveryError(f"the email WAS sent to {address}, but it could not be added to the records "
                                  f"({reason}); do not send it again, and note it by hand")
            error.handover = hand_over()  # the email went: the patient needs it all the same
            raise error from None
        return Sent(address, len(attachments), paths, None, mailing.encrypted, passphrase, policy, hand_over(),
                    hints=hints)
    finally:
        records.close()


def _locked_and_sealed(pdf: bytes, password: str | None, sealer: Sealer | None, now: dt.datetime) -> bytes:
    """The attachment: locked with the patient's password, then sealed inside that encryption (a
    seal added before locking would be broken by it), so the patient's reader can check it."""
    import secrets

    from patientdocs.deliver import encrypt

    if password is None:
        return sealer.seal(pdf, when=now) if sealer is not None else pdf
    if sealer is None:
        return encrypt.encrypt_pdf(pdf, password)
    owner = secrets.token_urlsafe(32)  # kept only until the seal is added, then forgotten
    return sealer.seal(encrypt.encrypt_pdf(pdf, password, owner=owner), when=now, owner_password=owner)


# A dry run's .eml holds the patient's documents (and name): it is for checking now, not for keeping.
DRY_RUN_DAYS = 7
_DRY_RUN_NAME = re.compile(r"\d{4}-\d{2}-\d{2}_[a-z0-9_-]+\.eml")


def _clear_old_dry_runs(outbox: Path) -> None:
    """Remove dry-run emails older than DRY_RUN_DAYS (only files named as this tool names them)."""
    import contextlib
    import time

    cutoff = time.time() - DRY_RUN_DAYS * 24 * 3600
    for old in outbox.glob("*.eml"):
        with contextlib.suppress(OSError):
            if _DRY_RUN_NAME.fullmatch(old.name) and old.is_file() and not old.is_symlink() \
                    and old.stat().st_mtime < cutoff:
                old.unlink()


def _translated_rule(labels: dict[str, str], settings) -> str | None:
    """The date-of-birth password rule in the content's language (``email_rule_<policy>``) unless
    the clinic wrote its own (``policy_text``, printed as written); None for a passphrase."""
    rule = settings.password_rule
    if rule is None or settings.policy_text is not None:
        return rule
    return labels.get(f"email_rule_{settings.password_policy}", rule)


def _hand_over(config: Config, day: dt.date, passphrase: str, slip_pdf: bytes | None, note: str) -> Handover:
    """The passphrase, and the slip written now: the email has gone (or is in the outbox)."""
    if slip_pdf is None:
        return Handover(passphrase, note=note)
    from patientdocs.deliver import slip

    try:
        made = slip.write_slip(config.output_dir, day, slip_pdf)
    except PatientDocsError as exc:
        # Failing now would hide the passphrase: the sender writes it on paper instead.
        return Handover(passphrase, slip_problem=str(exc), note=note)
    return Handover(passphrase, slip=made, note=note)

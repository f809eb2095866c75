"""Locking a PDF attachment with a password (AES-256) before it is emailed.

The patient opens the file with a password made from their date of birth by a rule the clinic
chooses (``email.password_policy``); the email tells them the rule, never the password. The
owner password is a long random token that nobody keeps: the patient can open and print the
file but nobody can lift the protection or change the document.
"""

from __future__ import annotations

import datetime
import io
import secrets

from patientdocs.errors import PatientDocsError

POLICIES = {
    "dob_ddmmyyyy": "%d%m%Y",
    "dob_yyyymmdd": "%Y%m%d",
}


def attachment_password(dob: datetime.date | None, policy: str) -> str:
    """The password that opens the patient's attachment, e.g. ``09031984`` for 9 March 1984."""
    if policy not in POLICIES:
        choices = ", ".join(POLICIES)
        raise PatientDocsError(f"email.password_policy: unknown rule '{policy}' (choose one of {choices})")
    if dob is None:
        raise PatientDocsError(
            "a date of birth is needed to lock the emailed document with a password; "
            "give the date of birth, or send it without a password using --no-encrypt"
        )
    if isinstance(dob, datetime.datetime):
        dob = dob.date()
    # strftime pads the year to 4 digits only on some platforms; do it by hand.
    return (
        POLICIES[policy]
        .replace("%d", f"{dob.day:02d}")
        .replace("%m", f"{dob.month:02d}")
        .replace("%Y", f"{dob.year:04d}")
    )


def encrypt_pdf(pdf: bytes, password: str) -> bytes:
    """``pdf`` locked with ``password`` (AES-256, PDF 2.0 security handler R6); printing allowed."""
    import pikepdf  # heavy: imported only when a document is actually locked

    if not password:
        raise PatientDocsError("cannot lock the document: the password is empty")
    permissions = pikepdf.Permissions(
        accessibility=True,  # screen readers
        extract=True,  # copying the clinic's phone number etc.
        modify_annotation=False,
        modify_assembly=False,
        modify_form=True,  # filling in a form before printing it
        modify_other=False,
        print_lowres=True,
        print_highres=True,
    )
    encryption = pikepdf.Encryption(
        owner=secrets.token_urlsafe(32),
        user=password,
        R=6,
        aes=True,
        metadata=True,
        allow=permissions,
    )
    try:
        with pikepdf.open(io.BytesIO(pdf)) as document:
            out = io.BytesIO()
            document.save(out, encryption=encryption)
    except pikepdf.PdfError as exc:
        # Never the document's text: only that it could not be read.
        raise PatientDocsError(f"cannot lock the document: it is not a readable PDF ({type(exc).__name__})") from None
    return out.getvalue()

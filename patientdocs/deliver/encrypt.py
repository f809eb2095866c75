"""Locking a PDF attachment with a password (AES-256) before it is emailed.

By default (``email.password_policy: passphrase``) every message gets its own random one-time
passphrase of short English words. The sender sees it once on the screen (and, with ``--slip``,
on a slip to print) and tells the patient by phone or on paper; it is never in the email, the
records or any log, and nobody keeps it. The clinic may instead choose a date-of-birth rule
(``dob_ddmmyyyy``, ``dob_yyyymmdd``): the email then tells the patient the rule. That password is
guessable by anyone who knows the patient, and by a computer trying every date in minutes.

The owner password is a long random token that nobody keeps: the patient can open and print the
file but nobody can lift the protection or change the document.
"""

from __future__ import annotations

import datetime
import io
import math
import secrets
from functools import cache
from pathlib import Path

from patientdocs.errors import PatientDocsError

PASSPHRASE = "passphrase"
DOB_POLICIES = {
    "dob_ddmmyyyy": "%d%m%Y",
    "dob_yyyymmdd": "%Y%m%d",
}
POLICIES = (PASSPHRASE, *DOB_POLICIES)
# What the email says when the clinic gives no email.policy_text of its own.
DOB_RULE_TEXT = {
    "dob_ddmmyyyy": "your date of birth as 8 digits: day, month, year (for example 09031984)",
    "dob_yyyymmdd": "your date of birth as 8 digits: year, month, day (for example 19840309)",
}
# Every date of birth of a living patient: about 126 years of days. A script tries them all in
# minutes on one core, so a date-of-birth password stops only someone who does not try.
DOB_GUESSES = 46_000

WORD_FILE = Path(__file__).resolve().parent / "data" / "passphrase-words.txt"
PASSPHRASE_WORDS = 5
SEPARATOR = "-"


@cache
def words() -> tuple[str, ...]:
    """The word list of the passphrases (comment lines starting with # left out)."""
    lines = WORD_FILE.read_text(encoding="ascii").splitlines()
    return tuple(dict.fromkeys(line.strip() for line in lines if line.strip() and not line.startswith("#")))


def passphrase_bits() -> float:
    """How many bits of entropy a passphrase has: each word is one of len(words()) equally likely."""
    return PASSPHRASE_WORDS * math.log2(len(words()))


def new_passphrase() -> str:
    """A fresh random passphrase, e.g. ``otter-lunar-crisp-bench-maple``."""
    choices = words()
    return SEPARATOR.join(secrets.choice(choices) for _ in range(PASSPHRASE_WORDS))


def is_dob_policy(policy: str) -> bool:
    return policy in DOB_POLICIES


def attachment_password(dob: datetime.date | None, policy: str) -> str:
    """The password that opens the patient's attachment: a new passphrase, or for a date-of-birth
    rule e.g. ``09031984`` for 9 March 1984."""
    if policy == PASSPHRASE:
        return new_passphrase()
    if policy not in DOB_POLICIES:
        choices = ", ".join(POLICIES)
        raise PatientDocsError(f"email.password_policy: unknown rule '{policy}' (choose one of {choices})")
    if dob is None:
        # Not --no-encrypt: an unlocked attachment is worse than either password.
        raise PatientDocsError(
            f"a date of birth is needed to lock the emailed document: email.password_policy is {policy}; "
            "give --dob, or set email.password_policy: passphrase in config.yaml, which needs no date of "
            "birth and is much harder to guess"
        )
    if isinstance(dob, datetime.datetime):
        dob = dob.date()
    # strftime pads the year to 4 digits only on some platforms; do it by hand.
    return (
        DOB_POLICIES[policy]
        .replace("%d", f"{dob.day:02d}")
        .replace("%m", f"{dob.month:02d}")
        .replace("%Y", f"{dob.year:04d}")
    )


def encrypt_pdf(pdf: bytes, password: str, *, owner: str | None = None) -> bytes:
    """``pdf`` locked with ``password`` (AES-256, PDF 2.0 security handler R6); printing allowed.
    ``owner``: the owner password, when the caller still has work to do inside the encryption
    (the clinic's seal); by default a random one nobody keeps."""
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
        owner=owner or secrets.token_urlsafe(32),
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

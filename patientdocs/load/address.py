"""Email addresses, typed at the desk or read from an export: one check for every place.

Internationalised addresses are accepted (RFC 6531): zoë@example.org and ana@exämple.de are
real patients' addresses, and mail carries them where the server supports SMTPUTF8; a server
without it refuses them when sending, and the message says so. Refused: anything that could add
a header (line breaks), a second address, a display name or quoted text, and look-alike signs
in place of letters.
"""

from __future__ import annotations

import re
import unicodedata

from patientdocs.errors import PatientDocsError, shown

_ATEXT = frozenset("!#$%&'*+/=?^_`{|}~-")
# Letters and digits of any script (no underscore), hyphens inside: a domain label.
_LABEL = re.compile(r"[^\W_](?:(?:[^\W_]|-){0,61}[^\W_])?")


def _atom_char(c: str) -> bool:
    if c.isascii():
        return c.isalnum() or c in _ATEXT
    return unicodedata.category(c)[0] in "LMN"  # letters, marks and digits; not "＠" or "﹒"


def _problem(text: str) -> str | None:
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in text):
        return "it contains a line break or another control character"
    if not text:
        return "it is empty"
    if any(c.isspace() for c in text):
        return "it contains a space"
    if text.count("@") != 1:
        return "it needs exactly one @, as in name@example.org"
    local, domain = text.split("@")
    atoms = local.split(".")
    if not local or len(local.encode("utf-8")) > 64 or not all(atom and all(map(_atom_char, atom)) for atom in atoms):
        return "the part before the @ is not valid"
    labels = domain.split(".")
    if (len(text.encode("utf-8")) > 254 or len(labels) < 2 or not all(_LABEL.fullmatch(label) for label in labels)
            or labels[-1].isdigit()):
        return "the part after the @ is not a domain name like example.org"
    return None


def check_address(addr: str) -> str:
    """``addr`` as a plain address ``name@example.org`` (spaces around it removed, NFC), or a
    PatientDocsError saying what is wrong."""
    typed = addr if isinstance(addr, str) else ""
    text = unicodedata.normalize("NFC", typed.strip(" "))
    problem = _problem(text)
    if problem is not None:
        raise PatientDocsError(f"invalid email address '{shown(typed, 80)}': {problem}")
    return text


def is_email(value: str) -> bool:
    """A plausible single address (see check_address)."""
    try:
        check_address(value)
    except PatientDocsError:
        return False
    return True


def needs_smtputf8(address: str) -> bool:
    """Letters outside ASCII: only a mail server with SMTPUTF8 (RFC 6531) can carry the address."""
    return not address.isascii()

"""Is this PDF one the clinic made, and is it unchanged? The records hold each file's SHA-256."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from patientdocs.errors import PatientDocsError
from patientdocs.records.store import Records


@dataclass(frozen=True)
class Verdict:
    ok: bool
    status: str  # "UNCHANGED", "CHANGED", "NOT RECORDED" (ours, but not a patient's document) or "NOT RECOGNISED"
    message: str


_KEY = re.compile(rb"/(ContentVersion|Fingerprint|ReviewBy|DocumentKinds|Request) \(([^()\\]{1,64})\)")


def read_control_metadata(data: bytes) -> dict[str, str]:
    """The document-control keys written into every PDF this project makes ({} if none).

    Read from the raw bytes, not by parsing the PDF: a damaged or altered file must still
    say which version it claims to be."""
    return {key.decode(): value.decode("latin-1") for key, value in _KEY.findall(data)}


# Far beyond any document this program makes; reading more would only fill the memory.
MAX_BYTES = 200 * 1024 * 1024


def verify_file(path: Path, records_path: Path, *, trusted: list[bytes] | None = None,
                password: str | None = None) -> Verdict:
    """UNCHANGED / CHANGED / NOT RECOGNISED from the records; for a sealed file, the seal is
    checked first, offline: SEALED AND UNCHANGED, CHANGED or SEAL NOT TRUSTED (``trusted``: the
    clinic's certificates, PEM)."""
    try:
        if path.exists() and not path.is_file():  # a pipe or a device would be read forever
            raise PatientDocsError("is not a file", source=path)
        if path.is_file() and path.stat().st_size > MAX_BYTES:
            raise PatientDocsError("is far larger than any document made here (over 200 MB)", source=path)
        data = path.read_bytes()
    except FileNotFoundError:
        raise PatientDocsError("file not found", source=path) from None
    except OSError as exc:
        raise PatientDocsError(f"cannot read file ({exc.strerror})", source=path) from None
    if not data.lstrip()[:5] == b"%PDF-":
        raise PatientDocsError("is not a PDF file", source=path)
    meta = read_control_metadata(data)
    digest = hashlib.sha256(data).hexdigest()
    found = Records(records_path, read_only=True).find(sha256=digest) if records_path.exists() else []
    from patientdocs.deliver import seal  # pyHanko only for a sealed file: see seal_verdict

    note = ""
    if seal.is_sealed(data):
        try:
            return seal_verdict(path, seal.check_seal(data, trusted or [], password=password), meta, found)
        except seal.LockedError:
            # The records can still tell; the seal needs the patient's passphrase to be read.
            note = " It is sealed and locked: run verify --password to check the seal too."
    if found:
        first = found[0]
        kinds = ", ".join(dict.fromkeys(str(r["kind"]) for r in found))
        who = first["patient_id"] or "no patient id"
        return Verdict(True, "UNCHANGED", f"UNCHANGED: {path.name} was made by this clinic on {first['created_at']} "
                             f"({kinds}, patient {who}); content version {first['content_version']}, "
                             f"fingerprint {first['fingerprint']}.{note}")
    if not data.rstrip()[-1024:].endswith(b"%%EOF"):
        claims = f" It says it carries content version {meta.get('ContentVersion', '?')} (fingerprint " \
                 f"{meta['Fingerprint']})." if "Fingerprint" in meta else ""
        return Verdict(False, "CHANGED", f"CHANGED: {path.name} is incomplete: it stops before the end of a PDF "
                                         "(cut short while it was copied or saved?), so it matches no document in "
                                         f"the records.{claims} Find the original, or make it again.{note}")
    if "Fingerprint" in meta:
        return Verdict(False, "CHANGED", f"CHANGED: {path.name} says it carries content version "
                              f"{meta.get('ContentVersion', '?')} (fingerprint {meta['Fingerprint']}), but it "
                              "matches no document in the records: it was changed after it was made, "
                              f"or made with another records database.{note}")
    if _PRODUCER in data:
        # print-all.pdf, a passphrase slip: made here, but only each patient's own file is recorded.
        return Verdict(False, "NOT RECORDED",
                       f"NOT RECORDED: {path.name} was made by this program, but it is not one patient's document "
                       "(a day's print-all.pdf and the passphrase slip are not recorded); verify each "
                       "appointment's own file instead.")
    return Verdict(False, "NOT RECOGNISED",
                   f"NOT RECOGNISED: {path.name} was not made by this program for this clinic.{note}")


_PRODUCER = b"/Producer (patientdocs)"


def seal_verdict(path: Path, check: object, meta: dict[str, str], found: list) -> Verdict:
    """The verdict on a sealed file: the seal decides; the records, when they know the file, add
    who it was made for."""
    status, by, when, detail = check.status, check.sealed_by, check.sealed_at, check.detail  # type: ignore[attr-defined]
    version = meta.get("ContentVersion", "?")
    extra = f" ({detail})" if detail else ""
    if status == "SEALED AND UNCHANGED":
        known = ""
        if found:
            first = found[0]
            known = f" Made on {first['created_at']} for patient {first['patient_id'] or 'with no patient id'}."
        return Verdict(True, status, f"SEALED AND UNCHANGED: {path.name} carries the seal of {by}, made {when}; "
                                     f"content version {version}{extra}.{known}")
    if status == "SEAL NOT TRUSTED":
        return Verdict(False, status, f"SEAL NOT TRUSTED: {path.name} is sealed by {by} ({when}), a certificate this "
                                      "clinic did not configure (seal.certificate or seal.trusted).")
    return Verdict(False, "CHANGED", f"CHANGED: {path.name} carries a seal of {by} ({when}), but {detail}: it was "
                                     "changed after it was sealed.")

"""Email the patient their copy of a consent signed on the tablet, as any other emailed document.

The signed form is already made, saved and recorded (usecases/signing.py), so nothing is rendered
here: the file is checked against the records (a signed consent made here, in the output folder,
unchanged), and the copy sent is that form without its seal, locked with the patient's password
and sealed again inside the encryption (locking the sealed file itself would break its seal).
Checks, words, passphrase, dry run, records and mail failures are send_documents' own
(``prepare_mailing`` and ``deliver``).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

from patientdocs.errors import PatientDocsError
from patientdocs.frozen import frozen

if TYPE_CHECKING:
    from patientdocs.load.config import Config
    from patientdocs.records.base import Record, RecordsBase
    from patientdocs.usecases.email import Sent

__all__ = ["SignedCopy", "SignedEmailRequest", "find_signed", "send_signed", "signed_file"]

SIGNED_KIND = "consent"  # the record kind sign_consent gives the signed form (channel "saved")


@frozen
class SignedEmailRequest:
    to: str
    signed: Path | None = None  # the signed consent's file, as typed (the command line)
    sha256: str | None = None  # or its SHA-256, as signing recorded it (the page keeps it in the session)
    dob: str | None = None  # needed only when the clinic locks with a date-of-birth password
    dry_run: bool = False
    encrypt: bool | None = None  # None: the clinic's setting (email.encrypt)
    slip: bool = False


@frozen
class SignedCopy:
    path: Path
    data: bytes  # the file as saved after signing (sealed when the clinic has a seal)
    record: dict[str, object]  # its row in the records' documents table


def _not_signed(path: Path) -> PatientDocsError:
    return PatientDocsError("is not a consent signed here: the records have no signed consent with exactly these "
                            "contents; choose the file ending in consent-signed.pdf saved after signing",
                            source=path, field="signed")


def _signed_record(records: RecordsBase, digest: str) -> dict[str, object] | None:
    """The signed form's own record: a saved consent with a row in ``signatures`` for these bytes."""
    if not records.query("SELECT id FROM signatures WHERE document_sha256 = ?", [digest]):
        return None
    return next((row for row in records.find(sha256=digest)
                 if row["kind"] == SIGNED_KIND and row["channel"] == "saved"), None)


def find_signed(config: Config, records: RecordsBase, request: SignedEmailRequest) -> SignedCopy:
    """The signed consent named by path or by its SHA-256, checked: inside the output folder, a
    file, and in the records as a consent signed here with exactly these bytes."""
    from patientdocs.records.verify import MAX_BYTES

    if request.sha256 is not None:
        # Only a hash from the page: the records say where the file is, the checks below that it still is.
        row = _signed_record(records, request.sha256)
        if row is None or not row["file_name"]:
            raise PatientDocsError("the signed consent is not in the records; sign it again", field="signed")
        typed = Path(str(row["file_name"]))
    elif request.signed is not None:
        typed = request.signed
    else:
        raise PatientDocsError("name the signed consent to send", field="signed")
    root = config.output_dir.resolve()
    try:
        path = typed.resolve(strict=True)
    except FileNotFoundError:
        raise PatientDocsError("file not found", source=typed, field="signed") from None
    except (OSError, RuntimeError) as exc:
        raise PatientDocsError(f"cannot read file ({exc})", source=typed, field="signed") from None
    if not path.is_relative_to(root):
        raise PatientDocsError(f"is outside the output folder {config.output_dir}; only a signed consent saved "
                               "there can be emailed", source=typed, field="signed")
    if not path.is_file():
        raise PatientDocsError("is not a file", source=typed, field="signed")
    if path.stat().st_size > MAX_BYTES:
        raise _not_signed(typed)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PatientDocsError(f"cannot read file ({exc.strerror})", source=typed, field="signed") from None
    digest = hashlib.sha256(data).hexdigest()
    if request.sha256 is not None and digest != request.sha256:
        raise PatientDocsError("has changed since it was signed, so it is not sent; sign the consent again",
                               source=path.name, field="signed")
    record = _signed_record(records, digest)
    if record is None:
        raise _not_signed(typed)
    return SignedCopy(path, data, record)


def signed_file(config: Config, sha256: str) -> Path | None:
    """Where the consent signed with these bytes was saved (for the page's buttons), or None."""
    from patientdocs.records.store import open_records, records_exist

    if not records_exist(config):
        return None
    records = open_records(config, read_only=True)
    try:
        row = _signed_record(records, sha256)
    finally:
        records.close()
    return Path(str(row["file_name"])) if row is not None and row["file_name"] else None


def send_signed(config: Config, request: SignedEmailRequest, *, user: str | None = None) -> Sent:
    """Check the signed consent, then email it locked and sealed through send_documents' path."""
    import datetime as dt
    from functools import partial

    from patientdocs.deliver import seal
    from patientdocs.load.visit import now, parse_date
    from patientdocs.records.store import open_records, records_exist
    from patientdocs.render.pipeline import Pipeline
    from patientdocs.usecases.email import Attached, _locked_and_sealed, deliver, prepare_mailing

    if not records_exist(config):
        raise (_not_signed(request.signed) if request.signed is not None
               else PatientDocsError("there are no records yet, so no signed consent", field="signed"))
    records = open_records(config, read_only=True)
    try:
        found = find_signed(config, records, request)
        row = found.record
        dob = parse_date(request.dob, "dob") if request.dob else None
        # Without a patient id, the records know the patient by name and date of birth: a date of
        # birth that does not give their identity would lock the copy with someone else's password.
        if dob is not None and not row["patient_id"] and row["patient_key"] and records.identity(
                name=str(row["patient_name"]), patient_id=None, dob=dob) != row["patient_key"]:
            raise PatientDocsError("the date of birth is not that of the patient who signed this consent",
                                   field="dob")
    finally:
        records.close()
    form = found.data
    if seal.is_sealed(form):
        try:
            form = seal.unsealed(form)
        except PatientDocsError as exc:
            raise PatientDocsError(exc.message, source=found.path, field="signed") from None
    pipeline = Pipeline(config)
    mailing = prepare_mailing(config, pipeline, to=request.to, dry_run=request.dry_run, encrypt=request.encrypt,
                              slip=request.slip, dob=dob, treatment=str(row["treatment"]),
                              language=str(row["language"]), documents=1)

    def make(records: RecordsBase) -> list[Attached]:
        # Not locked: the very file saved after signing, its seal intact, goes as it is.
        data = (found.data if mailing.password is None
                else _locked_and_sealed(form, mailing.password, mailing.sealer, now()))
        return [Attached(found.path, data, partial(_emailed, row, found.path, hashlib.sha256(data).hexdigest(),
                                                   mailing.address, mailing.policy, user))]

    day = dt.date.fromisoformat(str(row["visit_date"])) if row["visit_date"] else pipeline.today
    return deliver(config, pipeline, mailing, make, patient=str(row["patient_name"]), day=day,
                   label="consent-signed", slip=request.slip, large_print=None, dry_run=request.dry_run)


def _emailed(row: dict[str, object], path: Path, sha256: str, recipient: str, encryption: str, username: str | None,
             *, server_response: str) -> list[Record]:
    """The emailed copy's record: the signed form's own, with what left the clinic and how."""
    from patientdocs.records.base import Record

    def text(key: str) -> str | None:
        return None if row[key] is None else str(row[key])

    return [Record(patient_name=str(row["patient_name"]), patient_id=text("patient_id"), kind=str(row["kind"]),
                   treatment=str(row["treatment"]), language=str(row["language"]),
                   content_version=str(row["content_version"]), fingerprint=str(row["fingerprint"]), sha256=sha256,
                   channel="emailed", file_name=str(path.resolve()), recipient=recipient,
                   server_response=server_response, visit_date=text("visit_date"), patient_key=None,
                   encryption=encryption, username=username)]

"""Consent signed in the clinic on a tablet: checked, drawn into the form, recorded and sealed.

The page hands the tablet to the patient, who confirms their date of birth, answers the health
questions and signs (drawn with a finger or stylus, or their typed name where they cannot draw);
a guardian or interpreter signs in their own block when needed, and the therapist countersigns.
``sign_consent`` refuses a consent without the signatures it needs. The signed PDF holds the
answers, the signatures, the names and an audit page (who, when, which device, the content
version and fingerprint, the checksum of the unsigned form, the witness); it is sealed when the
clinic has a seal, saved with its record and a ``signatures`` row, and the patient gets the same
file (printed or emailed like any other document).
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Mapping
from typing import TYPE_CHECKING

from patientdocs.errors import PatientDocsError
from patientdocs.frozen import frozen
from patientdocs.usecases.saving import VisitInput, build_visit, records_for, treatment_and_language

if TYPE_CHECKING:
    from pathlib import Path

    from patientdocs.load.config import Config

__all__ = ["ROLES", "Answer", "SignRequest", "Signed", "SignerInput", "sign_consent"]

# Who may sign, in the order the audit page lists them. Either the patient or a guardian signs.
ROLES = ("patient", "guardian", "interpreter", "therapist")
MAX_SIGNATURE_BYTES = 512 * 1024  # a drawn signature is a small PNG; far more is not one
MAX_SIGNATURE_PIXELS = 4000 * 2000


@frozen
class SignerInput:
    role: str  # one of ROLES
    name: str
    drawing: bytes | None = None  # the signature drawn on the screen, as a PNG
    typed: bool = False  # typed their name as their signature (cannot draw)


@frozen
class Answer:
    answer: str  # "yes" or "no"
    details: str = ""


@frozen
class SignRequest:
    visit: VisitInput
    dob_confirmed: str  # the date of birth the patient typed on the tablet
    answers: Mapping[str, Answer]  # by screening question id
    signers: tuple[SignerInput, ...]
    device: str = ""  # e.g. "Front desk tablet 2 (Chrome on Android)"
    witness: str | None = None  # who witnessed; default the therapist who countersigned
    allow_expired: bool = False


@frozen
class Signed:
    path: Path
    sha256: str
    pages: int
    version: str
    sealed: bool
    signers: str


def _error(message: str, field: str) -> PatientDocsError:
    error = PatientDocsError(message)
    error.field = field
    return error


def _checked_drawing(data: bytes, role: str) -> bytes:
    """A drawn signature: a PNG of a sane size, checked before it goes anywhere near the PDF."""
    from PIL import Image, UnidentifiedImageError

    if len(data) > MAX_SIGNATURE_BYTES:
        raise _error(f"the {role}'s signature is far larger than a drawn signature (over 512 KB); draw it again",
                     f"{role}_signature")
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != "PNG" or image.width * image.height > MAX_SIGNATURE_PIXELS:
                raise _error(f"the {role}'s signature must be a PNG drawing of at most 4000 x 2000 pixels",
                             f"{role}_signature")
            image.load()
            box = image.convert("RGBA").getbbox()
            alpha = image.convert("RGBA").getchannel("A").getbbox()
    except (UnidentifiedImageError, OSError, ValueError):
        raise _error(f"the {role}'s signature is not a readable drawing; draw it again", f"{role}_signature") from None
    if box is None or alpha is None:
        raise _error(f"the {role}'s signature is empty; sign in the box", f"{role}_signature")
    return data


def _checked_signers(request: SignRequest, interpreter_needed: bool) -> list[SignerInput]:
    from patientdocs.load.visit import clean_text

    found: dict[str, SignerInput] = {}
    for signer in request.signers:
        if signer.role not in ROLES:
            raise _error(f"unknown signer '{signer.role}' (one of {', '.join(ROLES)})", "role")
        if signer.role in found:
            raise _error(f"two signatures for the {signer.role}", f"{signer.role}_signature")
        name = clean_text(signer.name, f"{signer.role}_name")
        if not name:
            raise _error(f"the {signer.role}'s name is missing", f"{signer.role}_name")
        if signer.drawing is None and not signer.typed:
            raise _error(f"the {signer.role} has not signed: draw the signature, or type the name as the signature",
                         f"{signer.role}_signature")
        drawing = _checked_drawing(signer.drawing, signer.role) if signer.drawing is not None else None
        found[signer.role] = SignerInput(signer.role, name, drawing, drawing is None)
    if "patient" not in found and "guardian" not in found:
        raise _error("the consent needs the patient's signature (or a parent's or guardian's)", "patient_signature")
    if "therapist" not in found:
        raise _error("the therapist must countersign the consent", "therapist_signature")
    if interpreter_needed and "interpreter" not in found:
        raise _error("an interpreter was used: the interpreter must sign too", "interpreter_signature")
    return [found[role] for role in ROLES if role in found]


def sign_consent(config: Config, request: SignRequest, *, user: str | None = None) -> Signed:
    """Check everything, make the signed consent with its audit page, seal, save and record it."""
    from patientdocs.deliver.output import remove_stale_parts
    from patientdocs.kinds import Kind
    from patientdocs.load.visit import now, parse_date
    from patientdocs.records import signatures
    from patientdocs.records.store import Records, save_with_record
    from patientdocs.render.pipeline import Pipeline
    from patientdocs.usecases.saving import default_output

    pipeline = Pipeline(config, allow_expired=request.allow_expired)
    visit = build_visit(config, request.visit, pipeline.today)
    treatment, language = treatment_and_language(config, request.visit)
    if visit.dob is None:
        raise _error("the patient's date of birth is needed to confirm who is signing", "dob")
    try:
        confirmed = parse_date(request.dob_confirmed, "dob_confirmed")
    except PatientDocsError:
        confirmed = None
    if confirmed != visit.dob:
        raise _error("the date of birth the patient confirmed does not match the appointment; check who is "
                     "signing before going on", "dob_confirmed")
    loaded = pipeline.content(treatment, language)
    questions = [q.id for q in loaded.data.consent.screening.questions]  # type: ignore[union-attr]
    missing = [q for q in questions if q not in request.answers]
    if missing:
        raise _error(f"{len(missing)} health question(s) not answered: {', '.join(missing)}",
                     f"answer_{missing[0]}")
    unknown = sorted(set(request.answers) - set(questions))
    if unknown:
        raise _error(f"unknown health question(s): {', '.join(unknown)}", "answers")
    for qid, answer in request.answers.items():
        if answer.answer not in ("yes", "no"):
            raise _error(f"question {qid}: answer yes or no", f"answer_{qid}")
    signers = _checked_signers(request, interpreter_needed=bool(visit.interpreter))
    sealer = None
    if config.seal is not None and config.seal.seals("signed"):
        from patientdocs.deliver.seal import load_sealer

        sealer = load_sealer(config, pipeline.today)  # before anything is made

    when = now()
    stamp = when.strftime("%Y-%m-%d %H:%M")
    labels = loaded.data.labels
    filled: dict[str, str | bytes] = {}
    for qid, answer in request.answers.items():
        filled[f"screening_{qid.replace('-', '_')}"] = answer.answer
        if answer.details:
            filled[f"screening_{qid.replace('-', '_')}_details"] = answer.details
    for signer in signers:
        block = "patient" if signer.role == "guardian" else signer.role  # one block for patient or guardian
        filled[f"{block}_signature"] = signer.drawing if signer.drawing is not None else signer.name
        filled[f"{block}_name"] = signer.name
        filled[f"{block}_date"] = when.date().isoformat()
    sections = [("consent", "signed")]
    unsigned = pipeline.render(sections, visit, treatment=treatment, language=language)
    unsigned_sha = hashlib.sha256(unsigned.pdf).hexdigest()
    witness = request.witness or next((s.name for s in signers if s.role == "therapist"), "")
    how = {True: labels.get("signing_typed", "typed their name"),
           False: labels.get("signing_drawn", "signed by hand on the screen")}
    signing = {
        "signers": [{"role": labels.get(f"signing_{s.role}", s.role.capitalize()), "name": s.name,
                     "how": how[s.drawing is None], "time": stamp} for s in signers],
        "device": request.device or "-", "witness": witness,
        "identity": visit.dob.isoformat(), "version": unsigned.version, "fingerprint": unsigned.fingerprint,
        "unsigned_sha256": unsigned_sha,
        "answers": ", ".join(f"{qid}: {a.answer}" for qid, a in request.answers.items()),
    }
    record_kind = Kind("signing-record", "signing-record.xml.j2", "consent")
    pipeline.kinds = pipeline.kinds.extended([record_kind])
    rendered = pipeline.render([*sections, ("signing-record", "")], visit, treatment=treatment, language=language,
                               filled=filled, extra={"signing": signing})
    data = sealer.seal(rendered.pdf, when=when) if sealer is not None else rendered.pdf
    who = "; ".join(f"{s.role}: {s.name} ({'typed' if s.drawing is None else 'drawn'})" for s in signers)
    records = Records(config.records_path)
    try:
        identity = records.identity(name=visit.patient, patient_id=visit.patient_id, dob=visit.dob)
        registry = pipeline.kinds
        target = default_output(config, registry, ("consent",), visit, records, identity)
        target = target.with_name(target.stem + "-signed" + target.suffix)
        digest = hashlib.sha256(data).hexdigest()
        new = records_for(rendered, visit, channel="saved", file_name=str(target), patient_key=identity,
                          sha256=digest, username=user)
        new = [r for r in new if r.kind == "consent"]
        signature = signatures.Signature(
            signed_at=when.isoformat(), document_sha256=digest, patient_key=identity, patient_id=visit.patient_id,
            treatment=treatment, language=language, content_version=rendered.version, signers=who,
            device=request.device or None, witness=witness or None, unsigned_sha256=unsigned_sha, recorded_by=user)
        save_with_record(records, target, data, new, also=lambda conn: signatures.insert(conn, signature))
    finally:
        records.close()
    remove_stale_parts(target.parent)
    return Signed(target, digest, rendered.pages, rendered.version, sealer is not None, who)

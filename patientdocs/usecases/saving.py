"""What every way of making a document shares: the visit from what was typed, the file's name,
its records, and saving the file with its records as one unit."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING

from patientdocs.frozen import frozen

if TYPE_CHECKING:
    import datetime as dt

    from patientdocs.deliver.seal import Sealer
    from patientdocs.kinds import Registry
    from patientdocs.load.config import Config
    from patientdocs.load.visit import Visit
    from patientdocs.records.base import Record, RecordsBase
    from patientdocs.render.pipeline import Rendered


@frozen
class VisitInput:
    """One patient's visit, as typed (CLI options or form fields): nothing is checked yet."""

    patient: str
    dob: str | None = None
    patient_id: str | None = None
    therapist: str | None = None
    date: str | None = None
    language: str | None = None
    treatment: str | None = None
    areas: tuple[str, ...] = ()
    estim: bool = False
    next_visit: str | None = None
    note: str | None = None
    chest_region: str | None = None  # "yes" | "no" | None
    # The consent form's therapist box; None: printed as blanks to write in.
    condition: str | None = None
    estim_planned: str | None = None  # "yes" | "no" | None
    risk_factors: str | None = None
    risks_discussed: str | None = None
    large_print: bool | None = None
    extra: Mapping[str, str] = field(default_factory=dict)  # further visit fields later issues add


def build_visit(config: Config, typed: VisitInput, today: dt.date) -> Visit:
    """The checked Visit; the first bad value is a PatientDocsError naming its field."""
    from patientdocs.load.visit import make_visit

    return make_visit(patient=typed.patient, date=typed.date, dob=typed.dob, patient_id=typed.patient_id,
                      therapist=typed.therapist or config.defaults.therapist, areas=tuple(typed.areas),
                      estim=typed.estim, next_visit=typed.next_visit, note=typed.note,
                      chest_region=typed.chest_region, condition=typed.condition,
                      estim_planned=typed.estim_planned, risk_factors=typed.risk_factors,
                      risks_discussed=typed.risks_discussed, today=today)


def chest_hints(visit: Visit, terms: list[str]) -> tuple[str, ...]:
    """What the screen says about the chest warning of an aftercare sheet (never the sheet itself).

    The words of the areas only suggest: they may ask "did you needle near the chest?" and
    point out an answer of "no" that they contradict, but the therapist's answer decides."""
    from patientdocs.render.context import chest_suggestions

    suggested = chest_suggestions(visit.areas, terms)
    if visit.chest_region is True:
        return ()
    if visit.chest_region is False:
        if not suggested:
            return ()
        return (f"The areas mention '{suggested[0]}', but the chest region was answered no, so the sheet has no "
                "chest warning. If a needle went near the chest wall, upper back, neck or shoulder, make it again "
                "with --chest-region yes",)
    if suggested:
        return (f"The areas mention '{suggested[0]}': did you needle near the chest wall, upper back, neck or "
                "shoulder? Use --chest-region yes|no (the sheet now has the chest warning for 'if needles were "
                "used near ...')",)
    return ("Chest region not stated: the sheet has the chest warning for 'if needles were used near ...'. "
            "Use --chest-region yes|no",)


def treatment_and_language(config: Config, typed: VisitInput) -> tuple[str, str]:
    return typed.treatment or config.defaults.treatment, typed.language or config.defaults.language


def records_for(rendered: Rendered, visit: Visit, *, channel: str, file_name: str, patient_key: str | None,
                sha256: str | None = None, recipient: str | None = None, server_response: str | None = None,
                encryption: str | None = None, username: str | None = None) -> list[Record]:
    """The records of one file: one per kind of document in it. ``sha256`` is of the bytes that
    left the clinic when they differ from the PDF made (an emailed, locked attachment)."""
    from patientdocs.records.store import Record

    digest = sha256 or hashlib.sha256(rendered.pdf).hexdigest()
    # The full path, not as typed ("out/x.pdf" from one folder, "../out/x.pdf" from another): one
    # file has one name in the records, whichever folder the command was run from.
    file_name = str(Path(file_name).resolve())
    return [Record(patient_name=visit.patient, patient_id=visit.patient_id, kind=kind, treatment=rendered.treatment,
                   language=rendered.language, content_version=rendered.version, fingerprint=rendered.fingerprint,
                   sha256=digest, channel=channel, file_name=file_name, recipient=recipient,
                   server_response=server_response, visit_date=visit.date.isoformat(), patient_key=patient_key,
                   encryption=encryption, username=username)
            for kind in rendered.kinds]


def theirs(records: RecordsBase, identity: str, name: str, patient_id: str | None):
    """Whether a file already at a path was made here for this very patient (see Records.identity)."""
    from patientdocs.records.store import file_sha256

    def check(target: Path) -> bool:
        digest = file_sha256(target)
        return digest is not None and records.made_for(digest, identity, name, patient_id)

    return check


def default_output(config: Config, registry: Registry, kinds: tuple[str, ...], visit: Visit, records: RecordsBase,
                   identity: str) -> Path:
    """``out/<date>_<name>[_<id>]_<documents>.pdf``, never the file of a different patient.

    Two patients can have the same name: a file made for someone else (another date of birth,
    see Records.identity), or not by this tool, is never replaced; -2, -3 ... is added."""
    from patientdocs.deliver.naming import file_stem, free_name
    from patientdocs.deliver.output import ensure_folder

    folder = ensure_folder(config.output_dir)
    stem = file_stem(visit.date, visit.patient, visit.patient_id, label=registry.file_label(kinds))
    return free_name(folder, stem, ".pdf", is_theirs=theirs(records, identity, visit.patient, visit.patient_id))


def save_document(config: Config, registry: Registry, records: RecordsBase, rendered: Rendered, visit: Visit, *,
                  output: Path | None, channel: str, sealer: Sealer | None = None,
                  username: str | None = None) -> tuple[Path, str]:
    """Save one PDF with its records, as one unit of work; returns its path and the patient's identity.
    With ``sealer``, the file saved (and recorded) carries the clinic's seal."""
    from patientdocs.records.store import recover_replaced, save_with_record

    recover_replaced(records, output.parent if output is not None else config.output_dir)
    identity = records.identity(name=visit.patient, patient_id=visit.patient_id, dob=visit.dob)
    target = output if output is not None else default_output(config, registry, rendered.kinds, visit, records,
                                                              identity)
    data = rendered.pdf
    if sealer is not None:
        from patientdocs.load.visit import now

        data = sealer.seal(data, when=now())
    save_with_record(records, target, data,
                     records_for(rendered, visit, channel=channel, file_name=str(target), patient_key=identity,
                                 sha256=hashlib.sha256(data).hexdigest(), username=username))
    return target, identity

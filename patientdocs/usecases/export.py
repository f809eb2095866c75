"""Export the records as FHIR R4 (``export --fhir``): the documents, for a patient's health record."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING

from patientdocs.errors import PatientDocsError
from patientdocs.frozen import frozen

if TYPE_CHECKING:
    from patientdocs.load.config import Config

__all__ = ["Exported", "export_fhir"]


@frozen
class Exported:
    path: Path
    documents: int  # DocumentReference resources written
    consents: int  # Consent resources written
    skipped: tuple[str, ...]  # documents not exported, and why (the file is gone or was changed)


def _display(label: str) -> str:
    """"the consent form" -> "Consent form": a title, as an EHR lists it."""
    text = label.removeprefix("the ").strip() or label
    return text[:1].upper() + text[1:]


def _signed_at(config: Config) -> dict[str, str]:
    """When each consent form signed on a tablet was signed, by the signed file's SHA-256."""
    from patientdocs.records.store import open_records

    records = open_records(config, read_only=True)
    try:
        rows = records.query("SELECT document_sha256, signed_at FROM signatures ORDER BY id", [])
    finally:
        records.close()
    return {str(row["document_sha256"]): str(row["signed_at"]) for row in rows}


def export_fhir(config: Config, output: Path, *, on_date: str | None = None,
                patient_id: str | None = None) -> Exported:
    """Write the documents of the records matching the filters as a FHIR R4 transaction Bundle.

    Each document's PDF is read from where it was saved and must still be the file recorded (its
    SHA-256): one that is gone or was changed is left out and named in ``skipped``. Emailed
    records are the same documents as their saved copies, so they are not exported twice."""
    from patientdocs.deliver.output import atomic_write, check_writable, slug
    from patientdocs.kinds import for_config
    from patientdocs.records import fhir
    from patientdocs.usecases.records import find_records

    if output.suffix.lower() != ".json":
        raise PatientDocsError(f"-o {output.name}: the bundle is JSON; give a file name ending in .json",
                               field="output")
    try:
        check_writable(output)
    except PatientDocsError as exc:
        exc.field = "output"
        raise
    rows = find_records(config, patient_id=patient_id, on_date=on_date)
    signed = _signed_at(config) if any(row["kind"] == "consent" for row in rows) else {}
    registry = for_config(config)

    def label(kind: str) -> str:
        return _display(registry.get(kind).label) if kind in registry else kind

    documents, skipped, seen = [], [], set()
    for row in rows:
        key = (row["sha256"], row["kind"])
        if row["channel"] == "emailed" or key in seen or not row["file_name"]:
            continue
        seen.add(key)
        path = Path(str(row["file_name"]))
        try:
            pdf = path.read_bytes()
        except OSError:
            skipped.append(f"{path.name}: not found where it was saved")
            continue
        if hashlib.sha256(pdf).hexdigest() != row["sha256"]:
            skipped.append(f"{path.name}: changed since it was made (it is not the file recorded)")
            continue
        documents.append((row, pdf))
    system = f"urn:patientdocs:{slug(config.clinic.name, fallback='clinic')}:patient-id"
    data = fhir.bundle(documents, label=label, patient_system=system, signatures=signed)
    text = json.dumps(data, indent=1, ensure_ascii=False) + "\n"
    atomic_write(output, text.encode("utf-8"))
    kinds = [entry["resource"]["resourceType"] for entry in data["entry"]]
    return Exported(output, kinds.count("DocumentReference"), kinds.count("Consent"), tuple(dict.fromkeys(skipped)))

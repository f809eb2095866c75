"""The records: which documents were made and sent, and whether a PDF is one of them, unchanged."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from patientdocs.errors import PatientDocsError

if TYPE_CHECKING:
    from patientdocs.load.config import Config
    from patientdocs.records.verify import Verdict

__all__ = ["find_records", "verify_document"]


def find_records(config: Config, *, patient_id: str | None = None, on_date: str | None = None) -> list[dict[str, Any]]:
    """Records matching every filter given, oldest first; ``on_date`` (YYYY-MM-DD) is the visit's day."""
    from patientdocs.load.visit import parse_date
    from patientdocs.records.store import Records

    try:
        day = parse_date(on_date, "--date") if on_date is not None else None  # "" is an error, not "all"
    except PatientDocsError as exc:
        exc.field = "date"
        raise
    if not config.records_path.exists():
        return []
    records = Records(config.records_path, read_only=True)
    try:
        return records.find(patient_id=patient_id, on_date=day)
    finally:
        records.close()


def verify_document(config: Config, path: Path, *, password: str | None = None) -> Verdict:
    """Was this PDF made by this clinic, and is it unchanged? (ok, status, message). A sealed
    file's seal is checked against the clinic's certificates; ``password`` opens a locked one."""
    from patientdocs.deliver.seal import trusted_certificates
    from patientdocs.records.verify import verify_file

    return verify_file(path, config.records_path, trusted=trusted_certificates(config), password=password)

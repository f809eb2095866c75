"""The records: which documents were made and sent, and whether a PDF is one of them, unchanged."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from patientdocs.errors import PatientDocsError

if TYPE_CHECKING:
    from patientdocs.load.config import Config
    from patientdocs.records.verify import Verdict

__all__ = ["find_records", "migrate_records", "verify_document"]


def find_records(config: Config, *, patient_id: str | None = None, on_date: str | None = None) -> list[dict[str, Any]]:
    """Records matching every filter given, oldest first; ``on_date`` (YYYY-MM-DD) is the visit's day."""
    from patientdocs.load.visit import parse_date
    from patientdocs.records.store import open_records, records_exist

    try:
        day = parse_date(on_date, "--date") if on_date is not None else None  # "" is an error, not "all"
    except PatientDocsError as exc:
        exc.field = "date"
        raise
    if not records_exist(config):
        return []
    records = open_records(config, read_only=True)
    try:
        return records.find(patient_id=patient_id, on_date=day)
    finally:
        records.close()


def verify_document(config: Config, path: Path, *, password: str | None = None) -> Verdict:
    """Was this PDF made by this clinic, and is it unchanged? (ok, status, message). A sealed
    file's seal is checked against the clinic's certificates; ``password`` opens a locked one."""
    from patientdocs.deliver.seal import trusted_certificates
    from patientdocs.records.verify import verify_file

    return verify_file(path, config, trusted=trusted_certificates(config), password=password)


def migrate_records(config: Config, source: Path | None = None) -> tuple[str, str, list[Any]]:
    """Copy the SQLite records file (``paths.records``, or ``source``) into the server of ``records.url``.

    Returns where from, where to, and each table copied (name, rows, SHA-256)."""
    if not config.records.url:
        raise PatientDocsError(f"{config.source}: records.url is not set; name the PostgreSQL server to copy the "
                               "records into (postgresql://USER@HOST/DATABASE)")
    path = source if source is not None else config.records_path
    if not path.is_file():
        raise PatientDocsError(f"no records file at '{path}' to copy (give it with --from)")
    from patientdocs.records.migrate import migrate
    from patientdocs.records.postgres import PostgresRecords
    from patientdocs.records.store import Records

    lite = Records(path)
    try:
        server = PostgresRecords(config.records.url, config.records.password_env)
        try:
            return lite.where, server.where, migrate(lite, server)
        finally:
            server.close()
    finally:
        lite.close()

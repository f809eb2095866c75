"""Signed consent: who signed which version of the consent content, when (the ``signatures`` table).

Each signing on a tablet adds one row beside the signed file's own record in ``documents``. The
re-consent list asks it: for each patient, the last version they signed and when.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

from patientdocs.errors import PatientDocsError
from patientdocs.frozen import frozen

if TYPE_CHECKING:
    from patientdocs.records.store import Records

# The migration that adds the table (listed in store.MIGRATIONS).
MIGRATION = (
    """CREATE TABLE signatures (
        id INTEGER PRIMARY KEY,
        signed_at TEXT NOT NULL,
        document_sha256 TEXT NOT NULL,
        patient_key TEXT,
        patient_id TEXT,
        treatment TEXT NOT NULL,
        language TEXT NOT NULL,
        content_version TEXT NOT NULL,
        signers TEXT NOT NULL,
        device TEXT,
        witness TEXT,
        unsigned_sha256 TEXT NOT NULL,
        recorded_by TEXT
    )""",
    "CREATE INDEX signatures_patient ON signatures (patient_key, signed_at)",
)


@frozen
class Signature:
    signed_at: str  # ISO 8601, UTC
    document_sha256: str
    patient_key: str | None
    patient_id: str | None
    treatment: str
    language: str
    content_version: str
    signers: str  # e.g. "patient: Ana Lima (drawn); therapist: Sam Patel (drawn)"
    device: str | None
    witness: str | None
    unsigned_sha256: str
    recorded_by: str | None = None  # the staff account that handed the tablet over


def insert(conn: sqlite3.Connection, signature: Signature) -> None:
    from dataclasses import asdict

    data = asdict(signature)
    columns = ", ".join(data)
    conn.execute(f"INSERT INTO signatures ({columns}) VALUES ({', '.join(':' + k for k in data)})", data)


def last_signed(records: Records, treatment: str) -> dict[str, tuple[str, str]]:
    """For each patient (by records identity) the consent version they last signed and when."""
    sql = ("SELECT patient_key, content_version, signed_at FROM signatures WHERE treatment = ? "
           "AND patient_key IS NOT NULL ORDER BY signed_at, id")
    try:
        rows = records.conn.execute(sql, (treatment,)).fetchall()
    except sqlite3.DatabaseError as exc:
        raise PatientDocsError(f"cannot read records database '{records.path}' ({exc})") from None
    return {str(key): (str(version), str(at)) for key, version, at in rows}

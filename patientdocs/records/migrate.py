"""Copy a clinic's SQLite records file into the group's PostgreSQL server (``records migrate``).

Every table of the file is copied whole, ids included, in one transaction, into a server database
that holds no records yet; the patient key (table salts) comes along, so the identities already
recorded still tell namesakes apart. Before the commit, each table's row count and a SHA-256 of
all its rows, read back from the server, must equal the file's: otherwise nothing is kept.
"""

from __future__ import annotations

import hashlib
import sqlite3
from typing import Any

from patientdocs.errors import PatientDocsError
from patientdocs.frozen import frozen
from patientdocs.records.postgres import PostgresRecords
from patientdocs.records.store import Records


@frozen
class Copied:
    table: str
    rows: int
    sha256: str  # of every row, in id order, as both databases give them back


def _tables(source: Records) -> list[str]:
    rows = source.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                               "ORDER BY name").fetchall()
    return [row[0] for row in rows]


def _columns(source: Records, table: str) -> list[str]:
    return [row[1] for row in source.conn.execute(f'PRAGMA table_info("{table}")')]


def _value(value: Any) -> Any:
    # BLOB comes back as bytes from SQLite and as memoryview/bytes from psycopg: compare as bytes.
    return bytes(value) if isinstance(value, (bytes, memoryview)) else value


def _digest(rows: list[tuple[Any, ...]]) -> str:
    digest = hashlib.sha256()
    for row in rows:
        digest.update(repr(tuple(_value(v) for v in row)).encode("utf-8"))
    return digest.hexdigest()


def _order(columns: list[str]) -> str:
    return "id" if "id" in columns else ", ".join(f'"{c}"' for c in columns)


def migrate(source: Records, target: PostgresRecords) -> list[Copied]:
    """Copy every table of ``source`` into ``target``; counts and hashes checked before the commit."""
    held = target.count()
    if held:
        raise PatientDocsError(f"the records database {target.where} already holds {held} records; copy into a "
                               "database that holds none, so no record is there twice")
    tables = _tables(source)
    copied: list[Copied] = []
    try:
        with target.transaction() as conn:
            for table in tables:
                columns = _columns(source, table)
                names = ", ".join(f'"{c}"' for c in columns)
                rows = [tuple(row) for row in source.conn.execute(
                    f'SELECT {names} FROM "{table}" ORDER BY {_order(columns)}')]
                wanted = {row["column_name"] for row in conn.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = %s", (table,))}
                if not wanted or set(columns) - wanted:
                    raise PatientDocsError(f"the table {table} of {source.where} has no place in {target.where} "
                                           "(the two were made by different versions of this program)")
                if table == "salts":
                    conn.execute("DELETE FROM salts")  # the server's new key gives way to the file's
                marks = ", ".join("%s" for _ in columns)
                with conn.cursor() as cursor:
                    cursor.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})',  # type: ignore[arg-type]
                                       [tuple(_value(v) for v in row) for row in rows])
                if "id" in columns and rows:
                    # New records go on after the copied ones.
                    conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # type: ignore[arg-type]
                                 f'(SELECT max(id) FROM "{table}"))')
                back = [tuple(r.values()) for r in conn.execute(  # type: ignore[call-overload]
                    f'SELECT {names} FROM "{table}" ORDER BY {_order(columns)}')]  # type: ignore[arg-type]
                if len(back) != len(rows) or _digest(back) != _digest(rows):
                    raise PatientDocsError(f"the copy of table {table} does not match {source.where} ({len(back)} "
                                           f"rows instead of {len(rows)}, or different values); nothing was copied")
                copied.append(Copied(table, len(rows), _digest(rows)))
    except (sqlite3.Error, *target.errors) as exc:
        raise PatientDocsError(f"cannot copy the records into {target.where} ({str(exc).strip().splitlines()[0]}); "
                               "nothing was copied") from None
    return copied

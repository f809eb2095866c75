"""The records on a PostgreSQL server, shared by a group of clinics (``records.url``).

Imported only when the settings name a server: psycopg takes about 140 ms to import. The
schema and its numbered migrations are the SQLite file's (``base.MIGRATIONS``, in this dialect),
run under an advisory lock so that two desks starting at once migrate once. A connection lost
mid-run is opened again at the next unit of work; the unit that was cut off is rolled back and
its file removed (``store.save_with_record``), so nothing is reported as made without its record.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

import psycopg
from psycopg.rows import dict_row

from patientdocs.errors import PatientDocsError
from patientdocs.records import address
from patientdocs.records.base import (
    SCHEMA_VERSION,
    RecordsBase,
    RecordsUnavailableError,
    busy_run_message,
    print_run_key,
    steps_for,
)

APPLICATION = "patientdocs records"
# Any fixed number: every process that migrates takes this lock first.
MIGRATION_LOCK = 0x50445243
CONNECT_TIMEOUT_S = 5
RETRY_AFTER_S = 10.0  # after a failed reconnect: a stopped server must not cost 5 s per document


def _reason(exc: BaseException) -> str:
    """libpq's first line (it names the server and the cause, never the password)."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _lock_id(key: str) -> int:
    """An advisory lock's number: PostgreSQL's bigint, signed."""
    value = int(key[:16], 16)
    return value - (1 << 64) if value >= 1 << 63 else value


class PostgresRecords(RecordsBase):
    dialect = "postgresql"
    errors = (psycopg.Error,)

    def __init__(self, url: str, password_env: str | None = None):
        self.url = url.strip()
        self.where = address.shown(self.url)
        self._password = address.password(password_env)
        self._salt: bytes | None = None
        self._retry_after = 0.0
        self.conn = self._connect()
        try:
            self._prepare()
        except BaseException:
            self.conn.close()
            raise

    # --- connecting ------------------------------------------------------------------------------

    def _connect(self, outcome: str = "nothing was made") -> psycopg.Connection[dict[str, Any]]:
        extra: dict[str, Any] = {"password": self._password} if self._password is not None else {}
        try:
            return psycopg.connect(self.url, autocommit=True, row_factory=dict_row,
                                   connect_timeout=CONNECT_TIMEOUT_S, application_name="patientdocs", **extra)
        except psycopg.Error as exc:
            self._retry_after = time.monotonic() + RETRY_AFTER_S
            raise RecordsUnavailableError(f"cannot reach the records database {self.where} ({_reason(exc)}); "
                                          f"{outcome}") from None

    def _live(self) -> psycopg.Connection[dict[str, Any]]:
        """The connection, opened again if it was lost (the server restarted, the network broke)."""
        if self.conn.closed or self.conn.broken:
            if time.monotonic() < self._retry_after:
                raise RecordsUnavailableError(f"the records database {self.where} is unreachable; nothing was saved")
            self.conn = self._connect("nothing was saved")
        return self.conn

    def _prepare(self) -> None:
        try:
            with self.conn.transaction():
                self.conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
                version = self._version()
                if version > SCHEMA_VERSION:
                    raise PatientDocsError(f"the records database {self.where} was written by a newer version of "
                                           f"this program (schema {version}); update the program")
                for statement in steps_for(self.dialect, version):
                    self.conn.execute(statement)  # type: ignore[arg-type]  # our own SQL, no input in it
                if version < SCHEMA_VERSION:
                    self.conn.execute("UPDATE patientdocs_schema SET version = %s", (SCHEMA_VERSION,))
        except psycopg.Error as exc:
            raise RecordsUnavailableError(f"cannot prepare the records database {self.where} ({_reason(exc)}); "
                                          "nothing was made") from None

    def _version(self) -> int:
        """The schema version; a database used by something else is refused, an empty one is made ours."""
        conn = self.conn
        mine = conn.execute("SELECT to_regclass('patientdocs_schema') AS t").fetchone()
        if mine is not None and mine["t"] is not None:
            row = conn.execute("SELECT application, version FROM patientdocs_schema").fetchone()
            if row is None or row["application"] != APPLICATION:
                raise PatientDocsError(f"the database {self.where} is not a records database of this program")
            return int(row["version"])
        others = conn.execute("SELECT count(*) AS n FROM pg_tables WHERE schemaname = current_schema()").fetchone()
        if others is not None and others["n"]:
            raise PatientDocsError(f"the database {self.where} holds other tables but no records of this program; "
                                   "give records.url a database of its own")
        conn.execute("CREATE TABLE patientdocs_schema (application TEXT NOT NULL, version INTEGER NOT NULL)")
        conn.execute("INSERT INTO patientdocs_schema VALUES (%s, 0)", (APPLICATION,))
        return 0

    # --- the interface ---------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[psycopg.Connection[dict[str, Any]]]:
        conn = self._live()
        with conn.transaction():
            yield conn

    def _insert_sql(self, conn: psycopg.Connection[dict[str, Any]], sql: str, args: list[Any]) -> int:
        row = conn.execute((sql.replace("?", "%s") + " RETURNING id"), args).fetchone()  # type: ignore[arg-type]
        return int(row["id"]) if row else 0

    def _run(self, conn: psycopg.Connection[dict[str, Any]], sql: str,
             args: list[Any]) -> tuple[list[dict[str, object]], int]:
        cursor = conn.execute(sql.replace("?", "%s"), args)  # type: ignore[arg-type]
        rows = list(cursor.fetchall()) if cursor.description else []
        return rows, cursor.rowcount

    def _rows(self, sql: str, args: list[Any]) -> list[dict[str, object]]:
        try:
            return list(self._live().execute(sql.replace("?", "%s"), args).fetchall())  # type: ignore[arg-type]
        except psycopg.Error as exc:
            raise RecordsUnavailableError(f"cannot read the records database {self.where} ({_reason(exc)})") from None

    def _patient_salt(self) -> bytes:
        if self._salt is None:
            rows = self._rows("SELECT value FROM salts WHERE purpose = 'patient'", [])
            if not rows:
                raise PatientDocsError(f"the records database {self.where} has lost its patient key (table salts); "
                                       "restore it from a backup")
            self._salt = bytes(cast("bytes | memoryview", rows[0]["value"]))  # a bytea column
        return self._salt

    @contextmanager
    def print_run(self, clinic: str, day: dt.date) -> Iterator[None]:
        # A session lock on a connection of its own, so the run may close its records meanwhile:
        # the server drops the lock when that connection ends, however the run ends.
        lock = _lock_id(print_run_key(clinic, day))
        conn = self._connect()
        try:
            try:
                got = conn.execute("SELECT pg_try_advisory_lock(%s) AS ok", (lock,)).fetchone()
            except psycopg.Error as exc:
                raise RecordsUnavailableError(f"cannot reach the records database {self.where} ({_reason(exc)}); "
                                              "nothing was made") from None
            if not got or not got["ok"]:
                raise PatientDocsError(busy_run_message(clinic, day))
            yield
        finally:
            conn.close()

    def close(self) -> None:
        self.conn.close()

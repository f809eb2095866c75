"""The records of every document made and sent, and how to open them.

``open_records(config)`` gives the backend the settings name: the SQLite file beside the
clinic's config (the default, ``paths.records``) or a PostgreSQL server shared by a group of
clinics (``records.url``; see ``postgres.py``, imported only then). ``save_with_record`` writes a
file and its records as one unit on either.

The SQLite file answers "which version of the consent form did this patient get on that day?"
for one clinic. Several commands may run at once (two front-desk PCs, a batch and an email): WAL
mode, a busy timeout and short ``BEGIN IMMEDIATE`` transactions keep every record and never
corrupt it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING

from patientdocs.deliver.output import TEMP_PREFIX, create_private, remove_quietly, write_temp
from patientdocs.errors import PatientDocsError
from patientdocs.records.base import (
    MIGRATIONS,
    SCHEMA_VERSION,
    Record,
    RecordsBase,
    RecordsUnavailableError,
    busy_run_message,
    now,
    print_run_key,
    steps_for,
)

if TYPE_CHECKING:
    from patientdocs.load.config import Config

__all__ = ["APPLICATION_ID", "MIGRATIONS", "SCHEMA_VERSION", "Record", "Records", "RecordsBase", "file_sha256",
           "now", "open_records", "place_problem", "recover_replaced", "save_with_record",
           "steps_for", "usable_problem"]

APPLICATION_ID = 0x50445243  # "PDRC": marks a file as this project's records database


def open_records(config: Config, *, read_only: bool = False) -> RecordsBase:
    """The clinic's records, connected and up to date: a problem stops here, before any work.
    ``read_only``: for reading only (history, verify); the SQLite file then needs no write access."""
    if config.records.url:
        from patientdocs.records.postgres import PostgresRecords

        return PostgresRecords(config.records.url, config.records.password_env)
    return Records(config.records_path, read_only=read_only)


def records_exist(config: Config) -> bool:
    """Whether there are records to read (a server always has; a file only once made)."""
    return bool(config.records.url) or config.records_path.exists()


def place_problem(path: Path) -> str | None:
    """Why the records database cannot live at ``path`` (a folder, a device, a missing folder)."""
    if path.is_dir():
        return f"records database '{path}' is a folder, not a file"
    if path.exists() and not path.is_file():
        # /dev/null or a pipe: SQLite "opens" it and every record would be lost.
        return f"records database '{path}' is not a file (a device or a pipe); set paths.records to a file"
    if not path.exists() and not path.parent.is_dir():
        return f"cannot create records database '{path}': the folder does not exist"
    return None


def usable_problem(path: Path) -> str | None:
    """Everything opening the records database would refuse, checked without creating or changing it
    (``validate``): its place, whether it can be written, and whether an existing file is ours."""
    problem = place_problem(path)
    if problem:
        return problem
    if not path.exists():
        if not os.access(path.parent, os.W_OK | os.X_OK):
            return f"cannot create records database '{path}': the folder cannot be written"
        return None
    if not os.access(path, os.R_OK | os.W_OK):
        return f"records database '{path}' cannot be read and written by you"
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        return f"'{path}' is not a readable records database ({exc})"
    if app_id != APPLICATION_ID and (tables or version):
        return (f"'{path}' is an SQLite file but not a records database; set paths.records in config.yaml to "
                "another file")
    if version > SCHEMA_VERSION:
        return f"'{path}' was written by a newer version of this program (schema {version}); update the program"
    return None


class Records(RecordsBase):
    """One connection to the SQLite records file; created with its schema on first use."""

    dialect = "sqlite"
    errors = (sqlite3.Error,)

    def __init__(self, path: Path, *, read_only: bool = False):
        self.path = path
        self.where = f"'{path}'"
        self._salt: bytes | None = None
        problem = place_problem(path)
        if problem:
            raise PatientDocsError(problem)
        if read_only and self._open_read_only():
            return
        # SQLite would create the file world-readable (0644) whatever the umask; its -wal, -shm and
        # -journal files take the database's mode, so a private database keeps them private too.
        with suppress(OSError):  # a folder we cannot write: SQLite's own error says so
            create_private(path)
        try:
            self.conn = sqlite3.connect(path, timeout=30, isolation_level=None)
            # Records are written once and seldom read: a small page cache keeps a long print
            # run's memory flat as the database grows (SQLite's default is 2 MB).
            self.conn.execute("PRAGMA cache_size=-256")
            self.conn.row_factory = sqlite3.Row
            self._prepare()
        except sqlite3.DatabaseError as exc:
            raise PatientDocsError(f"'{path}' is not a readable records database ({exc})") from None

    def _open_read_only(self) -> bool:
        """For reading only (``history``, ``verify``): no write access to the database or its folder
        is needed, and a full disk cannot get in the way. False: open it normally (it does not
        exist yet, or it needs bringing up to date first)."""
        if not self.path.is_file():
            return False
        uri = self.path.resolve().as_uri()
        for query in ("?mode=ro", "?immutable=1"):  # immutable: a folder where the -shm file cannot be made
            conn = None
            try:
                conn = sqlite3.connect(uri + query, uri=True, timeout=30)
                app_id = conn.execute("PRAGMA application_id").fetchone()[0]
                version = conn.execute("PRAGMA user_version").fetchone()[0]
                tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            except sqlite3.DatabaseError as exc:
                if conn is not None:
                    conn.close()
                if "not a database" in str(exc):
                    raise PatientDocsError(f"'{self.path}' is not a readable records database ({exc})") from None
                continue
            if app_id != APPLICATION_ID and (tables or version):
                conn.close()
                raise PatientDocsError(f"'{self.path}' is an SQLite file but not a records database; "
                                       "set paths.records in config.yaml to another file")
            if version != SCHEMA_VERSION:
                conn.close()
                return False
            conn.row_factory = sqlite3.Row
            self.conn = conn
            return True
        return False

    def _prepare(self) -> None:
        conn = self.conn
        # One snapshot: another process may be creating the database at this very moment.
        conn.execute("BEGIN")
        try:
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        finally:
            conn.execute("COMMIT")
        if app_id != APPLICATION_ID and (tables or version):
            raise PatientDocsError(f"'{self.path}' is an SQLite file but not a records database; "
                                   "set paths.records in config.yaml to another file")
        if version > SCHEMA_VERSION:
            raise PatientDocsError(f"'{self.path}' was written by a newer version of this program "
                                   f"(schema {version}); update the program")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        if version < SCHEMA_VERSION:
            self._migrate()

    def _migrate(self) -> None:
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Read again inside the lock: another process may have migrated meanwhile.
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            for statement in steps_for(self.dialect, version):
                conn.execute(statement)
            conn.execute(f"PRAGMA application_id={APPLICATION_ID}")
            conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
            self.conn.execute("COMMIT")
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise

    def _insert_sql(self, conn: sqlite3.Connection, sql: str, args: list[object]) -> int:
        return conn.execute(sql, args).lastrowid  # type: ignore[return-value]

    def _rows(self, sql: str, args: list[object]) -> list[dict[str, object]]:
        try:
            return [dict(row) for row in self.conn.execute(sql, args)]
        except sqlite3.DatabaseError as exc:
            raise PatientDocsError(f"cannot read records database '{self.path}' ({exc})") from None

    def _patient_salt(self) -> bytes:
        if self._salt is None:
            query = "SELECT value FROM salts WHERE purpose = 'patient'"
            try:
                row = self.conn.execute(query).fetchone()
                if row is None:
                    # The salt was lost: a new one only makes older files look like another
                    # patient's (kept, never replaced), never the reverse.
                    with self.transaction() as conn:
                        conn.execute("INSERT OR IGNORE INTO salts (purpose, value) VALUES ('patient', randomblob(32))")
                        row = conn.execute(query).fetchone()
                self._salt = bytes(row[0])
            except sqlite3.DatabaseError as exc:
                raise PatientDocsError(f"cannot read records database '{self.path}' ({exc})") from None
        return self._salt

    @contextmanager
    def print_run(self, clinic: str, day: dt.date) -> Iterator[None]:
        # A lock the system drops when the process ends, however it ends: a byte of a file beside
        # the database, one byte per clinic and day, so no lock is ever left behind by a crash.
        import fcntl

        key = print_run_key(clinic, day)
        lock_path = self.path.with_name(self.path.name + "-runs")
        with suppress(OSError):
            create_private(lock_path)
        try:
            fd = os.open(lock_path, os.O_RDWR)
        except OSError as exc:
            raise PatientDocsError(f"cannot open '{lock_path}' ({exc.strerror})") from None
        offset = int(key[:8], 16)
        try:
            try:
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, offset)
            except OSError:
                raise PatientDocsError(busy_run_message(clinic, day)) from None
            yield
        finally:
            os.close(fd)  # releases the lock

    def _run(self, conn: sqlite3.Connection, sql: str, args: list[object]) -> tuple[list[dict[str, object]], int]:
        cursor = conn.execute(sql, args)
        rows = [dict(row) for row in cursor.fetchall()] if cursor.description else []
        return rows, cursor.rowcount

    def close(self) -> None:
        self.conn.close()


def file_sha256(path: Path) -> str | None:
    """The SHA-256 of an ordinary file, or None for anything that is not one or cannot be read."""
    try:
        if not path.is_file():
            return None
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def save_with_record(records: RecordsBase, path: Path, data: bytes, new: list[Record],
                     also: Callable[[RecordsBase, object], None] | None = None) -> None:
    """Write the file and its records as one unit: if either fails, neither is left. ``also``
    writes more rows in the same transaction (a signed consent's ``signatures`` row), given the
    records and the transaction's connection.

    A file already at ``path`` (an earlier run) is kept aside until the records are committed,
    and put back if they are not. Once committed, nothing is undone, even by Ctrl-C. A commit
    whose outcome is unknown (the server went away during it) counts as not done: the file is
    removed and reported as not made, so a document is never said to be made without its record."""
    tmp = write_temp(path, data)
    backup: Path | None = None
    placed = committed = False
    try:
        with records.transaction() as conn:
            for record in new:
                records.insert(conn, record)
            if also is not None:
                also(records, conn)
            if path.exists():
                backup = path.with_name(f"{TEMP_PREFIX}{path.name}.{os.getpid()}.old")
                os.replace(path, backup)
            os.replace(tmp, path)
            placed = True
        committed = True
    except BaseException as exc:
        if not committed:
            remove_quietly(tmp)
            if placed:
                remove_quietly(path)
            if backup is not None:
                os.replace(backup, path)
        if isinstance(exc, records.errors):
            raise PatientDocsError(f"cannot write to records database {records.where} ({_first_line(exc)}); "
                                   "nothing was saved") from None
        if isinstance(exc, RecordsUnavailableError):
            raise  # it says what happened and that nothing was saved
        if isinstance(exc, PatientDocsError) and not committed:
            raise PatientDocsError(f"{exc.message}; nothing was saved") from None
        if isinstance(exc, OSError):
            raise PatientDocsError(f"cannot write '{path}' ({exc.strerror}); nothing was saved") from None
        raise
    finally:
        if committed:
            remove_quietly(backup)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def recover_replaced(records: RecordsBase, folder: Path) -> None:
    """Finish what a run killed while replacing a file left behind (see save_with_record).

    The earlier file was moved aside as ``.patientdocs-<name>.<pid>.old``. If the process is gone:
    with no file at the name, or one whose bytes are not in the records (never committed), the
    earlier file is put back; when the file at the name is recorded, the copy aside is removed."""
    import re

    pattern = re.compile(re.escape(TEMP_PREFIX) + r"(?P<name>.+)\.(?P<pid>\d+)\.old")
    try:
        leftovers = [p for p in folder.glob(f"{TEMP_PREFIX}*.old") if p.is_file() and not p.is_symlink()]
    except OSError:
        return
    for backup in leftovers:
        match = pattern.fullmatch(backup.name)
        if match is None or _alive(int(match["pid"])):
            continue  # not ours, or a run still replacing it now
        original = backup.with_name(match["name"])
        with suppress(OSError):
            digest = file_sha256(original)
            if digest is not None and records.find(sha256=digest):
                remove_quietly(backup)
            elif not original.exists() or digest is not None:
                os.replace(backup, original)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # someone else's process: not ours to judge
    return True

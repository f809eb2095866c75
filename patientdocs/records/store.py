"""The record of every document made and sent (SQLite), kept beside the clinic's config.

Answers "which version of the consent form did this patient get on that day?". Several
commands may run at once (two front-desk PCs, a batch and an email): WAL mode, a busy
timeout and short ``BEGIN IMMEDIATE`` transactions keep every record and never corrupt it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict
from pathlib import Path

from patientdocs.deliver.output import TEMP_PREFIX, create_private, remove_quietly, write_temp
from patientdocs.errors import PatientDocsError
from patientdocs.frozen import frozen
from patientdocs.records import signatures as _signatures

APPLICATION_ID = 0x50445243  # "PDRC": marks a file as this project's records database

# Each entry brings the schema from version i to i + 1. Never edit one that has shipped:
# add a new entry instead, so every clinic's database can be brought up to date.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE documents (
            id INTEGER PRIMARY KEY,
            created_at TEXT NOT NULL,
            patient_id TEXT,
            patient_name TEXT NOT NULL,
            kind TEXT NOT NULL,
            treatment TEXT NOT NULL,
            language TEXT NOT NULL,
            content_version TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            channel TEXT NOT NULL CHECK (channel IN ('printed', 'saved', 'emailed')),
            file_name TEXT,
            recipient TEXT,
            server_response TEXT
        )""",
        "CREATE INDEX documents_patient ON documents (patient_id, created_at)",
        "CREATE INDEX documents_sha ON documents (sha256)",
    ),
    (
        # The day of the visit a document was made for ("what did P-1042 get on 1 December?");
        # records made before this version have none, and are found by the day they were made.
        "ALTER TABLE documents ADD COLUMN visit_date TEXT",
        "CREATE INDEX documents_visit ON documents (visit_date)",
        "CREATE INDEX documents_file ON documents (file_name)",
    ),
    (
        # Who a document is for, as a keyed digest of the fields that tell two namesakes apart
        # (see Records.identity): two John Smiths without a patient id are told apart by their
        # dates of birth, which the records do not keep in clear. The key is this database's
        # own, made here at random. Records made before this version have none.
        "ALTER TABLE documents ADD COLUMN patient_key TEXT",
        "CREATE TABLE salts (purpose TEXT PRIMARY KEY, value BLOB NOT NULL)",
        "INSERT INTO salts (purpose, value) VALUES ('patient', randomblob(32))",
    ),
    (
        # How an emailed attachment was locked: "passphrase" (one-time, given apart from the email),
        # "dob_ddmmyyyy" / "dob_yyyymmdd" (the date of birth), or "none" (sent unlocked). Never the
        # password itself. Empty for documents not emailed, and for emails sent before this version.
        "ALTER TABLE documents ADD COLUMN encryption TEXT",
    ),
    # Consent signed on a tablet: who signed which version, when (see records/signatures.py).
    _signatures.MIGRATION,
    (
        # (6) Who did it: the staff account that made or sent a document from the web page (empty for
        # the command line and for records made before this version). `username`, not `user`,
        # which PostgreSQL reserves. The page's accounts (argon2 hashes, never a password) and
        # its log of every action (a patient id at most, never a name or date of birth) live
        # here too, so one file holds who did what. Plain SQL both SQLite and PostgreSQL read.
        "ALTER TABLE documents ADD COLUMN username TEXT",
        """CREATE TABLE users (
            username TEXT PRIMARY KEY,
            password_hash TEXT NOT NULL,
            created_at TEXT NOT NULL
        )""",
        """CREATE TABLE actions (
            at TEXT NOT NULL,
            username TEXT,
            address TEXT,
            action TEXT NOT NULL,
            detail TEXT
        )""",
        "CREATE INDEX actions_at ON actions (at)",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)


@frozen
class Record:
    patient_name: str
    patient_id: str | None
    kind: str  # "info", "consent", "info+consent", ...
    treatment: str
    language: str
    content_version: str
    fingerprint: str
    sha256: str
    channel: str  # "printed", "saved" (made to be emailed) or "emailed"
    file_name: str | None = None
    recipient: str | None = None
    server_response: str | None = None
    visit_date: str | None = None  # YYYY-MM-DD
    patient_key: str | None = None  # Records.identity of the patient
    encryption: str | None = None  # emailed: "passphrase", "dob_ddmmyyyy", "dob_yyyymmdd" or "none"
    username: str | None = None  # the staff account that did it (the web page); None from the command line
    created_at: str = ""


def now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


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


class Records:
    """One connection to the records database; created with its schema on first use."""

    def __init__(self, path: Path, *, read_only: bool = False):
        self.path = path
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
            for statements in MIGRATIONS[version:]:
                for statement in statements:
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

    def insert(self, conn: sqlite3.Connection, record: Record) -> int:
        data = asdict(record)
        data["created_at"] = record.created_at or now()
        columns = ", ".join(data)
        marks = ", ".join(f":{k}" for k in data)
        return conn.execute(f"INSERT INTO documents ({columns}) VALUES ({marks})", data).lastrowid

    def add(self, record: Record) -> int:
        with self.transaction() as conn:
            return self.insert(conn, record)

    def find(self, *, patient_id: str | None = None, on_date: dt.date | None = None,
             sha256: str | None = None, file_name: str | None = None) -> list[dict[str, object]]:
        """Records matching every filter given, oldest first. ``on_date`` is the visit's day."""
        where: list[str] = []
        args: list[str] = []
        if patient_id is not None:
            where.append("patient_id = ?")
            args.append(patient_id.strip())
        if on_date is not None:
            where.append("(visit_date = ? OR (visit_date IS NULL AND substr(created_at, 1, 10) = ?))")
            args += [on_date.isoformat()] * 2
        if sha256 is not None:
            where.append("sha256 = ?")
            args.append(sha256)
        if file_name is not None:
            where.append("file_name = ?")
            args.append(file_name)
        sql = "SELECT * FROM documents" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY id"
        try:
            return [dict(row) for row in self.conn.execute(sql, args)]
        except sqlite3.DatabaseError as exc:
            raise PatientDocsError(f"cannot read records database '{self.path}' ({exc})") from None

    def identity(self, *, name: str, patient_id: str | None, dob: dt.date | None,
                 email: str | None = None) -> str:
        """Who a document is for, as a digest keyed with this database's salt.

        A patient id is the clinic's own number for one patient: with it, name and id say who it
        is, and a date of birth corrected later is still the same patient. Without one, the date
        of birth (and a batch row's email) tell two patients who share a name apart. The salt
        keeps dates of birth out of the records and the digests unlinkable to other databases;
        it does not stop someone holding this file from testing every date for a known name."""
        if patient_id:
            fields: tuple[str, ...] = ("id", name, patient_id.strip())
        else:
            fields = ("dob", name, dob.isoformat() if dob else "", (email or "").casefold())
        return hmac.new(self._patient_salt(), repr(fields).encode("utf-8"), hashlib.sha256).hexdigest()

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

    def made_for(self, sha256: str, identity: str, name: str, patient_id: str | None) -> bool:
        """Whether the file with this SHA-256 was made here for this very patient."""
        rows = self.find(sha256=sha256)
        keys = {row["patient_key"] for row in rows if row["patient_key"]}
        if keys:
            return identity in keys
        # Made before identities were kept: only a patient id can say it is the same patient.
        return bool(patient_id) and any((row["patient_name"], row["patient_id"]) == (name, patient_id)
                                        for row in rows)

    # --- the web page's staff accounts and its log of actions ---------------------------------------

    def set_password_hash(self, username: str, password_hash: str) -> bool:
        """Store an account's hash (a new account, or a new password); True when the account is new."""
        try:
            with self.transaction() as conn:
                known = conn.execute("SELECT 1 FROM users WHERE username = ?", (username,)).fetchone()
                if known:
                    conn.execute("UPDATE users SET password_hash = ? WHERE username = ?", (password_hash, username))
                else:
                    conn.execute("INSERT INTO users (username, password_hash, created_at) VALUES (?, ?, ?)",
                                 (username, password_hash, now()))
                return not known
        except sqlite3.DatabaseError as exc:
            raise PatientDocsError(f"cannot write to records database '{self.path}' ({exc})") from None

    def password_hash(self, username: str) -> str | None:
        row = self.conn.execute("SELECT password_hash FROM users WHERE username = ?", (username,)).fetchone()
        return row[0] if row else None

    def remove_user(self, username: str) -> bool:
        with self.transaction() as conn:
            return conn.execute("DELETE FROM users WHERE username = ?", (username,)).rowcount > 0

    def usernames(self) -> list[str]:
        return [row[0] for row in self.conn.execute("SELECT username FROM users ORDER BY username")]

    def log_action(self, username: str | None, address: str | None, action: str, detail: str = "") -> None:
        """One line of who did what. ``detail`` holds ids and counts, never a name or a date of birth."""
        stamp = dt.datetime.now(dt.UTC).isoformat()  # microseconds: the order of actions in one second
        with self.transaction() as conn:
            conn.execute("INSERT INTO actions (at, username, address, action, detail) VALUES (?, ?, ?, ?, ?)",
                         (stamp, username, address, action, detail))

    def actions(self) -> list[dict[str, object]]:
        return [dict(row) for row in self.conn.execute("SELECT * FROM actions ORDER BY at")]

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


def save_with_record(records: Records, path: Path, data: bytes, new: list[Record],
                     also: Callable[[sqlite3.Connection], None] | None = None) -> None:
    """Write the file and its records as one unit: if either fails, neither is left. ``also``
    writes more rows in the same transaction (a signed consent's ``signatures`` row).

    A file already at ``path`` (an earlier run) is kept aside until the records are committed,
    and put back if they are not. Once committed, nothing is undone, even by Ctrl-C."""
    tmp = write_temp(path, data)
    backup: Path | None = None
    placed = committed = False
    conn = records.conn
    try:
        conn.execute("BEGIN IMMEDIATE")
        for record in new:
            records.insert(conn, record)
        if also is not None:
            also(conn)
        if path.exists():
            backup = path.with_name(f"{TEMP_PREFIX}{path.name}.{os.getpid()}.old")
            os.replace(path, backup)
        os.replace(tmp, path)
        placed = True
        conn.execute("COMMIT")
        committed = True
    except BaseException as exc:
        if not committed:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            remove_quietly(tmp)
            if placed:
                remove_quietly(path)
            if backup is not None:
                os.replace(backup, path)
        if isinstance(exc, sqlite3.DatabaseError):
            raise PatientDocsError(f"cannot write to records database '{records.path}' ({exc}); "
                                   "nothing was saved") from None
        if isinstance(exc, OSError):
            raise PatientDocsError(f"cannot write '{path}' ({exc.strerror}); nothing was saved") from None
        raise
    finally:
        if committed:
            remove_quietly(backup)


def recover_replaced(records: Records, folder: Path) -> None:
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

"""The records database: one record per document made, history, schema, bad files, unit of work, concurrency."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers_docs import (
    PATIENT,
    assert_one_line_error,
    cli_env,
    content,
    count_records,
    db_rows,
    docinfo,
    invoke,
    make_here,
    make_many,
    no_pdf_or_part,
    page_texts,
    records_path,
    sha256,
    write_config,
)

from patientdocs.errors import PatientDocsError
from patientdocs.records import store as audit
from patientdocs.records.store import APPLICATION_ID, SCHEMA_VERSION, Record, Records, save_with_record

_REAL_CONNECT = sqlite3.connect
OTHER = ("--patient", "Bea Costa", "--patient-id", "P-2000", "--therapist", "Sam Patel")


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("records")
    config = write_config(folder)
    made = {"config": config, "db": records_path(config), "consent": folder / "ana-consent.pdf",
            "packet": folder / "ana-packet.pdf", "info": folder / "bea-info.pdf"}
    make_many(("consent", made["consent"], (), config), ("packet", made["packet"], (), config))
    make_here("info", made["info"], config=config, patient=OTHER)
    return made


@pytest.fixture(scope="module")
def rows(made: dict[str, Path]) -> list[dict]:
    return db_rows(made["db"])


def _rows_for(rows: list[dict], path: Path) -> list[dict]:
    return [row for row in rows if Path(row["file_name"]) == path]


def _history(made: dict[str, Path], *args: str) -> subprocess.CompletedProcess[str]:
    result = invoke("history", *args, config=made["config"])
    assert result.returncode == 0, (result.stdout, result.stderr)
    return result


def _json(made: dict[str, Path], *args: str) -> list[dict]:
    return json.loads(_history(made, "--json", *args).stdout)


def _record(**changes) -> Record:
    values = {"patient_name": "Ana Lima", "patient_id": "P-1042", "kind": "consent", "treatment": "dry-needling",
              "language": "en", "content_version": "2026.11", "fingerprint": "0123456789ab",
              "sha256": "0" * 64, "channel": "printed"}
    values.update(changes)
    return Record(**values)


# ---- a record for every document ---------------------------------------------------------

def test_each_document_made_adds_one_record_per_kind(rows: list[dict], made: dict[str, Path]) -> None:
    assert len(rows) == 4
    assert [row["kind"] for row in _rows_for(rows, made["consent"])] == ["consent"]
    assert sorted(row["kind"] for row in _rows_for(rows, made["packet"])) == ["consent", "info"]
    assert [row["kind"] for row in _rows_for(rows, made["info"])] == ["info"]


@pytest.mark.parametrize("doc", ["consent", "packet", "info"])
def test_record_describes_the_file_on_disk(rows: list[dict], made: dict[str, Path], doc: str) -> None:
    path = made[doc]
    found = _rows_for(rows, path)
    assert found
    meta = docinfo(path)
    data = content()
    for row in found:
        assert row["sha256"] == sha256(path)
        assert row["fingerprint"] == meta["/Fingerprint"]
        assert row["content_version"] == data.version == meta["/ContentVersion"]
        assert row["language"] == "en"
        assert row["treatment"] == "dry-needling"
        assert row["channel"] == "printed"
        assert row["recipient"] is None
        if doc == "info":
            assert (row["patient_id"], row["patient_name"]) == ("P-2000", "Bea Costa")
        else:
            assert (row["patient_id"], row["patient_name"]) == ("P-1042", "Ana Lima")
        made_at = dt.datetime.fromisoformat(row["created_at"])
        assert made_at.utcoffset() == dt.timedelta(0)
        assert abs(dt.datetime.now(dt.UTC) - made_at) < dt.timedelta(minutes=30)


def test_schema_version_and_application_id(made: dict[str, Path]) -> None:
    conn = sqlite3.connect(made["db"])
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()


# ---- history -----------------------------------------------------------------------------

def test_history_table_shows_every_record(made: dict[str, Path], rows: list[dict]) -> None:
    out = _history(made).stdout
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["Made", "(UTC)", "Visit"]
    for column in ("Patient ID", "Patient", "Document", "Version", "Fingerprint", "SHA-256"):
        assert column in lines[0]
    body = lines[1:-1]
    assert len(body) == len(rows)
    for line, row in zip(body, rows, strict=True):
        for value in (row["patient_id"], row["patient_name"], row["kind"], row["content_version"],
                      row["fingerprint"], "printed", row["sha256"][:12], row["created_at"][:10], row["visit_date"]):
            assert value in line, (value, line)
    assert lines[-1] == f"{len(rows)} document(s)."


def test_history_json_is_every_record(made: dict[str, Path], rows: list[dict]) -> None:
    assert _json(made) == rows


def test_history_filters_by_patient_id(made: dict[str, Path], rows: list[dict]) -> None:
    ana = _json(made, "--patient-id", "P-1042")
    assert ana == [row for row in rows if row["patient_id"] == "P-1042"]
    assert len(ana) == 3
    bea = _json(made, "--patient-id", "P-2000")
    assert [(row["patient_name"], row["kind"]) for row in bea] == [("Bea Costa", "info")]
    assert _json(made, "--patient-id", "P-9999") == []
    assert _history(made, "--patient-id", "P-9999").stdout.strip() == "No documents found."
    table = _history(made, "--patient-id", "P-2000").stdout
    assert "Bea Costa" in table and "Ana Lima" not in table
    assert table.splitlines()[-1] == "1 document(s)."


def test_history_filters_by_the_visit_date(made: dict[str, Path], rows: list[dict]) -> None:
    """"Which consent form did P-1042 get on 1 December?" is about the visit, not the day it was printed."""
    day = rows[0]["visit_date"]
    assert day == "2026-12-01" and all(row["visit_date"] for row in rows)
    assert _json(made, "--date", day) == [row for row in rows if row["visit_date"] == day]
    assert _json(made, "--date", rows[0]["created_at"][:10]) == []  # the day it was made is not the visit
    assert _json(made, "--patient-id", " P-1042 ", "--date", day)  # spaces around an id, as typed at a desk
    assert _json(made, "--date", "2001-01-01") == []
    both = _json(made, "--date", day, "--patient-id", "P-2000")
    assert [row["patient_id"] for row in both] == ["P-2000"] * len(both)
    assert _json(made, "--date", "2001-01-01", "--patient-id", "P-2000") == []


def test_history_refuses_a_date_that_is_not_real(made: dict[str, Path]) -> None:
    line = assert_one_line_error(invoke("history", "--date", "2026-02-30", config=made["config"]))
    assert "2026-02-30" in line


def test_history_without_a_database_finds_nothing_and_creates_nothing(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    result = invoke("history", config=config)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "No documents found."
    result = invoke("history", "--json", config=config)
    assert json.loads(result.stdout) == []
    assert not records_path(config).exists()


# ---- where the database lives ------------------------------------------------------------

def test_database_is_created_on_first_use_beside_the_config(tmp_path: Path) -> None:
    clinic = tmp_path / "clinic"
    write_config(clinic, records="records.db", output="out")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert not (clinic / "records.db").exists()
    result = invoke("consent", *PATIENT, config=Path("..") / "clinic" / "config.yaml", cwd=elsewhere)
    assert result.returncode == 0, result.stderr
    assert (clinic / "records.db").is_file()
    assert not (elsewhere / "records.db").exists()
    assert not list(elsewhere.iterdir())
    made = list((clinic / "out").glob("*.pdf"))
    assert len(made) == 1
    [row] = db_rows(clinic / "records.db")
    assert row["sha256"] == sha256(made[0])
    assert (elsewhere / row["file_name"]).resolve() == made[0].resolve()


# ---- schema versions and migration -------------------------------------------------------

def test_an_empty_version_0_database_is_migrated_on_opening(tmp_path: Path) -> None:
    db = tmp_path / "records.db"
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA application_id={APPLICATION_ID}")
    conn.execute("PRAGMA user_version=0")
    conn.commit()
    conn.close()
    records = Records(db)
    records.add(_record())
    records.close()
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
        assert conn.execute("SELECT count(*) FROM documents").fetchone()[0] == 1
    finally:
        conn.close()


def test_a_new_empty_sqlite_file_is_migrated_by_the_cli(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    sqlite3.connect(records_path(config)).close()  # an empty file, version 0
    make_here("consent", tmp_path / "a.pdf", config=config)
    assert count_records(records_path(config)) == 1


def _newer(db: Path) -> None:
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA application_id={APPLICATION_ID}")
    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()


def test_a_database_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    db = records_path(config)
    _newer(db)
    before = db.read_bytes()
    line = assert_one_line_error(invoke("consent", *PATIENT, "-o", tmp_path / "a.pdf", config=config))
    assert "newer version" in line
    no_pdf_or_part(tmp_path)
    assert "newer version" in assert_one_line_error(invoke("history", config=config))
    assert db.read_bytes() == before


# ---- files that are not our database -----------------------------------------------------

def _text_file(db: Path) -> None:
    db.write_text("Patient list\nAna Lima, P-1042\n", encoding="utf-8")


def _binary_file(db: Path) -> None:
    db.write_bytes(random.Random(1042).randbytes(8192))


def _other_app(db: Path) -> None:
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE foo (x INTEGER)")
    conn.execute("INSERT INTO foo VALUES (1)")
    conn.commit()
    conn.close()


@pytest.mark.parametrize("spoil", [_text_file, _binary_file, _other_app], ids=["text", "binary", "other-app"])
def test_a_bad_database_stops_before_any_pdf_is_written(tmp_path: Path, spoil) -> None:
    config = write_config(tmp_path)
    db = records_path(config)
    spoil(db)
    before = db.read_bytes()
    line = assert_one_line_error(invoke("consent", *PATIENT, config=config))  # default output folder
    assert str(db) in line
    no_pdf_or_part(tmp_path)
    assert db.read_bytes() == before  # never changed, never "repaired"


def test_a_records_folder_that_does_not_exist_stops_before_any_pdf(tmp_path: Path) -> None:
    config = write_config(tmp_path, records=tmp_path / "missing" / "records.db")
    line = assert_one_line_error(invoke("consent", *PATIENT, "-o", tmp_path / "a.pdf", config=config))
    assert "does not exist" in line
    no_pdf_or_part(tmp_path)
    assert not (tmp_path / "missing").exists()


# ---- the file and its record are saved together ------------------------------------------

def test_failed_record_insert_leaves_no_file_and_no_part(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    records = Records(tmp_path / "records.db")

    def broken(self, conn, record):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(Records, "insert", broken)
    target = tmp_path / "doc.pdf"
    with pytest.raises(PatientDocsError, match="nothing was saved"):
        save_with_record(records, target, b"%PDF-1.4 test", [_record()])
    assert not target.exists()
    no_pdf_or_part(tmp_path)
    records.close()
    assert count_records(tmp_path / "records.db") == 0


def test_failed_record_insert_keeps_an_older_file_at_the_same_place(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    records = Records(tmp_path / "records.db")
    target = tmp_path / "doc.pdf"
    target.write_bytes(b"%PDF-1.4 older")

    def broken(self, conn, record):
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(Records, "insert", broken)
    with pytest.raises(PatientDocsError):
        save_with_record(records, target, b"%PDF-1.4 newer", [_record()])
    records.close()
    assert target.read_bytes() == b"%PDF-1.4 older"
    assert not list(tmp_path.rglob("*.part"))


def test_target_that_is_a_folder_leaves_no_record(tmp_path: Path) -> None:
    records = Records(tmp_path / "records.db")
    target = tmp_path / "doc.pdf"
    target.mkdir()
    with pytest.raises(PatientDocsError):
        save_with_record(records, target, b"%PDF-1.4 test", [_record()])
    records.close()
    assert target.is_dir()
    assert not list(tmp_path.rglob("*.part"))
    assert count_records(tmp_path / "records.db") == 0


def test_failed_rename_leaves_no_record_and_no_part(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    records = Records(tmp_path / "records.db")

    def broken(src, dst):
        raise IsADirectoryError(21, "Is a directory")

    monkeypatch.setattr(audit.os, "replace", broken)
    target = tmp_path / "doc.pdf"
    with pytest.raises(PatientDocsError, match="nothing was saved"):
        save_with_record(records, target, b"%PDF-1.4 test", [_record(), _record(kind="info")])
    monkeypatch.undo()
    records.close()
    no_pdf_or_part(tmp_path)
    assert count_records(tmp_path / "records.db") == 0


class _CommitFails:
    """A connection whose COMMIT fails (disk full, I/O error) after the rename has happened."""

    def __init__(self, conn: sqlite3.Connection):
        self.real = conn

    def execute(self, sql: str, *args):
        if sql.strip().upper() == "COMMIT":
            raise sqlite3.OperationalError("disk I/O error")
        return self.real.execute(sql, *args)

    def __getattr__(self, name: str):
        return getattr(self.real, name)


def test_failed_commit_leaves_no_file_and_no_record(tmp_path: Path) -> None:
    records = Records(tmp_path / "records.db")
    records.conn = _CommitFails(records.conn)
    target = tmp_path / "doc.pdf"
    with pytest.raises(PatientDocsError, match="nothing was saved"):
        save_with_record(records, target, b"%PDF-1.4 newer", [_record()])
    assert not target.exists()
    no_pdf_or_part(tmp_path)
    assert count_records(tmp_path / "records.db") == 0
    records.conn.real.close()


def test_failed_commit_keeps_an_older_file_at_the_same_place(tmp_path: Path) -> None:
    records = Records(tmp_path / "records.db")
    records.conn = _CommitFails(records.conn)
    target = tmp_path / "doc.pdf"
    target.write_bytes(b"%PDF-1.4 older")
    try:
        with pytest.raises(PatientDocsError):
            save_with_record(records, target, b"%PDF-1.4 newer", [_record()])
    finally:
        records.conn.real.close()
    assert count_records(tmp_path / "records.db") == 0
    assert target.exists(), "the file that was already there was deleted"
    assert target.read_bytes() == b"%PDF-1.4 older"


# ---- several processes at once -----------------------------------------------------------

WRITER = """
import hashlib, sys
from pathlib import Path
from patientdocs.records.store import Record, Records, save_with_record
db, folder, tag, n = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
for i in range(n):
    records = Records(db)  # a fresh connection each time, as each command makes one
    data = b"%PDF-1.4 " + f"{tag} {i}".encode()
    save_with_record(records, folder / f"{tag}-{i}.pdf", data, [Record(
        patient_name="Ana Lima", patient_id=tag, kind="consent", treatment="dry-needling", language="en",
        content_version="2026.11", fingerprint="0123456789ab", sha256=hashlib.sha256(data).hexdigest(),
        channel="printed", file_name=str(folder / f"{tag}-{i}.pdf"))])
    records.close()
"""

CLI_WRITER = """
import sys
from patientdocs.cli import main
config, folder, tag, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
for i in range(n):
    main(["info", "--patient", "Ana Lima", "--patient-id", tag, "--config", config,
          "-o", f"{folder}/{tag}-{i}.pdf"], standalone_mode=False)
"""


def _run_together(commands: list[list[str]], cwd: Path) -> list[tuple[int, str, str]]:
    procs = [subprocess.Popen(cmd, cwd=cwd, env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for cmd in commands]
    deadline = time.monotonic() + 120
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=max(1, deadline - time.monotonic()))
        results.append((proc.returncode, out, err))
    return results


def _check_database(db: Path, expected: int) -> list[dict]:
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()
    found = db_rows(db)
    assert len(found) == expected
    for row in found:
        assert row["sha256"] == sha256(Path(row["file_name"]))
    return found


def test_four_processes_saving_at_once(tmp_path: Path) -> None:
    n, tags = 5, ["a", "b", "c", "d"]
    db = tmp_path / "records.db"
    Records(db).close()  # created first: creating it in a race is test_creating_the_database_in_a_race
    results = _run_together([[sys.executable, "-c", WRITER, str(db), str(tmp_path), tag, str(n)] for tag in tags],
                            tmp_path)
    for code, _out, err in results:
        assert code == 0, err
        assert err == ""
    found = _check_database(db, len(tags) * n)
    assert sorted(row["patient_id"] for row in found) == sorted(tags * n)
    assert len(list(tmp_path.glob("*.pdf"))) == len(tags) * n
    assert not list(tmp_path.rglob("*.part"))


def test_two_cli_processes_making_documents_at_once(tmp_path: Path) -> None:
    n, tags = 5, ["P-1", "P-2"]
    config = write_config(tmp_path)
    Records(records_path(config)).close()
    out = tmp_path / "pdfs"
    out.mkdir()
    results = _run_together([[sys.executable, "-c", CLI_WRITER, str(config), str(out), tag, str(n)]
                             for tag in tags], tmp_path)
    for code, stdout, err in results:
        assert code == 0, err
        assert "Traceback" not in err and "Error" not in err, err
        assert stdout.count("Saved ") == n
    found = _check_database(records_path(config), len(tags) * n)
    assert sorted(row["patient_id"] for row in found) == sorted(tags * n)
    assert len(list(out.glob("*.pdf"))) == len(tags) * n
    assert not list(tmp_path.rglob("*.part"))
    assert os.listdir(out)


class _OtherProcessMigratesMeanwhile:
    """The connection Records opens, with another process creating the schema between its first reads.

    Just before this connection counts the tables, a second connection does what another
    front-desk PC's first run does (Records._migrate: create tables, set the ids, commit)."""

    def __init__(self, conn: sqlite3.Connection, path: Path):
        object.__setattr__(self, "real", conn)
        object.__setattr__(self, "path", path)
        object.__setattr__(self, "done", False)

    def __setattr__(self, name: str, value) -> None:
        setattr(self.real, name, value)

    def __getattr__(self, name: str):
        return getattr(self.real, name)

    def execute(self, sql: str, *args):
        if "sqlite_master" in sql and not self.done:
            object.__setattr__(self, "done", True)
            other = _REAL_CONNECT(self.path, timeout=0.5, isolation_level=None)
            try:
                other.execute("BEGIN IMMEDIATE")
                for statement in audit.steps_for("sqlite", 0):
                    other.execute(statement)
                other.execute(f"PRAGMA application_id={APPLICATION_ID}")
                other.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
                other.execute("COMMIT")
            except sqlite3.OperationalError:
                pass  # this connection holds the database: nobody can slip in between its reads
            finally:
                other.close()
        return self.real.execute(sql, *args)


def test_creating_the_database_in_a_race(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "records.db"

    def connect(path, *args, **kwargs):
        return _OtherProcessMigratesMeanwhile(_REAL_CONNECT(path, *args, **kwargs), Path(path))

    monkeypatch.setattr(audit.sqlite3, "connect", connect)
    records = Records(db)  # today: PatientDocsError "... is an SQLite file but not a records database"
    monkeypatch.undo()
    records.add(_record())
    records.close()
    assert count_records(db) == 1


def test_a_version_1_database_gains_visit_dates_and_keeps_its_records(tmp_path: Path) -> None:
    """A clinic's database from the first release: its records stay, found by the day they were made."""
    db = tmp_path / "records.db"
    conn = sqlite3.connect(db)
    for statement in audit.steps_for("sqlite", 0, 1):
        conn.execute(statement)
    conn.execute(f"PRAGMA application_id={APPLICATION_ID}")
    conn.execute("PRAGMA user_version=1")
    conn.execute("INSERT INTO documents (created_at, patient_id, patient_name, kind, treatment, language, "
                 "content_version, fingerprint, sha256, channel) VALUES ('2026-11-30T09:00:00+00:00', 'P-7', "
                 "'Old Record', 'info', 'dry-needling', 'en', '2026.11', 'abc', 'f00', 'printed')")
    conn.commit()
    conn.close()
    config = write_config(tmp_path, records=db)
    make_here("info", tmp_path / "new.pdf", config=config)
    old = json.loads(invoke("history", "--json", "--date", "2026-11-30", config=config).stdout)
    assert [(row["patient_name"], row["visit_date"]) for row in old] == [("Old Record", None)]
    new = json.loads(invoke("history", "--json", "--date", "2026-12-01", config=config).stdout)
    assert [row["visit_date"] for row in new] == ["2026-12-01"]
    assert sqlite3.connect(db).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_an_empty_date_is_an_error_not_everything(made: dict[str, Path]) -> None:
    result = invoke("history", "--date", "", config=made["config"])
    assert assert_one_line_error(result) == "Error: --date '' is not in an accepted date format (use YYYY-MM-DD)"


def test_a_default_name_never_replaces_another_patients_file(tmp_path: Path) -> None:
    """Names are shortened for file names: two long names can meet. Neither file is lost."""
    config = write_config(tmp_path)
    first = "Maria Fernanda Gonzalez Rodriguez de la Cruz"
    second = "Maria Fernanda Gonzalez Rodriguez de la Torre"
    saved = []
    for name in (first, second, first):
        result = invoke("consent", "--patient", name, "--dob", "1970-01-01", "--date", "2026-12-02", config=config)
        assert result.returncode == 0, result.stderr
        saved.append(result.stdout.split("Saved ", 1)[1].split(" (")[0])
    assert saved[0] != saved[1] and saved[1].endswith("_consent-2.pdf")
    assert saved[2] == saved[0]  # the same patient again: the new copy replaces the old
    for path, name in zip(saved, (first, second, first), strict=True):
        assert name in " ".join(page_texts(Path(path))[0].split())


def test_kill_stops_like_ctrl_c_so_temporary_files_are_cleaned_up() -> None:
    """SIGTERM becomes KeyboardInterrupt, whose handlers remove temporary files and roll back."""
    import signal

    from patientdocs import cli

    before = signal.getsignal(signal.SIGTERM)
    try:
        cli._stop_cleanly_on_terminate()
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)  # the handler runs at the next bytecode; never reached
    finally:
        signal.signal(signal.SIGTERM, before)


def test_a_very_long_name_does_not_stretch_the_history_table(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    name = "Bartholomew-Maximilian " * 8
    make_here("info", tmp_path / "long.pdf", config=config, patient=("--patient", name.strip()))
    table = invoke("history", config=config).stdout.splitlines()
    assert max(len(line) for line in table) < 200, table
    assert "Bartholomew-Maximilian Bartholomew-Maxi…" in table[1]
    assert json.loads(invoke("history", "--json", config=config).stdout)[0]["patient_name"] == name.strip()


def _saved(result: subprocess.CompletedProcess[str]) -> Path:
    assert result.returncode == 0, (result.stdout, result.stderr)
    return Path(result.stdout.split("Saved ", 1)[1].split(" (")[0])


def test_two_patients_with_one_name_and_no_id_keep_their_own_files(tmp_path: Path) -> None:
    """Two John Smiths on one day, told apart only by their dates of birth."""
    config = write_config(tmp_path)
    saved = [_saved(invoke("info", "--patient", "John Smith", "--dob", dob, "--date", "2026-12-02", config=config))
             for dob in ("1958-01-30", "1970-05-05", "1958-01-30")]
    assert saved[0].name == "2026-12-02_john-smith_info.pdf"
    assert saved[1].name == "2026-12-02_john-smith_info-2.pdf"
    assert saved[2] == saved[0]  # the same patient again: the new copy replaces the old
    assert "Date of birth: 30 January 1958" in page_texts(saved[0])[0]
    assert "Date of birth: 5 May 1970" in page_texts(saved[1])[0]
    assert {p.name for p in saved[0].parent.iterdir()} == {saved[0].name, saved[1].name}
    keys = [row["patient_key"] for row in db_rows(records_path(config))]
    assert keys[0] == keys[2] != keys[1] and all(keys)


def test_the_records_tell_namesakes_apart_without_keeping_their_dates_of_birth(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    for dob in ("1958-01-30", "1970-05-05"):
        _saved(invoke("consent", "--patient", "John Smith", "--dob", dob, "--date", "2026-12-02", config=config))
    db = records_path(config)
    stored = b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*"))
    for shown in (b"1958-01-30", b"30011958", b"19580130", b"30 January 1958", b"1970-05-05", b"05051970"):
        assert shown not in stored
    shown = invoke("history", "--json", config=config).stdout
    assert "1958-01-30" not in shown and "1970-05-05" not in shown
    assert len({row["patient_key"] for row in json.loads(shown)}) == 2


def test_a_corrected_date_of_birth_under_the_same_patient_id_replaces_the_file(tmp_path: Path) -> None:
    """A patient id is the clinic's number for one patient: a changed date of birth is a correction."""
    config = write_config(tmp_path)
    first, second = (_saved(invoke("info", "--patient", "Ana Lima", "--patient-id", "P-1042", "--dob", dob,
                                   "--date", "2026-12-02", config=config)) for dob in ("1990-05-02", "1990-02-05"))
    assert first == second
    assert "Date of birth: 5 February 1990" in page_texts(second)[0]


@pytest.mark.parametrize(("patient_id", "replaced"), [("P-9", True), (None, False)], ids=["with id", "no id"])
def test_a_file_recorded_before_identities_were_kept(tmp_path: Path, patient_id: str | None,
                                                     replaced: bool) -> None:
    """A version 2 database knows a file's patient by name and id only: without an id it cannot say
    the file is this patient's, so it is kept and the new document gets -2."""
    db = tmp_path / "records.db"
    conn = sqlite3.connect(db)
    for statement in audit.steps_for("sqlite", 0, 2):
        conn.execute(statement)
    conn.execute(f"PRAGMA application_id={APPLICATION_ID}")
    conn.execute("PRAGMA user_version=2")
    old = tmp_path / "out" / f"2026-12-02_john-smith{'_p-9' if patient_id else ''}_info.pdf"
    old.parent.mkdir()
    old.write_bytes(b"%PDF-1.7 an earlier John Smith's sheet")
    conn.execute("INSERT INTO documents (created_at, patient_id, patient_name, kind, treatment, language, "
                 "content_version, fingerprint, sha256, channel, file_name, visit_date) VALUES "
                 "('2026-12-02T09:00:00+00:00', ?, 'John Smith', 'info', 'dry-needling', 'en', '2026.11', 'abc', "
                 "?, 'printed', ?, '2026-12-02')", (patient_id, sha256(old), str(old)))
    conn.commit()
    conn.close()
    config = write_config(tmp_path, records=db)
    saved = _saved(invoke("info", "--patient", "John Smith", "--dob", "1970-05-05", *(
        ("--patient-id", patient_id) if patient_id else ()), "--date", "2026-12-02", config=config))
    assert (saved == old) is replaced
    if not replaced:
        assert saved.name == old.name.replace(".pdf", "-2.pdf")
        assert old.read_bytes() == b"%PDF-1.7 an earlier John Smith's sheet"
    assert "Date of birth: 5 May 1970" in page_texts(saved)[0]
    assert sqlite3.connect(db).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION

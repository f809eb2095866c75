"""The records on both backends: the SQLite file and a real PostgreSQL server (tests/pg_server.py).

Every test of the first part runs twice, once per backend, through the CLI as a clinic uses it:
documents, history, verify, the batch with two workers, email records, four processes at once,
and two print runs of one day. The second part is PostgreSQL's own: the password from the
environment, the server down before a run and stopped in the middle of one, and psycopg loaded
only when a server is configured.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from helpers_docs import (
    PATIENT,
    REPO,
    TODAY,
    TODAY_EPOCH,
    assert_one_line_error,
    cli_env,
    invoke,
    no_pdf_or_part,
    run,
    sha256,
    write_config,
)

from patientdocs.load.config import load_config
from patientdocs.records.store import SCHEMA_VERSION, open_records

try:
    from tests.pg_server import PASSWORD, PASSWORD_ROLE, PgServer
    from tests.smtp_server import Handler, MailServer
except ModuleNotFoundError:  # tests/ itself is on sys.path (pytest's default "prepend" import mode)
    from pg_server import PASSWORD, PASSWORD_ROLE, PgServer
    from smtp_server import Handler, MailServer

CLINIC = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))["clinic"]["name"]
DAY = "2026-12-01"
HEADER = "date,time,patient_name,dob,patient_id,therapist,language,email,documents\n"


def set_records(config: Path, **records: object) -> None:
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["records"] = records
    config.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """A clinic's config.yaml in tmp_path with its records on the backend of this run."""
    config = write_config(tmp_path)
    if request.param == "postgresql":
        server: PgServer = request.getfixturevalue("pg_server")
        set_records(config, url=server.url(server.new_database()))
    return config


def all_records(config: Path) -> list[dict]:
    records = open_records(load_config(config))
    try:
        return records.find()
    finally:
        records.close()


def appointments(folder: Path, rows: int, day: str = DAY) -> Path:
    lines = [f"{day},{8 + i // 3:02d}:{(i % 3) * 20:02d},Patient {chr(65 + i)} Test,1980-01-{i + 1:02d},"
             f"P-{100 + i},Sam Patel,en,,{'info consent' if i % 2 else 'aftercare'}\n" for i in range(rows)]
    path = folder / f"day-{day}.csv"
    path.write_text(HEADER + "".join(lines), encoding="utf-8")
    return path


def edited(pdf: bytes) -> bytes:
    """The PDF with one byte of its first page's content changed, as an edit after it was made would."""
    at = pdf.index(b"stream", len(pdf) // 3) + 20
    return pdf[:at] + bytes([pdf[at] ^ 0x01]) + pdf[at + 1:]


# ---- both backends --------------------------------------------------------------------------------------------


def test_documents_history_and_verify(backend: Path, tmp_path: Path) -> None:
    info, packet = tmp_path / "info.pdf", tmp_path / "packet.pdf"
    for kind, path in (("info", info), ("packet", packet)):
        done = invoke(kind, *PATIENT, "--date", DAY, "-o", path, config=backend)
        assert done.returncode == 0, done.stderr
    found = all_records(backend)
    assert [(r["kind"], Path(str(r["file_name"])).name) for r in found] == [
        ("info", "info.pdf"), ("info", "packet.pdf"), ("consent", "packet.pdf")]
    assert all(r["sha256"] == sha256(Path(str(r["file_name"]))) for r in found)

    listed = invoke("history", "--patient-id", "P-1042", "--date", DAY, "--json", config=backend)
    assert listed.returncode == 0, listed.stderr
    assert [(r["kind"], r["patient_name"], r["visit_date"]) for r in json.loads(listed.stdout)] == [
        ("info", "Ana Lima", DAY), ("info", "Ana Lima", DAY), ("consent", "Ana Lima", DAY)]
    table = invoke("history", config=backend)
    assert table.stdout.strip().endswith("3 document(s).")

    same = invoke("verify", packet, config=backend)
    assert same.returncode == 0 and same.stdout.startswith("UNCHANGED: packet.pdf was made by this clinic"), same
    changed = tmp_path / "changed.pdf"
    changed.write_bytes(edited(packet.read_bytes()))
    other = invoke("verify", changed, config=backend)
    assert other.returncode == 1 and other.stdout.startswith("CHANGED: changed.pdf says it carries"), other


def test_batch_with_two_workers_records_every_file_once(backend: Path, tmp_path: Path) -> None:
    listing = appointments(tmp_path, 6)
    out = tmp_path / "day"
    done = run("batch", listing, "-o", out, "--workers", "2", config=backend)
    assert done.returncode == 0, done.stderr
    found = all_records(backend)
    # Odd rows are info + consent (two records of one file), even rows aftercare.
    assert len(found) == 9
    files = sorted(p for p in out.glob("*.pdf") if p.name != "print-all.pdf")
    assert len(files) == 6
    assert {r["sha256"] for r in found} == {sha256(p) for p in files}
    assert "6 made, 0 not made, out of 6 rows." in (out / "report.txt").read_text(encoding="utf-8")

    again = run("batch", listing, "-o", out, "--workers", "2", config=backend)
    assert again.returncode == 0, again.stderr
    assert len(all_records(backend)) == 9  # nothing made twice


def test_emailed_documents_are_recorded(backend: Path, tmp_path: Path, servers) -> None:
    handler = Handler()
    server = servers(MailServer(handler))
    data = yaml.safe_load(backend.read_text(encoding="utf-8"))
    data["email"]["smtp"] = {"host": "127.0.0.1", "port": server.port, "security": "none",
                             "from": data["email"]["smtp"]["from"], "timeout": 5, "retries": 0}
    backend.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    sent = invoke("email", "aftercare", "--to", "ana@example.org", *PATIENT, "--areas", "neck (left)", config=backend)
    assert sent.returncode == 0, sent.stderr
    assert len(handler.messages) == 1
    found = all_records(backend)
    assert [(r["kind"], r["channel"], r["recipient"], r["encryption"]) for r in found] == [
        ("aftercare", "saved", None, None), ("aftercare", "emailed", "ana@example.org", "passphrase")]
    # The emailed record holds the digest of the locked attachment, not of the PDF kept.
    assert found[0]["sha256"] == sha256(Path(str(found[0]["file_name"])))
    assert found[1]["sha256"] != found[0]["sha256"]


WRITER = """
import hashlib, sys
from pathlib import Path
from patientdocs.load.config import load_config
from patientdocs.records.store import Record, open_records, save_with_record
config, folder, tag, n = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
for i in range(n):
    records = open_records(load_config(config))  # a fresh connection each time, as each command makes one
    data = b"%PDF-1.4 " + f"{tag} {i}".encode()
    save_with_record(records, folder / f"{tag}-{i}.pdf", data, [Record(
        patient_name="Ana Lima", patient_id=tag, kind="consent", treatment="dry-needling", language="en",
        content_version="2026.11", fingerprint="0123456789ab", sha256=hashlib.sha256(data).hexdigest(),
        channel="printed", file_name=str(folder / f"{tag}-{i}.pdf"))])
    records.close()
"""


def test_four_processes_writing_at_once(backend: Path, tmp_path: Path) -> None:
    n, tags = 8, ["a", "b", "c", "d"]
    all_records(backend)  # created first, as the first command of a clinic does
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(backend), str(tmp_path), tag, str(n)],
                              env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for tag in tags]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0 and err == "", err
    found = all_records(backend)
    assert sorted(str(r["patient_id"]) for r in found) == sorted(tags * n)
    assert len({r["id"] for r in found}) == len(tags) * n
    assert all(r["sha256"] == sha256(Path(str(r["file_name"]))) for r in found)


def test_a_second_print_run_for_the_same_day_is_refused(backend: Path, tmp_path: Path) -> None:

    listing = appointments(tmp_path, 2)
    records = open_records(load_config(backend))
    try:
        with records.print_run(CLINIC, TODAY):  # the first desk's run, still going
            second = run("batch", listing, "-o", tmp_path / "day", config=backend)
            other_day = run("batch", appointments(tmp_path, 1, day="2026-12-02"), "-o", tmp_path / "next",
                            config=backend)
    finally:
        records.close()
    line = assert_one_line_error(second)
    assert line == (f"Error: another print run for {CLINIC} on 2026-12-01 is under way (at this or another desk); "
                    "wait until it has finished, then run the same command again: it makes only what is still "
                    "missing")
    assert not (tmp_path / "day").exists() or not list((tmp_path / "day").glob("*.pdf"))
    assert other_day.returncode == 0, other_day.stderr  # another day is another run
    after = run("batch", listing, "-o", tmp_path / "day", config=backend)
    assert after.returncode == 0, after.stderr  # once the first run has ended


def test_a_lock_is_released_when_its_process_dies(backend: Path, tmp_path: Path) -> None:
    hold = ("import sys, time, datetime as dt\nfrom pathlib import Path\n"
            "from patientdocs.load.config import load_config\nfrom patientdocs.records.store import open_records\n"
            "r = open_records(load_config(Path(sys.argv[1])))\n"
            f"with r.print_run({CLINIC!r}, dt.date(2026, 12, 1)):\n    print('held', flush=True)\n    time.sleep(60)\n")
    proc = subprocess.Popen([sys.executable, "-c", hold, str(backend)], env=cli_env(), stdout=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline() == "held\n"
        refused = run("batch", appointments(tmp_path, 1), "-o", tmp_path / "day", config=backend)
        assert refused.returncode == 2 and "another print run" in refused.stderr
    finally:
        proc.kill()
        proc.wait()
    done = run("batch", appointments(tmp_path, 1), "-o", tmp_path / "day", config=backend)
    assert done.returncode == 0, done.stderr


# ---- PostgreSQL only ------------------------------------------------------------------------------------------


def test_the_password_comes_from_the_environment(pg_server: PgServer, tmp_path: Path) -> None:
    config = write_config(tmp_path)
    set_records(config, url=pg_server.url(pg_server.new_database(owner=PASSWORD_ROLE), user=PASSWORD_ROLE),
                password_env="CLINIC_RECORDS_PASSWORD")
    unset = invoke("info", *PATIENT, config=config)
    assert assert_one_line_error(unset) == ("Error: records.password_env: the environment variable "
                                            "CLINIC_RECORDS_PASSWORD is not set; set it to the records database "
                                            "password")
    wrong = invoke("info", *PATIENT, config=config, env={"CLINIC_RECORDS_PASSWORD": "not-it"})
    line = assert_one_line_error(wrong)
    assert line.startswith("Error: cannot reach the records database 'records_") and "password authentication " \
        f"failed for user \"{PASSWORD_ROLE}\"" in line and line.endswith("; nothing was made"), line
    assert "not-it" not in wrong.stderr
    no_pdf_or_part(tmp_path)
    right = invoke("info", *PATIENT, config=config, env={"CLINIC_RECORDS_PASSWORD": PASSWORD})
    assert right.returncode == 0, right.stderr
    assert len(all_records_with(config, {"CLINIC_RECORDS_PASSWORD": PASSWORD})) == 1


def all_records_with(config: Path, env: dict[str, str]) -> list[dict]:
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        return all_records(config)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def test_a_password_in_the_settings_file_is_refused(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    set_records(config, url="postgresql://clinic:hunter2@db.example.org/records")
    line = assert_one_line_error(invoke("info", *PATIENT, config=config))
    number = config.read_text(encoding="utf-8").splitlines().index(
        "  url: postgresql://clinic:hunter2@db.example.org/records") + 1
    assert line == (f"Error: {config}:{number}: records.url: must not hold the password; put it in an environment "
                    "variable and name that variable in records.password_env")
    no_pdf_or_part(tmp_path)


def test_a_server_that_is_down_stops_before_any_document(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    nowhere = tmp_path / "no-server"
    nowhere.mkdir()
    set_records(config, url=f"postgresql:///records?host={nowhere}&user=clinic")
    for args in (("info", *PATIENT), ("batch", appointments(tmp_path, 3), "-o", tmp_path / "day")):
        line = assert_one_line_error(run(*args, config=config))
        assert line.startswith(f"Error: cannot reach the records database 'records' on {nowhere} (connection "), line
        assert line.endswith("; nothing was made"), line
        no_pdf_or_part(tmp_path)


def test_psycopg_is_imported_only_for_a_server(pg_server: PgServer, tmp_path: Path) -> None:
    probe = ("import sys\nfrom patientdocs.cli import main\n"
             "try:\n    main(sys.argv[1:], standalone_mode=False)\n"
             "finally:\n    print('psycopg' in sys.modules)\n")
    sqlite = write_config(tmp_path / "a")
    server = write_config(tmp_path / "b")
    set_records(server, url=pg_server.url(pg_server.new_database()))
    for config, expected in ((sqlite, "False"), (server, "True")):
        done = subprocess.run([sys.executable, "-c", probe, "info", *PATIENT, "--config", str(config)],
                              env=cli_env(), capture_output=True, text=True, check=False, timeout=120)
        assert done.returncode == 0, done.stderr
        assert done.stdout.splitlines()[-1] == expected


def test_a_server_stopped_mid_batch_loses_nothing(tmp_path: Path) -> None:
    """Files made before the stop are recorded; rows after it are reported not made, and have no file."""
    server = PgServer()
    try:
        config = write_config(tmp_path)
        set_records(config, url=server.url(server.new_database()))
        listing = appointments(tmp_path, 16)
        out = tmp_path / "day"
        proc = subprocess.Popen([sys.executable, str(REPO / "generate.py"), "batch", str(listing), "-o", str(out),
                                 "--workers", "2", "--config", str(config)], env=cli_env(),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while len(list(out.glob("*.pdf"))) < 3 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.02)
        server.stop("immediate")
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 1, err  # some rows failed
        report = (out / "report.txt").read_text(encoding="utf-8")
        server.start()
        found = all_records(config)
        files = sorted(p for p in out.glob("*.pdf") if p.name != "print-all.pdf")
        # Every file left is recorded, and every record's file is there, unchanged.
        assert {sha256(p) for p in files} == {r["sha256"] for r in found}
        assert all(Path(str(r["file_name"])).is_file() for r in found)
        made = int(report.split(" made, ")[0].rsplit("\n", 1)[-1])
        assert made == len(files) and 3 <= made < 16, report
        failed = [line for line in report.splitlines() if "NOT MADE" in line]
        assert len(failed) == 16 - made
        assert all("records database 'records_" in line and line.endswith("; nothing was saved")
                   for line in failed), failed
        assert not list(out.rglob("*.part"))
    finally:
        server.close()


def test_an_unrelated_database_is_refused(pg_server: PgServer, tmp_path: Path) -> None:
    name = pg_server.new_database()
    pg_server.sql("CREATE TABLE invoices (id integer)", database=name)
    config = write_config(tmp_path)
    set_records(config, url=pg_server.url(name))
    line = assert_one_line_error(invoke("info", *PATIENT, config=config))
    assert line == (f"Error: the database '{name}' on {pg_server.socket} holds other tables but no records of this "
                    "program; give records.url a database of its own")


def test_both_backends_keep_the_same_columns(pg_server: PgServer, tmp_path: Path) -> None:
    import sqlite3

    config = write_config(tmp_path)
    all_records(config)
    with sqlite3.connect(tmp_path / "records.db") as conn:
        lite = [row[1] for row in conn.execute("PRAGMA table_info(documents)")]
    name = pg_server.new_database()
    set_records(config, url=pg_server.url(name))
    all_records(config)
    pg = [row[0] for row in pg_server.sql("SELECT column_name FROM information_schema.columns WHERE "
                                          "table_name = 'documents' ORDER BY ordinal_position", database=name)]
    assert pg == lite
    version = pg_server.sql("SELECT version FROM patientdocs_schema", database=name)
    assert version == [(SCHEMA_VERSION,)]


def test_records_migrate_copies_the_sqlite_file_checking_counts_and_hashes(pg_server: PgServer,
                                                                          tmp_path: Path) -> None:
    config = write_config(tmp_path)
    first = invoke("packet", *PATIENT, config=config)
    assert first.returncode == 0, first.stderr
    namesake = ("--patient", "Ana Lima", "--dob", "1971-02-03", "--therapist", "Sam Patel")
    assert invoke("info", *namesake, config=config).returncode == 0
    before = json.loads(invoke("history", "--json", config=config).stdout)
    assert len(before) == 3

    name = pg_server.new_database()
    set_records(config, url=pg_server.url(name))
    moved = invoke("records", "migrate", config=config)
    assert moved.returncode == 0, moved.stderr
    lines = moved.stdout.splitlines()
    assert lines[-1] == (f"Copied 3 records from '{tmp_path / 'records.db'}' to '{name}' on {pg_server.socket}; "
                         "counts and hashes match.")
    # Every table of the file, the web page's accounts and log and the signatures too.
    assert [line.split(":")[0] for line in lines[:-1]] == ["actions", "documents", "salts", "signatures", "users"]
    assert lines[1].startswith("documents: 3 rows, sha256 ") and lines[2].startswith("salts: 1 row, sha256 ")
    after = json.loads(invoke("history", "--json", config=config).stdout)
    assert after == before  # every field, ids included

    # The same patients are still told apart on the server: Ana's packet is hers, so making it
    # again replaces it; her namesake's information sheet is not replaced by it.
    packet = Path(str(before[1]["file_name"]))
    again = invoke("packet", *PATIENT, config=config)
    assert again.returncode == 0, again.stderr
    newest = all_records(config)
    assert len(newest) == 5 and newest[-1]["id"] > max(r["id"] for r in before)
    assert newest[-1]["file_name"] == str(packet)
    assert invoke("verify", Path(str(before[2]["file_name"])), config=config).returncode == 0

    twice = invoke("records", "migrate", config=config)
    assert assert_one_line_error(twice).startswith("Error: the records database ")
    assert "already holds 5 records; copy into a database that holds none" in twice.stderr


def test_records_migrate_needs_a_server(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    line = assert_one_line_error(invoke("records", "migrate", config=config))
    assert line == (f"Error: {config}: records.url is not set; name the PostgreSQL server to copy the records into "
                    "(postgresql://USER@HOST/DATABASE)")


# ---- FHIR export (both backends) ------------------------------------------------------------------------------


def _validated(path: Path):
    from fhir.resources.R4B.bundle import Bundle  # tests only: the tool writes the JSON itself

    data = json.loads(path.read_text(encoding="utf-8"))
    return data, Bundle.model_validate(data)


def test_export_fhir_writes_a_valid_r4_transaction_bundle(backend: Path, tmp_path: Path) -> None:
    import base64

    from patientdocs.records.verify import read_control_metadata

    packet, bea, later = tmp_path / "packet.pdf", tmp_path / "bea.pdf", tmp_path / "later.pdf"
    assert invoke("packet", *PATIENT, "--date", DAY, "-o", packet, config=backend).returncode == 0
    assert invoke("info", "--patient", "Bea Costa", "--patient-id", "P-2000", "--therapist", "Sam Patel",
                  "--date", DAY, "-o", bea, config=backend).returncode == 0
    assert invoke("aftercare", *PATIENT, "--date", "2026-12-02", "-o", later, config=backend).returncode == 0

    out = tmp_path / "day.json"
    done = invoke("export", "--fhir", "--date", DAY, "-o", out, config=backend)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"Wrote 3 documents to {out} (FHIR R4 transaction bundle).\n"
    data, model = _validated(out)
    assert model.type == "transaction"
    docs = [entry["resource"] for entry in data["entry"]]
    assert [d["resourceType"] for d in docs] == ["DocumentReference"] * 3
    assert [(d["subject"]["identifier"]["value"], d["type"]["coding"][-1]["code"]) for d in docs] == [
        ("P-1042", "info"), ("P-1042", "consent"), ("P-2000", "info")]
    consent = docs[1]
    assert consent["type"]["coding"][0] == {"system": "http://loinc.org", "code": "59284-0",
                                            "display": "Consent Document"}
    assert consent["type"]["text"] == "Consent form"
    for doc, path in zip(docs, (packet, packet, bea), strict=True):
        pdf = path.read_bytes()
        attachment = doc["content"][0]["attachment"]
        assert base64.b64decode(attachment["data"]) == pdf
        assert attachment["size"] == len(pdf)
        assert base64.b64decode(attachment["hash"]) == hashlib.sha1(pdf).digest()
        assert attachment["contentType"] == "application/pdf" and attachment["language"] == "en"
        assert {"system": "urn:patientdocs:sha256", "value": sha256(path)} in doc["identifier"]
        meta = read_control_metadata(pdf)
        assert doc["extension"][0] == {"url": "urn:patientdocs:content-version", "valueString": meta["ContentVersion"]}
        assert doc["context"]["period"]["start"] == DAY
        assert doc["subject"]["display"] in ("Ana Lima", "Bea Costa")
    # A conditional create: importing the bundle twice files each document once.
    first = data["entry"][0]
    assert first["request"] == {"method": "POST", "url": "DocumentReference",
                                "ifNoneExist": f"identifier=urn:ietf:rfc:3986|{first['fullUrl']}"}
    again = tmp_path / "again.json"
    assert invoke("export", "--fhir", "--date", DAY, "-o", again, config=backend).returncode == 0
    assert again.read_bytes() == out.read_bytes()

    ana = tmp_path / "ana.json"
    assert invoke("export", "--fhir", "--patient-id", "P-1042", "-o", ana, config=backend).returncode == 0
    ana_docs = [e["resource"] for e in _validated(ana)[0]["entry"]]
    assert [d["type"]["coding"][-1]["code"] for d in ana_docs] == ["info", "consent", "aftercare"]
    assert ana_docs[2]["context"]["period"]["start"] == "2026-12-02"


def test_export_leaves_out_a_changed_file_and_says_so(backend: Path, tmp_path: Path) -> None:
    packet, bea = tmp_path / "packet.pdf", tmp_path / "bea.pdf"
    assert invoke("packet", *PATIENT, "--date", DAY, "-o", packet, config=backend).returncode == 0
    assert invoke("info", "--patient", "Bea Costa", "--patient-id", "P-2000", "--date", DAY, "-o", bea,
                  config=backend).returncode == 0
    packet.write_bytes(edited(packet.read_bytes()))
    bea.unlink()
    out = tmp_path / "day.json"
    done = invoke("export", "--fhir", "--date", DAY, "-o", out, config=backend)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "Not exported: packet.pdf: changed since it was made (it is not the file recorded)",
        "Not exported: bea.pdf: not found where it was saved"]
    assert done.stdout == f"Wrote 0 documents to {out} (FHIR R4 transaction bundle).\n"
    assert _validated(out)[0]["entry"] == []


def test_export_needs_a_json_file_name(backend: Path, tmp_path: Path) -> None:
    line = assert_one_line_error(invoke("export", "--fhir", "-o", tmp_path / "day.pdf", config=backend))
    assert line == "Error: -o day.pdf: the bundle is JSON; give a file name ending in .json"
    bad_day = invoke("export", "--fhir", "--date", "2026-02-30", "-o", tmp_path / "x.json", config=backend)
    assert bad_day.returncode == 2 and not (tmp_path / "x.json").exists()


def test_a_signed_consent_becomes_a_consent_resource() -> None:
    """The Consent resource, for consent forms signed at the clinic (the records say when)."""
    from fhir.resources.R4B.bundle import Bundle

    from patientdocs.records import fhir

    row = {"sha256": "ab" * 32, "kind": "consent", "patient_name": "Ana Lima", "patient_id": "P-1042",
           "language": "en", "treatment": "dry-needling", "content_version": "2026.11", "fingerprint": "f" * 12,
           "created_at": "2026-12-01T09:00:00+00:00", "visit_date": DAY}
    data = fhir.bundle([(row, b"%PDF-1.7 signed")], label=lambda kind: "Consent form",
                       patient_system="urn:patientdocs:clinic:patient-id",
                       signatures={"ab" * 32: "2026-12-01T09:05:00+00:00"})
    Bundle.model_validate(data)
    doc, signed = data["entry"]
    assert signed["resource"]["resourceType"] == "Consent"
    assert signed["resource"]["sourceReference"] == {"reference": doc["fullUrl"]}
    assert signed["resource"]["dateTime"] == "2026-12-01T09:05:00+00:00"
    assert signed["resource"]["patient"]["identifier"]["value"] == "P-1042"
    unsigned = fhir.bundle([(row, b"%PDF-1.7 signed")], label=lambda kind: "Consent form",
                           patient_system="urn:patientdocs:clinic:patient-id")
    assert [e["resource"]["resourceType"] for e in unsigned["entry"]] == ["DocumentReference"]


def test_records_settings_problems_are_reported_with_their_lines(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    set_records(config, url="mysql://clinic@db.example.org/records", password_env="1BAD")
    lines = config.read_text(encoding="utf-8").splitlines()
    done = invoke("info", *PATIENT, config=config)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.splitlines() == [
        f"Error: {config}:{lines.index('  url: mysql://clinic@db.example.org/records') + 1}: records.url: must start "
        "with postgresql:// (the records of one clinic stay in the SQLite file of paths.records)",
        f"Error: {config}:{lines.index('  password_env: 1BAD') + 1}: records.password_env: '1BAD' is not the name "
        "of an environment variable"]

    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    del data["records"]
    data["paths"]["records"] = "postgresql://clinic@db.example.org/records"
    config.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    line = assert_one_line_error(invoke("info", *PATIENT, config=config))
    at = config.read_text(encoding="utf-8").splitlines().index("  records: postgresql://clinic@db.example.org/records")
    assert line == (f"Error: {config}:{at + 1}: paths.records: a PostgreSQL server goes in records.url (and its "
                    "password in the environment variable named by records.password_env); paths.records is the "
                    "SQLite file")
    no_pdf_or_part(tmp_path)


def test_four_desks_starting_on_an_empty_server_database_migrate_once(pg_server: PgServer, tmp_path: Path) -> None:
    config = write_config(tmp_path)
    name = pg_server.new_database()
    set_records(config, url=pg_server.url(name))
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(config), str(tmp_path), tag, "2"], env=cli_env(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for tag in "abcd"]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0 and err == "", err
    assert pg_server.sql("SELECT application, version FROM patientdocs_schema", database=name) == [
        ("patientdocs records", SCHEMA_VERSION)]
    assert pg_server.sql("SELECT count(*) FROM salts", database=name) == [(1,)]
    assert len(all_records(config)) == 8


def test_after_a_lost_connection_the_next_document_is_saved_once_the_server_is_back(tmp_path: Path) -> None:
    from patientdocs.errors import PatientDocsError
    from patientdocs.records.base import Record
    from patientdocs.records.postgres import PostgresRecords
    from patientdocs.records.store import save_with_record

    def record(name: str, data: bytes) -> list[Record]:
        return [Record(patient_name="Ana Lima", patient_id="P-1042", kind="info", treatment="dry-needling",
                       language="en", content_version="2026.11", fingerprint="0123456789ab",
                       sha256=hashlib.sha256(data).hexdigest(), channel="printed", file_name=str(tmp_path / name))]

    server = PgServer()
    try:
        records = PostgresRecords(server.url(server.new_database()))
        save_with_record(records, tmp_path / "one.pdf", b"%PDF-1.4 one", record("one.pdf", b"%PDF-1.4 one"))
        server.stop("immediate")
        with pytest.raises(PatientDocsError, match=r"cannot write to records database .*; nothing was saved$"):
            save_with_record(records, tmp_path / "two.pdf", b"%PDF-1.4 two", record("two.pdf", b"%PDF-1.4 two"))
        assert not (tmp_path / "two.pdf").exists()
        server.start()
        save_with_record(records, tmp_path / "two.pdf", b"%PDF-1.4 two", record("two.pdf", b"%PDF-1.4 two"))
        assert [Path(str(r["file_name"])).name for r in records.find()] == ["one.pdf", "two.pdf"]
        records.close()
    finally:
        server.close()


def test_a_consent_signed_on_the_tablet_is_recorded_and_exported_as_a_consent(backend: Path, tmp_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from patientdocs.records.signatures import last_signed
    from patientdocs.usecases.signing import sign_consent

    try:
        from tests.test_signing import request
    except ModuleNotFoundError:
        from test_signing import request

    monkeypatch.setenv("SOURCE_DATE_EPOCH", TODAY_EPOCH)
    config = load_config(backend)
    signed = sign_consent(config, request(config))
    records = open_records(config)
    try:
        identity = records.identity(name="Ana Lima", patient_id="P-1042", dob=None)
        assert last_signed(records, "dry-needling") == {identity: (signed.version, "2026-12-01T00:00:00+00:00")}
    finally:
        records.close()

    out = tmp_path / "ana.json"
    done = invoke("export", "--fhir", "--patient-id", "P-1042", "-o", out, config=backend)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"Wrote 1 document and 1 signed consent to {out} (FHIR R4 transaction bundle).\n"
    data, _ = _validated(out)
    doc, consent = data["entry"]
    assert doc["resource"]["content"][0]["attachment"]["size"] == signed.path.stat().st_size
    assert consent["resource"]["resourceType"] == "Consent"
    assert consent["resource"]["sourceReference"] == {"reference": doc["fullUrl"]}
    assert consent["resource"]["dateTime"] == "2026-12-01T00:00:00+00:00"
    assert consent["request"] == {"method": "POST", "url": "Consent"}


def test_the_pages_accounts_and_log_work_on_both_backends(backend: Path) -> None:
    records = open_records(load_config(backend))
    try:
        assert records.set_password_hash("frontdesk", "$argon2id$first") is True
        assert records.set_password_hash("frontdesk", "$argon2id$second") is False
        assert records.password_hash("frontdesk") == "$argon2id$second"
        assert records.usernames() == ["frontdesk"]
        records.log_action("frontdesk", "127.0.0.1", "made-packet", "P-1042")
        assert [(a["username"], a["action"], a["detail"]) for a in records.actions()] == [
            ("frontdesk", "made-packet", "P-1042")]
        assert records.remove_user("frontdesk") is True and records.usernames() == []
        assert records.remove_user("frontdesk") is False
    finally:
        records.close()

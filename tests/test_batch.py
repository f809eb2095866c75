"""The `batch` command end to end: a day's appointment list to per-appointment PDFs, print-all.pdf
and report.txt, run in subprocesses exactly as the front desk runs it.

The 40-row fixture is rendered twice in this file (once uninterrupted, once interrupted and
resumed); every other run uses a handful of rows. Every run has its own copy of config.yaml
whose output and records database live in a temporary folder.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import select
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pikepdf
import pytest
import support
from helpers_docs import write_config
from pypdf import PdfReader
from support import BUILD_EPOCH, GENERATE, PAGE_OF, norm

from patientdocs.batch.appointments import AppointmentList, read_appointments
from patientdocs.load.config import load_config
from patientdocs.load.content import available

FIXTURES = support.FIXTURES / "appointments"
DAY40 = FIXTURES / "day-40.csv"
EPOCH = BUILD_EPOCH  # fixed build date, so two runs can be compared byte for byte
TREATMENT = "dry-needling"
BAD_ROWS = {  # line in day-40.csv -> what report.txt must say about it
    13: "patient name is empty",
    25: "date '2026-02-30' is not a real date",
    32: "unknown document 'xray'",
}
HEADER = ["date", "time", "patient_name", "dob", "patient_id", "therapist", "documents"]


# -- helpers ---------------------------------------------------------------------------------------

def make_config(folder: Path, font_size: float | None = None) -> Path:
    """A copy of config.yaml: content and templates from the repository, output and records in ``folder``."""
    return write_config(folder, font_size=font_size)


def command(csv_path: Path, out: Path, config: Path, *extra: str) -> list[str]:
    return [sys.executable, str(GENERATE), "batch", str(csv_path), "-o", str(out), "--config", str(config), *extra]


def cli_env() -> dict[str, str]:
    return support.cli_env(EPOCH)


def run(args: list[str], cwd: Path, **kwargs) -> subprocess.CompletedProcess[str]:
    """A subprocess: for runs with workers, signals or a terminal."""
    return subprocess.run(args, cwd=cwd, env=cli_env(), capture_output=True, text=True, encoding="utf-8",
                          timeout=180, check=False, stdin=subprocess.DEVNULL, **kwargs)


def batch_here(csv_path: Path, out: Path, config: Path, *extra: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``batch`` in this process (support.cli), for runs with one worker: the same result as ``run``."""
    return support.cli("batch", csv_path, "-o", out, "--config", config, *extra, cwd=cwd, epoch=EPOCH)


def write_csv(path: Path, rows: list[list[str]], *, header: list[str] = HEADER) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([header, *rows])
    return path


def listing_for(csv_path: Path, config_path: Path) -> AppointmentList:
    """The rows as the command reads them (same settings), to know which files to expect."""
    config = load_config(config_path)
    return read_appointments(csv_path, columns=config.batch.columns, date_formats=config.batch.date_formats,
                             known_languages=available(config.handouts_dir)[TREATMENT],
                             default_language=config.defaults.language)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def texts(path: Path, pages: list[int] | None = None) -> dict[int, str]:
    """Normalised text of the given 0-based pages (all pages when None)."""
    reader = PdfReader(io.BytesIO(path.read_bytes()))
    chosen = range(len(reader.pages)) if pages is None else pages
    return {i: norm(reader.pages[i].extract_text() or "") for i in chosen}


def page_streams(pdf: pikepdf.Pdf) -> list[bytes]:
    """Each page's decoded content stream: what is drawn on it."""
    out = []
    for page in pdf.pages:
        contents = page.obj.get("/Contents")
        if isinstance(contents, pikepdf.Stream):
            out.append(contents.read_bytes())
        elif isinstance(contents, pikepdf.Array):
            out.append(b"".join(part.read_bytes() for part in contents))
        else:
            out.append(b"")
    return out


def pdf_count(path: Path) -> int:
    with pikepdf.open(path) as pdf:
        return len(pdf.pages)


def visible_files(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


def printed_records(db: Path) -> list[dict]:
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute("SELECT * FROM documents WHERE channel = 'printed' ORDER BY id")]


def day_order(listing: AppointmentList):
    return sorted(listing.rows, key=lambda a: (a.date, a.time or "", a.line))


@dataclass
class Run:
    result: subprocess.CompletedProcess[str]
    folder: Path
    out: Path
    config: Path
    listing: AppointmentList

    @property
    def records(self) -> Path:
        return self.folder / "records.db"

    def file(self, appointment) -> Path:
        return self.out / f"{appointment.key}.pdf"


# -- the 40-row day, uninterrupted ------------------------------------------------------------------

@pytest.fixture(scope="module")
def day40(tmp_path_factory) -> Run:
    folder = tmp_path_factory.mktemp("day40")
    # 14 pt: the demo documents then have odd page counts, so the print run needs blank pages.
    config = make_config(folder, font_size=14)
    out = folder / "out" / "day"
    result = run(command(DAY40, out, config, "--workers", "2"), cwd=folder)
    assert "Traceback" not in result.stderr, result.stderr
    return Run(result, folder, out, config, listing_for(DAY40, config))


class TestDay40:
    def test_fixture_is_what_the_tests_assume(self, day40):
        assert len(day40.listing.rows) == 37
        assert [p.line for p in day40.listing.problems] == sorted(BAD_ROWS)
        assert load_config(day40.config).document.duplex is True  # the default the layout test relies on

    def test_exit_code_and_summary(self, day40):
        result = day40.result
        assert result.returncode == 1, (result.stdout, result.stderr)
        summary = [line for line in result.stdout.splitlines() if line.startswith("Made ")]
        assert len(summary) == 1, result.stdout
        assert re.search(r"\bMade 37 of 40 appointments\b", summary[0]), summary
        assert re.search(r"\b3 not made\b", summary[0]), summary
        assert "already made" not in summary[0]
        assert str(day40.out / "print-all.pdf") in summary[0]
        assert str(day40.out / "report.txt") in summary[0]

    def test_output_folder_holds_exactly_the_files(self, day40):
        expected = {f"{a.key}.pdf" for a in day40.listing.rows} | {"print-all.pdf", "report.txt"}
        assert len(expected) == 39
        names = visible_files(day40.out)
        assert names == expected, (sorted(names - expected), sorted(expected - names))
        assert not [n for n in names if n.startswith(".") or n.endswith(".part")]
        assert not list(day40.folder.rglob("*.part"))
        for name in names - {"report.txt"}:
            with pikepdf.open(day40.out / name) as pdf:
                assert len(pdf.pages) > 0

    def test_same_patient_twice_gives_two_distinct_files(self, day40):
        anna = [a for a in day40.listing.rows if a.patient_name == "Anna Kowalska"]
        assert len(anna) == 2
        first, second = (day40.file(a) for a in anna)
        assert first != second and first.is_file() and second.is_file()
        assert sha(first) != sha(second)
        assert "Anna Kowalska" in texts(first, [0])[0]
        assert "Anna Kowalska" in texts(second, [0])[0]
        assert pdf_count(first) != pdf_count(second)  # a packet, then an aftercare sheet

    def test_print_all_each_patient_starts_on_a_front_side(self, day40):
        """Cover, then every file in cover order, page for page; a blank page only where needed."""
        path = day40.out / "print-all.pdf"
        cover_pages = int(PAGE_OF.search(texts(path, [0])[0]).group(2))
        blanks, starts = [], []
        with pikepdf.open(path) as joined:
            drawn = page_streams(joined)
            position = cover_pages
            for appointment in day_order(day40.listing):
                if position % 2 == 1:  # an odd number of pages so far: the next one would be a back side
                    blanks.append(position)
                    position += 1
                starts.append(position)
                with pikepdf.open(day40.file(appointment)) as single:
                    own = page_streams(single)
                assert drawn[position:position + len(own)] == own, f"pages of {appointment.key} not in place"
                position += len(own)
            assert position == len(joined.pages)
        assert all((start + 1) % 2 == 1 for start in starts)  # 1-based page numbers are odd
        assert blanks, "the fixture should need some blank pages"
        for index, text in texts(path, blanks).items():
            assert "intentionally blank" in text, (index, text)
        # And each patient's first page really is their page 1, with their name.
        firsts = texts(path, starts)
        for appointment, start in zip(day_order(day40.listing), starts, strict=True):
            assert appointment.patient_name in firsts[start], (appointment.key, firsts[start][:200])
            assert re.search(r"Page 1 of \d+", firsts[start])

    def test_cover_lists_every_made_appointment_in_time_order(self, day40):
        path = day40.out / "print-all.pdf"
        cover_pages = int(PAGE_OF.search(texts(path, [0])[0]).group(2))
        assert 1 <= cover_pages <= 5
        cover = " ".join(texts(path, list(range(cover_pages))).values())
        assert "37 appointments" in cover
        position = 0
        for appointment in day_order(day40.listing):
            found = cover.find(f"{appointment.time} {appointment.patient_name}", position)
            assert found >= 0, f"{appointment.time} {appointment.patient_name} missing or out of order"
            position = found + 1
            if appointment.therapist:
                following = cover[found:found + 120]
                assert appointment.therapist in following, (appointment.key, following)
        # Rows not made: in the order of the file, each with its patient's name where there is one.
        not_made = [re.search(rf"line {line}: (?:[^:]+: )?{re.escape(reason)}", cover) for line, reason in
                    sorted(BAD_ROWS.items())]
        assert all(not_made), cover
        assert [m.start() for m in not_made] == sorted(m.start() for m in not_made)

    def test_report_names_bad_lines_and_every_made_file(self, day40):
        report = (day40.out / "report.txt").read_text(encoding="utf-8")
        lines = report.splitlines()
        for number, reason in BAD_ROWS.items():
            hits = [line for line in lines if line.startswith(f"line {number}:")]
            assert len(hits) == 1, (number, hits)
            assert reason in hits[0], hits[0]
        for appointment in day40.listing.rows:
            hits = [line for line in lines if line.startswith(f"line {appointment.line}:")]
            assert len(hits) == 1, (appointment.line, hits)
            assert f"{appointment.key}.pdf" in hits[0]
            assert appointment.patient_name in hits[0]
            assert f"({pdf_count(day40.file(appointment))} pages)" in hits[0]
        assert "37 made, 3 not made, out of 40 rows." in report

    def test_records_one_per_document_kind_with_the_file_sha(self, day40):
        records = printed_records(day40.records)
        by_file: dict[str, list[dict]] = {}
        for record in records:
            by_file.setdefault(Path(record["file_name"]).name, []).append(record)
        expected = {f"{a.key}.pdf": a for a in day40.listing.rows}
        assert set(by_file) == set(expected)
        for name, found in by_file.items():
            appointment = expected[name]
            assert sorted(r["kind"] for r in found) == sorted(appointment.documents), name
            digest = sha(day40.out / name)
            assert {r["sha256"] for r in found} == {digest}
            assert {r["patient_name"] for r in found} == {appointment.patient_name}
            assert {r["patient_id"] for r in found} == {appointment.patient_id}
        assert len(records) == sum(len(a.documents) for a in day40.listing.rows)
        packets = [a for a in day40.listing.rows if a.documents == ("info", "consent")]
        assert packets and all(len(by_file[f"{a.key}.pdf"]) == 2 for a in packets)

    def test_print_all_is_small_and_stores_fonts_once(self, day40):
        from patientdocs.render.pdf import fonts

        path = day40.out / "print-all.pdf"
        made = len(day40.listing.rows)
        # 75 KB a packet measured (2026-12-02) since the consent form draws icon arrays (300 small
        # figures a copy, as vector shapes) and its details lines: 80 KB leaves a margin, no more.
        assert path.stat().st_size / made <= 80 * 1024, f"{path.stat().st_size / made / 1024:.1f} KB per packet"
        font_files: dict[str, set] = {}
        with pikepdf.open(path) as pdf:
            for obj in pdf.objects:
                if isinstance(obj, pikepdf.Dictionary) and "/FontFile2" in obj:
                    name = str(obj.get("/FontName", ""))
                    font_files.setdefault(name.split("+")[-1], set()).add(obj.FontFile2.objgen)
            distinct_pages = {bytes(s) for s in page_streams(pdf)}
            pages = len(pdf.pages)
        main = sum(len(v) for k, v in font_files.items() if k.startswith("AtkinsonHyperlegible"))
        fallback = sum(len(v) for k, v in font_files.items() if not k.startswith("AtkinsonHyperlegible"))
        need_fallback = sum(any(family == fonts.FALLBACK for family, _ in fonts.runs(a.patient_name))
                            for a in day40.listing.rows)
        assert 4 <= main <= 8, font_files
        assert fallback <= need_fallback + 1, (font_files, need_fallback)  # + the cover, which lists every name
        assert main + fallback < made
        # Pages without patient data (most of them) are stored once for the whole day.
        assert len(distinct_pages) < pages / 3, (len(distinct_pages), pages)

    def test_no_progress_bar_when_stderr_is_not_a_terminal(self, day40):
        assert "Making documents" not in day40.result.stderr
        assert "Traceback" not in day40.result.stderr


# -- stopped half-way, then run again ----------------------------------------------------------------

def test_interrupted_run_then_rerun_gives_the_same_files(tmp_path, day40):
    config = make_config(tmp_path, font_size=14)  # the same settings as day40, whose files it compares
    out = tmp_path / "out" / "day"
    args = command(DAY40, out, config, "--workers", "1")
    process = subprocess.Popen(args, cwd=tmp_path, env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               stdin=subprocess.DEVNULL, text=True, encoding="utf-8", start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None:
            if out.is_dir() and len(list(out.glob("*.pdf"))) >= 10:
                break
            time.sleep(0.01)
        assert process.poll() is None, "the run finished before it could be stopped"
        os.killpg(process.pid, signal.SIGINT)  # Ctrl+C in a terminal: the whole process group
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert process.returncode == 130, (stdout, stderr)
    assert "Traceback" not in stderr
    assert "Stopped" in stderr and "Run the same command again" in stderr
    done = sorted(out.glob("*.pdf"))
    assert 10 <= len(done) < 37
    assert not (out / "print-all.pdf").exists()
    assert not [p for p in out.iterdir() if p.name.startswith(".")], "temporary files left behind"
    for path in done:  # every finished file is whole
        with pikepdf.open(path) as pdf:
            assert len(pdf.pages) > 0
    before = printed_records(tmp_path / "records.db")
    assert {sha(p) for p in done} <= {r["sha256"] for r in before}

    # A kill -9 in the middle of writing leaves a temporary file; the next run must clean it up.
    leftover = out / f".patientdocs-{day40.listing.rows[-1].key}.pdf.k1ll3d.part"
    leftover.write_bytes(b"%PDF-1.4 half a file")

    again = run(args, cwd=tmp_path)
    assert again.returncode == 1, (again.stdout, again.stderr)
    assert re.search(rf"\b{len(done)} already made by an earlier run\b", again.stdout), again.stdout
    assert "Made 37 of 40 appointments" in again.stdout
    assert visible_files(out) == visible_files(day40.out)
    assert not list(tmp_path.rglob("*.part"))
    for name in sorted(visible_files(day40.out)):
        assert (out / name).read_bytes() == (day40.out / name).read_bytes(), f"{name} differs"

    after = printed_records(tmp_path / "records.db")
    assert len(after) == sum(len(a.documents) for a in day40.listing.rows), "records duplicated or missing"
    assert len({(Path(r["file_name"]).name, r["kind"]) for r in after}) == len(after)
    for record in after:
        assert record["sha256"] == sha(out / Path(record["file_name"]).name)


# -- a day where every row is fine -------------------------------------------------------------------

def test_every_row_fine_exits_0_and_no_duplex_adds_no_blank_pages(tmp_path):
    config = make_config(tmp_path)
    rows = [["2026-12-01", "09:00", "Ana Lima", "1990-05-02", "P-1", "Sam Patel", "consent"],
            ["2026-12-01", "08:30", "Bo Chen", "1985-01-02", "P-2", "Joanna Lis", "aftercare"],
            ["01/12/2026", "8:00", "Cai Moreno", "", "", "", "info"]]
    source = write_csv(tmp_path / "fine.csv", rows)
    out = tmp_path / "fine"
    result = run(command(source, out, config, "--workers", "2", "--no-duplex"), cwd=tmp_path)
    assert result.returncode == 0, (result.stdout, result.stderr)
    assert "Made 3 of 3 appointments" in result.stdout
    assert "not made" not in result.stdout
    assert result.stderr.strip() == ""
    listing = listing_for(source, config)
    assert visible_files(out) == {f"{a.key}.pdf" for a in listing.rows} | {"print-all.pdf", "report.txt"}
    consent = next(out / f"{a.key}.pdf" for a in listing.rows if a.documents == ("consent",))
    consent_text = " ".join(texts(consent).values())
    assert "Patient copy" in consent_text and "Clinic copy" in consent_text
    joined = texts(out / "print-all.pdf")
    cover_pages = int(PAGE_OF.search(joined[0]).group(2))
    assert len(joined) == cover_pages + sum(pdf_count(out / f"{a.key}.pdf") for a in listing.rows)
    assert not [i for i, t in joined.items() if "intentionally blank" in t]
    cover = " ".join(joined[i] for i in range(cover_pages))
    assert cover.index("08:00 Cai Moreno") < cover.index("08:30 Bo Chen") < cover.index("09:00 Ana Lima")
    assert "0 not made" in (out / "report.txt").read_text(encoding="utf-8")


# -- the file as a whole is unusable: exit 2, one message, nothing written -------------------------------

@pytest.mark.parametrize("case", ["missing file", "missing column", "latin-1"])
def test_unusable_file_is_fatal_and_writes_nothing(tmp_path, case):
    config = make_config(tmp_path)
    source = {"missing file": tmp_path / "no-such-list.csv", "missing column": FIXTURES / "missing-column.csv",
              "latin-1": FIXTURES / "latin1.csv"}[case]
    out = tmp_path / "day"
    result = run(command(source, out, config, "--workers", "2"), cwd=tmp_path)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    messages = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(messages) == 1 and messages[0].startswith("Error: "), messages
    message = messages[0]
    assert "Made" not in result.stdout
    assert not out.exists() or not list(out.iterdir())
    assert not list(tmp_path.rglob("*.pdf")) and not list(tmp_path.rglob("*.part"))
    if case == "missing file":
        assert "no-such-list.csv" in message and "not found" in message
    elif case == "missing column":
        found, expected = message.split("found:", 1)[1].split("expected:", 1)
        for column in ("Name", "Date", "Time"):
            assert column in found, message
        assert "patient_name" in expected and "date" in expected, message
        assert "patient_name" in message.split("found:")[0]  # the missing one is named first
    else:
        assert "latin1.csv" in message and "UTF-8" in message


# -- hostile and unusual names ---------------------------------------------------------------------------

LONG_NAME = " ".join(["Bartholomew"] * 17)[:199] + "z"  # 200 characters, wraps on the page
ONE_WORD = "X" * 200                                    # 200 characters and nowhere to break
HOSTILE = [
    ["2026-12-01", "08:00", "=cmd|' /C calc'!A0", "1980-01-01", "P1", "Sam Patel", "info"],
    ["2026-12-01", "08:10", "</p><h1>x", "1980-01-01", "P2", "Sam Patel", "info"],
    ["2026-12-01", "08:20", "{{ 7*7 }}", "1980-01-01", "P3", "{% raw %}", "info"],
    ["2026-12-01", "08:30", "../../etc/passwd", "1980-01-01", "../../x", "Sam Patel", "info"],
    ["2026-12-01", "08:40", LONG_NAME, "1980-01-01", "P5", "Sam Patel", "info"],
    ["2026-12-01", "08:50", "አበበ ገላና", "1980-01-01", "P6", "Sam Patel", "info"],
    ["2026-12-01", "09:00", "Ada Lovelace", "1980-01-01", "P7", "Sam Patel", "info"],
    [],
    ["", "", "", "", "", "", ""],
    ["2026-12-01", "09:00", "Ada Lovelace", "1980-01-01", "P7", "Sam Patel", "info"],  # the same row again
    ["2026-12-01", "09:10", ONE_WORD, "1980-01-01", "P8", "Sam Patel", "info"],
]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Run:
    folder = tmp_path_factory.mktemp("hostile")
    config = make_config(folder)
    source = write_csv(folder / "hostile.csv", HOSTILE)
    out = folder / "out" / "day"
    result = run(command(source, out, config, "--workers", "2"), cwd=folder)
    return Run(result, folder, out, config, listing_for(source, config))


def squeeze(text: str) -> str:
    return "".join(text.split())


class TestHostileNames:
    def test_good_rows_made_and_the_unprintable_row_fails_clearly(self, hostile):
        result = hostile.result
        assert result.returncode == 1, (result.stdout, result.stderr)
        assert "Traceback" not in result.stderr
        assert "Made 8 of 9 appointments" in result.stdout and "1 not made" in result.stdout
        report = (hostile.out / "report.txt").read_text(encoding="utf-8")
        refused = [line for line in report.splitlines() if "አበበ ገላና" in line]
        assert len(refused) == 1 and "NOT MADE" in refused[0], refused
        # Chinese prints now (test_scripts.py); Ethiopic is a script no bundled font has.
        for char in ("'አ' (U+12A0)", "'በ' (U+1260)", "'ገ' (U+1308)", "'ላ' (U+120B)", "'ና' (U+1293)"):
            assert char in refused[0]
        assert "patient name" in refused[0]

    def test_files_stay_inside_the_output_folder(self, hostile):
        expected = {f"{a.key}.pdf" for a in hostile.listing.rows if a.patient_name != "አበበ ገላና"}
        assert visible_files(hostile.out) == expected | {"print-all.pdf", "report.txt"}
        for name in expected:
            assert re.fullmatch(r"[A-Za-z0-9_.-]+\.pdf", name) and ".." not in name, name
        everything = {p.relative_to(hostile.folder).as_posix() for p in hostile.folder.rglob("*")}
        outside = {p for p in everything if not p.startswith("out/day/")}
        # records.db-runs holds the lock that keeps two print runs of one day apart.
        assert outside <= {"config.yaml", "hostile.csv", "records.db", "records.db-wal", "records.db-shm",
                           "records.db-runs", "out", "out/day"}, outside
        ada = [a for a in hostile.listing.rows if a.patient_name == "Ada Lovelace"]
        assert len(ada) == 2 and ada[0].key != ada[1].key
        assert all(hostile.file(a).is_file() for a in ada)

    def test_names_print_literally(self, hostile):
        report = (hostile.out / "report.txt").read_text(encoding="utf-8")
        print_all = hostile.out / "print-all.pdf"
        cover = squeeze(texts(print_all, [0])[0])
        for appointment in hostile.listing.rows:
            name = appointment.patient_name
            assert name in report
            if name == "አበበ ገላና":
                continue
            first = texts(hostile.file(appointment), [0])[0]
            assert squeeze(f"Prepared for {name},") in squeeze(first), (name, first[:300])
            assert squeeze(name) in cover, name
        third = next(a for a in hostile.listing.rows if a.patient_name == "{{ 7*7 }}")
        first = texts(hostile.file(third), [0])[0]
        assert "{% raw %}" in first and "49" not in first.split("Date of birth")[0]

    def test_cover_does_not_print_characters_no_font_has(self, hostile):
        cover = texts(hostile.out / "print-all.pdf", [0])[0]
        assert "(U+12A0)" in cover  # the problem is listed ...
        assert "\x00" not in cover, cover[-250:]  # ... but its characters are drawn as the font's empty glyph


# -- the progress bar on a terminal --------------------------------------------------------------------

def test_progress_bar_shown_on_a_terminal(tmp_path):
    import pty

    config = make_config(tmp_path)
    rows = [["2026-12-01", f"0{h}:00", f"Pat {h}", "", "", "", "aftercare"] for h in range(1, 4)]
    source = write_csv(tmp_path / "three.csv", rows)
    master, slave = pty.openpty()
    try:
        process = subprocess.Popen(command(source, tmp_path / "day", config, "--workers", "1"), cwd=tmp_path,
                                   env=cli_env(), stdout=subprocess.PIPE, stderr=slave, stdin=subprocess.DEVNULL)
        os.close(slave)
        seen = b""
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:  # the terminal closed: the process has ended
                    break
                if not chunk:
                    break
                seen += chunk
            elif process.poll() is not None:
                break
        stdout, _ = process.communicate(timeout=60)
    finally:
        os.close(master)
    assert process.returncode == 0, (stdout, seen)
    assert b"Making documents" in seen


# -- a corrected row, run again ----------------------------------------------------------------------

def test_corrected_row_is_made_again(tmp_path):
    config = make_config(tmp_path)
    source = tmp_path / "day.csv"
    out = tmp_path / "day"
    write_csv(source, [["2026-12-01", "08:00", "Ada Lovelace", "1980-01-01", "P7", "Sam Patel", "info"]])
    first = batch_here(source, out, config, "--workers", "1", cwd=tmp_path)
    assert first.returncode == 0, (first.stdout, first.stderr)
    write_csv(source, [["2026-12-01", "08:00", "Ada Lovelace", "1981-02-02", "P7", "Joanna Lis", "packet"]])
    second = batch_here(source, out, config, "--workers", "1", cwd=tmp_path)
    assert second.returncode == 0, (second.stdout, second.stderr)
    (appointment,) = listing_for(source, config).rows
    made = out / f"{appointment.key}.pdf"
    text = " ".join(texts(made).values())
    assert "2 February 1981" in text and "Joanna Lis" in text
    assert "Patient copy" in text and "Clinic copy" in text
    assert "already made" not in second.stdout


# -- a worker process dies ---------------------------------------------------------------------------

@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc to find the worker processes")
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_a_killed_worker_does_not_hang_the_run(tmp_path, how):
    config = make_config(tmp_path)
    rows = [["2026-12-01", f"{8 + i // 6:02d}:{i % 6 * 10:02d}", f"Pat Number{i}", "", f"P-{i}", "", "packet"]
            for i in range(30)]  # long enough that the run is still going when a worker is killed
    source = write_csv(tmp_path / "thirty.csv", rows)
    out = tmp_path / "day"
    process = subprocess.Popen(command(source, out, config, "--workers", "2"), cwd=tmp_path, env=cli_env(),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                               text=True, encoding="utf-8", start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            if out.is_dir() and list(out.glob("*.pdf")):
                break
            time.sleep(0.01)
        assert process.poll() is None, "the run ended before a worker could be killed"
        workers = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
        assert len(workers) == 2, workers
        os.kill(int(workers[0]), how)  # mid-job: a packet takes a tenth of a second or more
        # The rest takes a few seconds; a run that has made nothing new for 10 s is stuck.
        count, last_change = -1, time.monotonic()
        while process.poll() is None and time.monotonic() - last_change < 10:
            now = len(list(out.glob("*.pdf")))
            if now != count:
                count, last_change = now, time.monotonic()
            time.sleep(0.1)
        assert process.poll() is not None, f"stuck after {count} files"
        stdout, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
    assert process.returncode in (0, 1), (process.returncode, stdout, stderr)
    assert (out / "report.txt").is_file() and (out / "print-all.pdf").is_file()


# -- a setting changed between two runs into the same folder -------------------------------------------

RERUN_DAY = [["2026-12-01", "08:00", "Ada Lovelace", "1980-01-01", "P7", "Sam Patel", "aftercare"],
             ["2026-12-01", "09:00", "Alan Turing", "1954-06-23", "P8", "Joanna Lis", "packet"]]


def change_setting(config: Path, section: str, key: str, value) -> None:
    import yaml

    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data[section][key] = value
    config.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def made_twice(tmp_path: Path, change) -> tuple[subprocess.CompletedProcess[str], Path, dict[str, str]]:
    """Run the day, ``change`` the settings, run it again into the same folder.

    Returns the second run, the folder and each file's SHA-256 after the first run."""
    config = make_config(tmp_path)
    source = write_csv(tmp_path / "day.csv", RERUN_DAY)
    out = tmp_path / "day"
    first = batch_here(source, out, config, "--workers", "1", cwd=tmp_path)
    assert first.returncode == 0, (first.stdout, first.stderr)
    before = {p.name: sha(p) for p in out.glob("*.pdf")}
    change(config)
    second = batch_here(source, out, config, "--workers", "1", cwd=tmp_path)
    assert second.returncode == 0, (second.stdout, second.stderr)
    return second, out, before


def appointment_files(out: Path) -> list[Path]:
    return sorted(p for p in out.glob("*.pdf") if p.name != "print-all.pdf")


def test_a_changed_emergency_number_is_printed_on_the_next_run(tmp_path):
    second, out, _ = made_twice(tmp_path, lambda c: change_setting(c, "clinic", "emergency_number", "112"))
    assert "already made" not in second.stdout
    printed = " ".join(texts(out / "print-all.pdf").values())
    assert "Call the emergency number: 112" in printed
    assert "Call the emergency number: 999" not in printed
    ada = next(p for p in appointment_files(out) if "ada-lovelace" in p.name)
    assert "Call the emergency number: 112" in " ".join(texts(ada).values())


def test_a_changed_paper_size_gives_letter_pages_throughout(tmp_path):
    second, out, _ = made_twice(tmp_path, lambda c: change_setting(c, "document", "paper", "Letter"))
    assert "already made" not in second.stdout
    for path in [out / "print-all.pdf", *appointment_files(out)]:
        with pikepdf.open(path) as pdf:
            sizes = {tuple(round(float(v)) for v in page.mediabox) for page in pdf.pages}
        assert sizes == {(0, 0, 612, 792)}, (path.name, sizes)


@pytest.mark.parametrize(("section", "key", "value"), [
    ("clinic", "phone", "01632 960 999"),
    ("document", "font_size", 14),
    ("clinic", "brand_colour", "#8b1f1f"),
])
def test_any_printed_setting_changed_makes_the_documents_anew(tmp_path, section, key, value):
    second, out, before = made_twice(tmp_path, lambda c: change_setting(c, section, key, value))
    assert "already made" not in second.stdout
    after = {p.name: sha(p) for p in out.glob("*.pdf")}
    assert set(after) == set(before)
    assert all(after[name] != before[name] for name in before), (before, after)


def test_a_new_logo_in_the_same_file_makes_the_documents_anew(tmp_path):
    from PIL import Image

    logo = tmp_path / "logo.png"
    Image.new("RGB", (200, 80), "#1f5f8b").save(logo, "PNG")

    def new_logo(config: Path) -> None:
        Image.new("RGB", (200, 80), "#c0392b").save(logo, "PNG")

    config = make_config(tmp_path)
    change_setting(config, "clinic", "logo", str(logo))
    source = write_csv(tmp_path / "day.csv", RERUN_DAY)
    out = tmp_path / "day"
    first = batch_here(source, out, config, "--workers", "1", cwd=tmp_path)
    assert first.returncode == 0, (first.stdout, first.stderr)
    before = {p.name: sha(p) for p in appointment_files(out)}
    new_logo(config)
    second = batch_here(source, out, config, "--workers", "1", cwd=tmp_path)
    assert second.returncode == 0, (second.stdout, second.stderr)
    assert "already made" not in second.stdout
    assert all(sha(out / name) != digest for name, digest in before.items())


@pytest.mark.parametrize(("section", "key", "value"), [
    ("email", "subject", "Documents from {clinic}"),
    ("batch", "workers", 3),
    ("paths", "outbox", "elsewhere"),
])
def test_settings_that_cannot_change_a_pdf_keep_the_documents(tmp_path, section, key, value):
    second, out, before = made_twice(tmp_path, lambda c: change_setting(c, section, key, value))
    assert "Made 2 of 2 appointments (2 already made by an earlier run)" in second.stdout
    assert {p.name: sha(p) for p in out.glob("*.pdf")} == before


# -- two patients who share a name, on the same day -------------------------------------------------------

SMITH_1958 = ["2026-12-01", "", "John Smith", "1958-01-30", "", "Sam Patel", "info"]
SMITH_1970 = ["2026-12-01", "", "John Smith", "1970-05-05", "", "Sam Patel", "info"]
BORN = {"1958-01-30": "Date of birth: 30 January 1958", "1970-05-05": "Date of birth: 5 May 1970"}


def born(out: Path) -> dict[str, str]:
    """Each appointment file's name -> the date of birth it prints."""
    found = {}
    for path in appointment_files(out):
        first = texts(path, [0])[0]
        (dob,) = [dob for dob, shown in BORN.items() if shown in first]
        found[path.name] = dob
    return found


def test_two_john_smiths_without_an_id_each_keep_their_own_file(tmp_path):
    config = make_config(tmp_path)
    out = tmp_path / "day"

    def batch(rows: list[list[str]]) -> subprocess.CompletedProcess[str]:
        source = write_csv(tmp_path / "day.csv", rows)
        result = batch_here(source, out, config, "--workers", "1", cwd=tmp_path)
        assert result.returncode == 0, (result.stdout, result.stderr)
        return result

    batch([SMITH_1958, SMITH_1970])
    files = born(out)
    assert sorted(files.values()) == ["1958-01-30", "1970-05-05"], files
    shas = {name: sha(out / name) for name in files}
    again = batch([SMITH_1958, SMITH_1970])
    assert "2 already made by an earlier run" in again.stdout
    # The afternoon's list holds only the other John Smith; then the day's list in another order.
    for rows in ([SMITH_1970], [SMITH_1970, SMITH_1958]):
        result = batch(rows)
        assert f"{len(rows)} already made by an earlier run" in result.stdout, result.stdout
        assert born(out) == files
        assert {name: sha(out / name) for name in files} == shas
    joined = " ".join(texts(out / "print-all.pdf").values())
    assert BORN["1958-01-30"] in joined and BORN["1970-05-05"] in joined


def test_a_namesakes_file_from_another_list_is_never_replaced(tmp_path):
    config = make_config(tmp_path)
    out = tmp_path / "day"
    for rows in ([SMITH_1958], [SMITH_1970]):
        source = write_csv(tmp_path / "day.csv", rows)
        result = batch_here(source, out, config, "--workers", "1", cwd=tmp_path)
        assert result.returncode == 0, (result.stdout, result.stderr)
        assert "already made" not in result.stdout
    assert sorted(born(out).items()) == [("2026-12-01_john-smith-2.pdf", "1970-05-05"),
                                         ("2026-12-01_john-smith.pdf", "1958-01-30")]
    report = (out / "report.txt").read_text(encoding="utf-8")
    assert "line 2: --:-- John Smith: info -> 2026-12-01_john-smith-2.pdf" in report
    joined = " ".join(texts(out / "print-all.pdf").values())
    assert BORN["1970-05-05"] in joined and BORN["1958-01-30"] not in joined


def test_a_file_not_made_by_this_tool_is_never_replaced_by_a_batch(tmp_path):
    config = make_config(tmp_path)
    out = tmp_path / "day"
    out.mkdir()
    (out / "2026-12-01_john-smith.pdf").write_bytes(b"%PDF-1.7 someone else's letter")
    source = write_csv(tmp_path / "day.csv", [SMITH_1958])
    result = batch_here(source, out, config, "--workers", "1", cwd=tmp_path)
    assert result.returncode == 0, (result.stdout, result.stderr)
    assert (out / "2026-12-01_john-smith.pdf").read_bytes() == b"%PDF-1.7 someone else's letter"
    assert BORN["1958-01-30"] in texts(out / "2026-12-01_john-smith-2.pdf", [0])[0]

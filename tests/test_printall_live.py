"""print-all.pdf joined while the rows are made (issue 16): the same file with 1 worker and 2, pages
in the order they were joined at the end before, the join under way before the last row is made,
and nothing left behind by a run stopped half-way.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pikepdf
import pytest
import support
from helpers_docs import write_config

from patientdocs.deliver import printrun
from patientdocs.render.pdf.checks import accessibility_problems

HEADER = ["date", "time", "patient_name", "dob", "patient_id", "therapist", "language", "documents", "large print"]
# Out of order on purpose (the files are joined in the day's order, not the list's), in two languages,
# every kind, large print, a row that fails when made (9999) and one the list refuses (xray).
ROWS = [
    ["2026-12-01", "09:30", "Ana Lima", "1990-05-02", "P-1", "Sam Patel", "es", "packet", ""],
    ["2026-12-01", "08:00", "Ben Okafor", "1971-02-03", "P-2", "", "", "aftercare", "yes"],
    ["9999-12-01", "08:10", "Cal Bad", "1971-02-03", "P-3", "", "", "info", ""],
    ["2026-12-01", "08:20", "Ελένη Παπαδοπούλου", "1980-01-31", "P-4", "", "", "consent", ""],
    ["2026-12-01", "10:00", "Dora Diaz", "1985-07-07", "P-5", "", "es", "info consent", ""],
    ["2026-12-01", "", "Eve Noon", "1975-03-03", "P-6", "", "", "info", "yes"],
    ["2026-12-01", "08:20", "Fay Gold", "1960-06-06", "P-7", "", "", "xray", ""],
    ["2026-12-01", "11:00", "Gus Hale", "1962-06-06", "P-8", "", "", "packet", ""],
]
DAY_ORDER = ["Eve Noon", "Ben Okafor", "Ελένη Παπαδοπούλου", "Ana Lima", "Dora Diaz", "Gus Hale"]  # by time
BLANK = "This page is intentionally blank."
COVER = "Print run 1 December 2026 Page"  # the cover sheet's footer


def is_cover(page: str) -> bool:
    return COVER in page


def write_day(folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "day.csv").open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([HEADER, *ROWS])
    return folder / "day.csv", write_config(folder)


def run_day(folder: Path, *extra: str) -> Path:
    """A run in a subprocess (workers fork), into ``folder``/day."""
    day, config = write_day(folder)
    result = subprocess.run([sys.executable, str(support.GENERATE), "batch", str(day), "-o", str(folder / "day"),
                             "--config", str(config), *extra], env=support.cli_env(), capture_output=True,
                            text=True, encoding="utf-8", timeout=300, check=False, stdin=subprocess.DEVNULL)
    assert result.returncode == 1, result.stderr  # two rows not made
    assert result.stdout.startswith("Made 6 of 8 appointments;"), result.stdout
    return folder / "day"


def pdftotext(path: Path) -> list[str]:
    """Each page's text as pdftotext gives it, whitespace made single spaces."""
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                         encoding="utf-8", check=True).stdout
    return [support.norm(page) for page in out.split("\f")[:-1]]


def packet_of(out: Path, name: str) -> Path:
    found = [p for p in out.glob("*.pdf") if p.name != "print-all.pdf" and name in support.page_texts(p)[0]]
    assert len(found) == 1, name
    return found[0]


def structure_pages(path: Path) -> tuple[list[int], list[list[int]]]:
    """The page of every marked-content reference in the structure tree's order, and the pages
    each Part of the Document refers to."""
    with pikepdf.open(path) as pdf:
        index = {page.obj.objgen: i for i, page in enumerate(pdf.pages)}
        order: list[int] = []
        per_part: list[list[int]] = []
        for part in pdf.Root.StructTreeRoot.K.K:
            assert part.S == "/Part"
            pages: list[int] = []
            stack = [part]
            while stack:
                element = stack.pop()
                if "/Pg" in element:
                    pages.append(index[element.Pg.objgen])
                kids = element.get("/K")
                kids = list(kids) if isinstance(kids, pikepdf.Array) else [kids]
                # Elements and marked-content references (each has its /Pg); not a field's OBJR.
                stack.extend(kid for kid in reversed(kids)
                             if isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") != "/OBJR")
            order += pages
            per_part.append(pages)
        return order, per_part


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("live")
    return {name: run_day(root / name, *args) for name, args in (
        ("duplex-1", ("--workers", "1", "--duplex")), ("duplex-2", ("--workers", "2", "--duplex")),
        ("simplex-1", ("--workers", "1", "--no-duplex")), ("simplex-2", ("--workers", "2", "--no-duplex")))}


@pytest.mark.parametrize("sides", ["duplex", "simplex"])
def test_one_and_two_workers_make_the_same_print_all(runs: dict[str, Path], sides: str) -> None:
    one, two = runs[f"{sides}-1"], runs[f"{sides}-2"]
    assert (one / "print-all.pdf").read_bytes() == (two / "print-all.pdf").read_bytes()
    assert not list(one.glob(".*.part")) and not list(two.glob(".*.part"))


@pytest.mark.parametrize("sides", ["duplex", "simplex"])
def test_print_all_is_the_cover_then_each_file_in_the_days_order(runs: dict[str, Path], sides: str) -> None:
    out = runs[f"{sides}-2"]
    pages = pdftotext(out / "print-all.pdf")
    cover = [p for p in pages if is_cover(p)]
    assert cover and pages[:len(cover)] == cover  # the cover first, whole
    assert "Cal Bad" in cover[-1] and "Fay Gold" in cover[-1]  # listed as not made, and never joined
    expected = list(cover)
    for name in DAY_ORDER:
        if sides == "duplex" and len(expected) % 2:  # every file starts on a front side
            expected.append(BLANK)
        expected += pdftotext(packet_of(out, name))
    got = [BLANK if BLANK in p else p for p in pages]
    assert got == expected
    assert (BLANK in got) == (sides == "duplex")


def test_the_structure_tree_follows_the_page_order(runs: dict[str, Path]) -> None:
    path = runs["duplex-2"] / "print-all.pdf"
    order, per_part = structure_pages(path)
    assert order == sorted(order)  # a screen reader meets the pages in the order they are printed
    cover_pages = len([p for p in pdftotext(path) if is_cover(p)])
    assert set(per_part[0]) == set(range(cover_pages))  # the cover is the first Part
    with pikepdf.open(path) as pdf:
        assert str(pdf.Root.Lang) == "en" and str(pdf.docinfo.Title).startswith("Print run")
        # The Spanish rows' documents say their language; the English ones take the file's.
        langs = [str(part.get("/Lang", "")) for part in pdf.Root.StructTreeRoot.K.K]
        assert langs[0] == "" and "es" in langs and set(langs) == {"", "es"}


# -- the join while the rows are made, in this process (one worker: the rows are made here) ----------

def _in_process(tmp_path: Path):
    day, config = write_day(tmp_path)
    return lambda: support.cli("batch", day, "-o", tmp_path / "day", "--config", config, "--workers", "1",
                               "--duplex", cwd=tmp_path)


def test_each_file_is_joined_before_the_next_rows_are_made(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from patientdocs.batch import run as runner

    events: list[str] = []
    seen_in_partial: list[bool] = []
    make, add = runner._make, printrun.Joiner.add

    def making(job: runner.Job) -> runner.Outcome:
        events.append(f"make {job.appointment.patient_name}")
        if job.appointment.patient_name == DAY_ORDER[-1]:
            # The last row is still to be made: the file being written holds the first row's pages.
            partial = list((tmp_path / "day").glob(".patientdocs-print-all.pdf.*.part"))
            with pikepdf.open(packet_of(tmp_path / "day", DAY_ORDER[0])) as first:
                contents = first.pages[0].obj.Contents
                raw = (contents[0] if isinstance(contents, pikepdf.Array) else contents).read_raw_bytes()
            seen_in_partial.append(len(partial) == 1 and raw in partial[0].read_bytes())
            assert not (tmp_path / "day" / "print-all.pdf").exists()
        return make(job)

    def adding(self: printrun.Joiner, part: Path | bytes, starts: bool = True) -> None:
        if isinstance(part, Path):
            events.append(f"join {part.name}")
        add(self, part, starts)

    monkeypatch.setattr(runner, "_make", making)
    monkeypatch.setattr(printrun.Joiner, "add", adding)
    result = _in_process(tmp_path)()
    assert result.returncode == 1, result.stderr
    assert seen_in_partial == [True]
    made = [e for e in events if e.startswith("make ")]
    # In the day's order, not the list's: the 9999 row (which fails) sorts last.
    assert made == ["make " + name for name in [*DAY_ORDER, "Cal Bad"]]
    # Each made row is joined right after it is made (Cal Bad, not made, is skipped), the cover last.
    joins = [i for i, e in enumerate(events) if e.startswith("join ")]
    assert len(joins) == len(DAY_ORDER)
    for i in joins:
        assert events[i - 1].startswith("make ") and not events[i - 1].endswith("Cal Bad")
    assert (tmp_path / "day" / "print-all.pdf").exists() and not list((tmp_path / "day").glob(".*.part"))


@pytest.mark.parametrize("where", ["making", "joining"])
def test_a_run_stopped_while_joining_leaves_no_print_all(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         where: str) -> None:
    from patientdocs.batch import run as runner

    make, add = runner._make, printrun.Joiner.add
    partials: list[int] = []

    def making(job: runner.Job) -> runner.Outcome:
        if where == "making" and job.appointment.patient_name == DAY_ORDER[3]:
            partials.append(len(list((tmp_path / "day").glob(".*.part"))))  # three rows joined by now
            raise KeyboardInterrupt
        return make(job)

    def adding(self: printrun.Joiner, part: Path | bytes, starts: bool = True) -> None:
        if where == "joining" and isinstance(part, Path) and DAY_ORDER[3] in support.page_texts(part)[0]:
            partials.append(len(list((tmp_path / "day").glob(".*.part"))))
            raise KeyboardInterrupt
        add(self, part, starts)

    monkeypatch.setattr(runner, "_make", making)
    monkeypatch.setattr(printrun.Joiner, "add", adding)
    result = _in_process(tmp_path)()
    assert partials == [1]  # the file was being written when the run stopped
    assert "Stopped before all 7 appointments were made. Every finished file is complete." in result.stderr
    out = tmp_path / "day"
    assert not (out / "print-all.pdf").exists() and not list(out.glob(".*.part"))
    assert len(list(out.glob("2026-12-01_*.pdf"))) == (4 if where == "joining" else 3)


# -- the joiner on its own ------------------------------------------------------------------------

def test_parts_put_first_at_the_end_print_as_if_joined_first(runs: dict[str, Path], tmp_path: Path) -> None:
    """What Joiner.finish puts first prints exactly as join of the parts in page order: a front part
    with an odd number of pages is followed by a blank page in duplex, the structure follows the pages."""
    out = runs["duplex-1"]
    front = packet_of(out, "Ben Okafor")  # an aftercare sheet in large print: one page
    rest = [packet_of(out, name) for name in ("Ana Lima", "Eve Noon", "Dora Diaz")]
    with pikepdf.open(front) as pdf:
        assert len(pdf.pages) % 2 == 1
    for duplex in (True, False):
        printrun.join([front, *rest], tmp_path / "joined.pdf", duplex=duplex, blank_text=BLANK)
        with printrun.Joiner(tmp_path / "live.pdf", duplex=duplex, blank_text=BLANK, lang="en") as joiner:
            for part in rest:
                joiner.add(part)
            joiner.finish([front])
        assert pdftotext(tmp_path / "live.pdf") == pdftotext(tmp_path / "joined.pdf")
        assert structure_pages(tmp_path / "live.pdf") == structure_pages(tmp_path / "joined.pdf")
        with pikepdf.open(tmp_path / "live.pdf") as live, pikepdf.open(tmp_path / "joined.pdf") as joined:
            assert [p.mediabox for p in live.pages] == [p.mediabox for p in joined.pages]
            assert [str(p.get("/Lang", "")) for p in live.Root.StructTreeRoot.K.K] == [
                str(p.get("/Lang", "")) for p in joined.Root.StructTreeRoot.K.K]
            assert str(live.docinfo.Title) == str(joined.docinfo.Title)
        assert accessibility_problems((tmp_path / "live.pdf").read_bytes()) == []

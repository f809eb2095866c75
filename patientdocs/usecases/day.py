"""The day's print run: read the appointment list, then make every row's documents, the cover
sheet, print-all.pdf and report.txt.

``plan_day`` only reads and checks the list; ``print_day`` makes the files. A row with a problem
is skipped and reported; every other row is still made. Stopped half-way (Ctrl-C, ``kill``), it
leaves only whole files, and running it again makes just the ones still missing.
"""

from __future__ import annotations

import contextlib
import itertools
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from patientdocs.errors import Interrupted, PatientDocsError
from patientdocs.frozen import frozen
from patientdocs.termtext import count_of

if TYPE_CHECKING:
    from patientdocs.batch.appointments import Appointment, AppointmentList, RowProblem
    from patientdocs.load.config import Config

Progress = Callable[[int, int], None]


@frozen
class PlannedRow:
    line: int  # the row's line in the file
    time: str  # "HH:MM", or "" when the list gives none
    patient: str
    documents: tuple[str, ...]
    date: str = ""  # YYYY-MM-DD
    patient_id: str | None = None
    therapist: str | None = None
    language: str = ""


@frozen
class DayPlan:
    source: Path
    rows: tuple[PlannedRow, ...]
    problems: tuple[RowProblem, ...]  # rows that will not be made, and why
    warnings: tuple[str, ...]
    out_dir: Path
    treatment: str = ""
    allow_expired: bool = False
    listing: AppointmentList | None = None  # the list as read, for print_day


@frozen
class DayResult:
    made: int
    reused: int  # of those made, already made by an earlier run
    failed: int  # rows not made (problems in the list, and rows that failed)
    total: int
    print_all: Path | None
    report: Path
    not_made: tuple[tuple[int, str], ...]  # (CSV line, message)


def _planned(row: Appointment) -> PlannedRow:
    return PlannedRow(row.line, row.time or "", row.patient_name, row.documents, row.date.isoformat(), row.patient_id,
                      row.therapist, row.language)


def plan_day(config: Config, appointments: Path, *, output: Path | None = None, treatment: str | None = None,
             allow_expired: bool = False) -> DayPlan:
    """Read and check the day's list; nothing is written."""
    from patientdocs.batch import run as runner
    from patientdocs.batch.appointments import read_appointments
    from patientdocs.kinds import for_config
    from patientdocs.load.content import available

    treatment = treatment or config.defaults.treatment
    found = available(config.handouts_dir)
    languages = found.get(treatment)
    if not languages:
        raise PatientDocsError(f"unknown treatment '{treatment}' (available: {', '.join(found) or 'none'})",
                               field="treatment")
    registry = for_config(config)
    listing = read_appointments(appointments, columns=config.batch.columns, date_formats=config.batch.date_formats,
                                known_languages=languages, default_language=config.defaults.language,
                                kinds=registry)
    days = sorted({a.date for a in listing.rows})
    if len(days) > 1:
        # A day's list with other days in it is often the wrong export: say so, but make it.
        listing.warnings.append(f"{appointments}: the list holds appointments on {len(days)} different days "
                                f"({days[0].isoformat()} to {days[-1].isoformat()}); the cover sheet gives each "
                                "row's date")
    out_dir = output or config.output_dir / runner.run_date(listing).isoformat()
    return DayPlan(appointments, tuple(_planned(a) for a in listing.rows), tuple(listing.problems),
                   tuple(listing.warnings), out_dir, treatment, allow_expired, listing)


def print_day(config: Config, plan: DayPlan, *, workers: int | None = None, duplex: bool | None = None,
              progress: Progress | None = None, user: str | None = None) -> DayResult:
    """Make every planned row's file, then the cover sheet, print-all.pdf and report.txt."""
    from patientdocs.batch import run as runner
    from patientdocs.deliver.output import check_folder_writable, ensure_folder, remove_stale_parts
    from patientdocs.records.store import open_records
    from patientdocs.render.pipeline import Pipeline

    listing = plan.listing
    if listing is None:
        raise PatientDocsError("the plan holds no appointment list; make it with plan_day")
    treatment = plan.treatment or config.defaults.treatment
    pipeline = Pipeline(config, allow_expired=plan.allow_expired, shared_fonts=True)
    pipeline.logo()  # a bad logo stops the run here, not once per row
    for language in sorted({a.language for a in listing.rows} | {config.defaults.language}):
        pipeline.check_current(pipeline.content(treatment, language))  # stop now, not once per row
    with contextlib.ExitStack() as held:
        records = open_records(config)  # a bad or unreachable records database stops us before any work
        try:
            # Two desks printing the same clinic's day at once would make every document twice. The
            # lock is the run's own (a file lock, a server session): held until the run ends.
            held.enter_context(records.print_run(config.clinic.name, runner.run_date(listing)))
            out_dir = ensure_folder(plan.out_dir)
            check_folder_writable(out_dir)
            remove_stale_parts(out_dir, older_than=0)  # a killed run's temporary files: never a finished one
            # An earlier run's print-all.pdf must never be printed by mistake for this one.
            runner.remove_previous_results(out_dir)
            jobs = runner.plan(listing, out_dir, treatment, records)
        finally:
            # Closed before the workers start: a connection must not be shared across fork.
            records.close()
        return _run(config, plan, pipeline, listing, jobs, out_dir, treatment, workers, duplex, progress)


def _run(config: Config, plan: DayPlan, pipeline, listing: AppointmentList, jobs, out_dir: Path, treatment: str,
         workers: int | None, duplex: bool | None, progress: Progress | None) -> DayResult:
    from patientdocs.batch import run as runner
    from patientdocs.deliver.output import remove_stale_parts

    duplex = config.document.duplex if duplex is None else duplex
    settings = runner.RunSettings(config.source, plan.allow_expired, duplex)
    count = workers or config.batch.workers or runner.default_workers()
    result = runner.BatchResult()
    try:
        if progress is not None:
            progress(0, len(jobs))
        for outcome in runner.run_jobs(jobs, settings, count):
            result.outcomes.append(outcome)
            if progress is not None:
                progress(len(result.outcomes), len(jobs))
    except KeyboardInterrupt:
        remove_stale_parts(out_dir, older_than=0)
        raise Interrupted(f"Stopped before all {count_of(len(jobs), 'appointment')} were made. Every "
                          "finished file is complete. Run the same command again to make the rest.") from None
    try:
        return _finish(pipeline, listing, result, out_dir, plan.source, treatment, duplex, config)
    except KeyboardInterrupt:
        remove_stale_parts(out_dir, older_than=0)
        raise Interrupted("Stopped while joining print-all.pdf. Every appointment's file is complete. Run the "
                          "same command again to make print-all.pdf.") from None


def _finish(pipeline, listing: AppointmentList, result, out_dir: Path, source: Path, treatment: str, duplex: bool,
            config: Config) -> DayResult:
    """The cover sheet, print-all.pdf and report.txt."""
    from patientdocs.batch import run as runner
    from patientdocs.deliver import printrun
    from patientdocs.deliver.output import atomic_write, remove_quietly, temp_name
    from patientdocs.render.pdf.fonts import printable

    made = runner.in_order(result.outcomes)
    loaded = pipeline.content(treatment, config.defaults.language)
    not_made = runner.not_made(listing, result)
    # A row refused for characters no font has must not print those characters on the cover.
    problems = [printable(text) for _, text in not_made]
    cover = pipeline.cover_parts(runner.run_date(listing), runner.cover_rows(made), problems,
                                 treatment=treatment, language=config.defaults.language,
                                 last_date=runner.last_date(listing))
    # The report first: if print-all.pdf cannot be made, it still says what was.
    report = out_dir / runner.REPORT
    atomic_write(report, runner.report_text(listing, result, source).encode("utf-8"))
    print_all = out_dir / runner.PRINT_ALL
    partial = temp_name(print_all, str(os.getpid()))
    try:
        parts = itertools.chain(((part, i == 0) for i, part in enumerate(cover)), (o.job.target for o in made))
        printrun.join(parts, partial, duplex=duplex,
                      blank_text=loaded.data.labels.get("intentionally_blank", "This page is intentionally blank."),
                      seed=pipeline.font_seed(loaded))
        os.replace(partial, print_all)
    except OSError as exc:
        raise PatientDocsError(f"cannot write {print_all} ({exc.strerror}); every appointment's file is complete "
                               f"and listed in {report}; fix this and run the same command again to make "
                               "print-all.pdf") from None
    finally:
        with contextlib.suppress(OSError):
            remove_quietly(partial)
    return DayResult(made=len(made), reused=sum(o.reused for o in result.outcomes),
                     failed=len(result.failed) + len(listing.problems),
                     total=len(listing.rows) + len(listing.problems), print_all=print_all, report=report,
                     not_made=tuple(not_made))

"""The day's print run: read the appointment list, then make every row's documents, the cover
sheet, print-all.pdf and report.txt.

``plan_day`` only reads and checks the list; ``print_day`` makes the files. A row with a problem
is skipped and reported; every other row is still made. Stopped half-way (Ctrl-C, ``kill``), it
leaves only whole files, and running it again makes just the ones still missing.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from patientdocs.errors import Interrupted, PatientDocsError
from patientdocs.frozen import frozen
from patientdocs.termtext import count_of

if TYPE_CHECKING:
    from patientdocs.batch.appointments import Appointment, AppointmentList, RowProblem
    from patientdocs.batch.printall import PrintAll
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
    consent_again: str = ""  # why the patient must sign the consent again ("" when it is current)


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
    print_all: Path | None  # None: it could not be made (see problem)
    report: Path | None  # None: it could not be written (see problem)
    not_made: tuple[tuple[int, str], ...]  # (CSV line, message)
    # The files were made, but report.txt or print-all.pdf could not be written (a full disk).
    problem: str | None = None
    files: tuple[Path, ...] = ()  # each made row's file, in the list's order (for a page to open one)


def _planned(row: Appointment, again: str = "") -> PlannedRow:
    return PlannedRow(row.line, row.time or "", row.patient_name, row.documents, row.date.isoformat(), row.patient_id,
                      row.therapist, row.language, again)


def _consent_due_planned(config: Config, rows: list[Appointment], treatment: str) -> dict[int, str]:
    """By line: why each row's patient (with a consent form to sign) must consent again."""
    from patientdocs.load.content import load_content
    from patientdocs.load.visit import today
    from patientdocs.records.store import open_records, records_exist
    from patientdocs.usecases.reconsent import consent_due

    wanted = [row for row in rows if "consent" in row.documents]
    if not wanted:
        return {}
    content = load_content(config.handouts_dir, treatment, config.defaults.language).data
    if not records_exist(config):  # nothing recorded yet, so nobody has signed
        return {row.line: content.labels.get("reconsent_never", "no signed consent on record") for row in wanted}
    records = open_records(config, read_only=True)  # the plan writes nothing
    try:
        keys = {row.line: records.identity(name=row.patient_name, patient_id=row.patient_id, dob=row.dob)
                for row in wanted}
        due = consent_due(config, records, keys.values(), content, today(), treatment)
    finally:
        records.close()
    return {line: due[key] for line, key in keys.items() if key in due}


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
    _refuse_stray_days(listing, appointments)
    days = runner.likely_dates(listing)
    if len(days) > 1:
        # A day's list with other days in it is often the wrong export: say so, but make it.
        listing.warnings.append(f"{appointments}: the list holds appointments on {len(days)} different days "
                                f"({days[0].isoformat()} to {days[-1].isoformat()}); the cover sheet gives each "
                                "row's date")
    _far_from_today(listing, appointments, config)
    out_dir = output or config.output_dir / runner.run_date(listing).isoformat()
    again = _consent_due_planned(config, listing.rows, treatment)
    return DayPlan(appointments, tuple(_planned(a, again.get(a.line, "")) for a in listing.rows),
                   tuple(listing.problems),
                   tuple(listing.warnings), out_dir, treatment, allow_expired, listing)


# Rows this far from the day most of the list is on are typing slips (2025 for 2026): made, they
# would set the run's folder and its cover's date range.
_STRAY_DAYS = 31


def _refuse_stray_days(listing: AppointmentList, source: Path) -> None:
    from collections import Counter

    from patientdocs.batch.appointments import RowProblem
    from patientdocs.load.visit import FIRST_YEAR, LAST_YEAR

    def likely(row) -> bool:  # a year nobody books (9999) has its own message when the row is made
        return FIRST_YEAR <= row.date.year <= LAST_YEAR

    counts = Counter(a.date for a in listing.rows if likely(a))
    if len(listing.rows) < 2 or not counts:
        return
    main = min(counts, key=lambda d: (-counts[d], d))  # the most common day; the earliest of a tie
    keep = []
    for row in listing.rows:
        if likely(row) and abs((row.date - main).days) > _STRAY_DAYS:
            listing.problems.append(RowProblem(row.line, f"date {row.date.isoformat()} is far from the list's day "
                                                         f"{main.isoformat()}; check the year and the month",
                                               row.patient_name, source))
        else:
            keep.append(row)
    listing.rows[:] = keep


# A day's list is printed shortly before the day (or reprinted soon after): one that is in the past,
# or more than a year ahead, was most likely read with the wrong day/month order (12/01/2026,
# 01/02/2026 ... read both ways), or is the wrong export. Lists are printed weeks ahead at times.
_DAYS_BEFORE, _DAYS_AFTER = 7, 366


def _far_from_today(listing: AppointmentList, source: Path, config: Config) -> None:
    from patientdocs.batch import run as runner
    from patientdocs.load.visit import human_format, today

    if not listing.rows:
        return
    day, now = runner.run_date(listing), today()
    gap = (day - now).days
    if -_DAYS_BEFORE <= gap <= _DAYS_AFTER:
        return
    when = f"{-gap} days before" if gap < 0 else f"{gap} days after"
    formats = ", ".join(human_format(f) for f in ("%Y-%m-%d", *config.batch.date_formats))
    listing.warnings.append(f"{source}: the list's day is {day.isoformat()}, {when} today ({now.isoformat()}); "
                            f"if that is not the day, check the dates of the export against the formats read "
                            f"({formats}: batch.date_formats in config.yaml), or the file chosen")


def print_day(config: Config, plan: DayPlan, *, workers: int | None = None, duplex: bool | None = None,
              progress: Progress | None = None, user: str | None = None,
              start_method: str | None = None) -> DayResult:
    """Make every planned row's file, then the cover sheet, print-all.pdf and report.txt.

    ``start_method`` "spawn" starts the worker processes afresh, for a caller with threads (a web
    server); None forks them where the system can."""
    from patientdocs.batch import run as runner
    from patientdocs.deliver.output import check_folder_writable, ensure_folder, folder_lock, remove_stale_parts
    from patientdocs.records.store import open_records, recover_replaced
    from patientdocs.render.pipeline import Pipeline

    listing = plan.listing
    if listing is None:
        raise PatientDocsError("the plan holds no appointment list; make it with plan_day")
    treatment = plan.treatment or config.defaults.treatment
    pipeline = Pipeline(config, allow_expired=plan.allow_expired, shared_fonts=True)
    pipeline.logo()  # a bad logo stops the run here, not once per row
    for language in sorted({a.language for a in listing.rows} | {config.defaults.language}):
        pipeline.check_current(pipeline.content(treatment, language))  # stop now, not once per row
    _try_cover(pipeline, listing, treatment, config.defaults.language)
    with contextlib.ExitStack() as hold:  # the output folder's lock, until print-all.pdf is made
        records = open_records(config)  # a bad or unreachable records database stops us before any work
        try:
            # Two desks printing the same clinic's day at once would make every document twice. The
            # lock is the run's own (a file lock, a server session): held until the run ends.
            hold.enter_context(records.print_run(config.clinic.name, runner.run_date(listing)))
            out_dir = ensure_folder(plan.out_dir)
            check_folder_writable(out_dir)
            # Before anything is cleared or made: a second run into this folder stops here.
            hold.enter_context(folder_lock(out_dir))
            remove_stale_parts(out_dir, older_than=0)  # a killed run's temporary files: never a finished one
            recover_replaced(records, out_dir)  # a file a killed run was replacing: put back, or tidied
            # An earlier run's print-all.pdf must never be printed by mistake for this one.
            runner.remove_previous_results(out_dir)
            jobs = runner.plan(listing, out_dir, treatment, records)
        finally:
            records.close()
        duplex = config.document.duplex if duplex is None else duplex
        settings = runner.RunSettings(config.source, plan.allow_expired, duplex, user, start_method)
        count = workers or config.batch.workers or runner.default_workers()
        result = runner.BatchResult()
        # Made in the order they are printed, and joined into print-all.pdf as they come: the join
        # runs beside the workers, not after them (issue 16).
        jobs = runner.day_order(jobs)
        print_all = _print_all(pipeline, jobs, out_dir, treatment, duplex, config)
        try:
            try:
                if progress is not None:
                    progress(0, len(jobs))
                for outcome in runner.run_jobs(jobs, settings, count):
                    result.outcomes.append(outcome)
                    print_all.done(outcome)
                    if progress is not None:
                        progress(len(result.outcomes), len(jobs))
            except KeyboardInterrupt:
                remove_stale_parts(out_dir, older_than=0)
                raise Interrupted(f"Stopped before all {count_of(len(jobs), 'appointment')} were made. Every "
                                  "finished file is complete. Run the same command again to make the rest.") from None
            try:
                return _finish(pipeline, listing, result, out_dir, plan.source, treatment, config, print_all)
            except KeyboardInterrupt:
                remove_stale_parts(out_dir, older_than=0)
                raise Interrupted("Stopped while joining print-all.pdf. Every appointment's file is complete. Run "
                                  "the same command again to make print-all.pdf.") from None
        finally:
            with contextlib.suppress(OSError):
                # The unfinished file, after a stop or a failure (once print-all.pdf is in place, nothing).
                print_all.discard()


def _print_all(pipeline, jobs: list, out_dir: Path, treatment: str, duplex: bool, config: Config) -> PrintAll:
    """print-all.pdf, begun under a temporary name: the rows' files are joined as they are made."""
    from patientdocs.batch import run as runner
    from patientdocs.batch.printall import PrintAll
    from patientdocs.deliver.output import temp_name

    loaded = pipeline.content(treatment, config.defaults.language)
    return PrintAll(jobs, temp_name(out_dir / runner.PRINT_ALL, str(os.getpid())), duplex=duplex,
                    blank_text=loaded.data.labels.get("intentionally_blank", "This page is intentionally blank."),
                    seed=pipeline.font_seed(loaded), lang=config.defaults.language)


def _try_cover(pipeline, listing: AppointmentList, treatment: str, language: str) -> None:
    """Make the cover sheet once with every document the list asks for, and throw it away: it is made
    last, so a label only it uses (missing from the content) must stop the run before any work."""
    from patientdocs.batch import run as runner

    asked = {name for row in listing.rows for name in row.documents}
    documents = [name for name in pipeline.kinds.names() if name in asked]
    row = {"date": runner.run_date(listing), "time": "08:30", "patient": "Sample Patient", "patient_id": "SAMPLE-1",
           "therapist": "Sample Therapist", "documents": documents,
           "consent_again": "Sample reason" if "consent" in documents else ""}
    pipeline.render_cover(runner.run_date(listing), [row], ["Sample problem"], treatment=treatment,
                          language=language, last_date=runner.last_date(listing))


def _consent_due(config: Config, pipeline, made: list, treatment: str) -> dict[str, str]:
    """Who among the day's patients with a consent form needs to consent again, and why."""
    from patientdocs.records.store import open_records
    from patientdocs.usecases.reconsent import consent_due

    with_consent = [o for o in made if "consent" in o.job.appointment.documents]
    if not with_consent:
        return {}
    from patientdocs.records.base import RecordsUnavailableError

    content = pipeline.content(treatment, config.defaults.language).data
    try:
        records = open_records(config)
        try:
            # A signature is kept under the patient's identity without the list's email (the tablet
            # does not know it): look each patient up the same way, and report by the row's identity.
            signer = {o.job.identity: records.identity(name=o.job.appointment.patient_name,
                                                       patient_id=o.job.appointment.patient_id,
                                                       dob=o.job.appointment.dob) for o in with_consent}
            due = consent_due(config, records, signer.values(), content, pipeline.today, treatment)
        finally:
            records.close()
    except RecordsUnavailableError:
        # The server went away during the run: the files made are whole and recorded, so the
        # cover and report are still made; each consent row says its signature was not checked.
        unchecked = content.labels.get("reconsent_unchecked", "signed consent not checked (records unreachable)")
        return {o.job.identity: unchecked for o in with_consent}
    return {row: due[key] for row, key in signer.items() if key in due}


def _finish(pipeline, listing: AppointmentList, result, out_dir: Path, source: Path, treatment: str,
            config: Config, joined: PrintAll) -> DayResult:
    """The cover sheet, report.txt, then print-all.pdf: ``joined`` (a batch.printall.PrintAll) holds
    every made row's file already, and gets the cover sheet."""
    from patientdocs.batch import run as runner
    from patientdocs.deliver.output import atomic_write
    from patientdocs.render.pdf.fonts import printable

    made = runner.in_order(result.outcomes)
    not_made = runner.not_made(listing, result)
    # A row refused for characters no font has must not print those characters on the cover.
    problems = [printable(text) for _, text in not_made]
    due = _consent_due(config, pipeline, made, treatment)
    cover = pipeline.cover_parts(runner.run_date(listing), runner.cover_rows(made, due), problems,
                                 treatment=treatment, language=config.defaults.language,
                                 last_date=runner.last_date(listing))
    # The report first: if print-all.pdf cannot be made, it still says what was.
    report_path = out_dir / runner.REPORT
    report: Path | None = report_path
    problem = None
    try:
        atomic_write(report_path, runner.report_text(listing, result, source, due).encode("utf-8"))
    except PatientDocsError as exc:  # a full disk: the files made are still worth a summary
        problem, report = f"{exc.message}; the appointments' files made are complete", None
    print_all_path = out_dir / runner.PRINT_ALL
    print_all: Path | None = print_all_path
    try:
        # The cover's first part starts the file; the rest of it continues it.
        joined.finish((part, i == 0) for i, part in enumerate(cover))
        os.replace(joined.partial, print_all_path)
    except OSError as exc:
        listed = f" and listed in {report}" if report is not None else ""
        problem = (f"cannot write {print_all} ({exc.strerror}); every appointment's file made is complete{listed}; "
                   "fix this and run the same command again to make print-all.pdf")
        print_all = None
    return DayResult(made=len(made), reused=sum(o.reused for o in result.outcomes),
                     failed=len(result.failed) + len(listing.problems),
                     total=len(listing.rows) + len(listing.problems), print_all=print_all, report=report,
                     not_made=tuple(not_made), problem=problem, files=tuple(o.job.target for o in made))

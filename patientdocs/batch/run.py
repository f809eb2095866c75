"""A day's appointment list to documents: one PDF per appointment, a print run, a report.

Work is spread over worker processes (reportlab fonts must not serve two documents at once,
so processes, not threads); each worker loads the settings and registers the fonts once.
Every file is written with its record as one unit, so a run stopped half-way leaves only
whole files, and running it again makes just the ones still missing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import multiprocessing
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from patientdocs.batch.appointments import Appointment, AppointmentList
from patientdocs.errors import PatientDocsError
from patientdocs.records.store import RecordsBase, open_records
from patientdocs.termtext import count_of

PRINT_ALL = "print-all.pdf"
REPORT = "report.txt"


@dataclass(frozen=True, slots=True)
class Job:
    appointment: Appointment
    target: Path
    treatment: str
    identity: str = ""  # Records.identity of the row's patient

    def request(self, fingerprint: str, duplex: bool, expired: bool = False) -> str:
        """A digest of everything the file is made from: a corrected row, new content or a changed
        setting (all in ``fingerprint``, which also holds whether it is in large print) makes it anew,
        and so does a "past its review date" banner."""
        a = self.appointment
        parts = (a.date, a.time, a.patient_name, a.dob, a.patient_id, a.therapist, a.language, a.documents,
                 self.treatment, fingerprint, duplex, expired, a.chest_region,
                 a.condition, a.estim_planned, a.risk_factors, a.risks_discussed)
        return hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class Outcome:
    job: Job
    pages: int = 0
    error: str | None = None
    reused: bool = False  # already made by an earlier, interrupted run


@dataclass
class RunSettings:
    config_path: Path
    allow_expired: bool
    duplex: bool
    username: str | None = None  # who started the run (the web page's account), kept in each record
    # "spawn" from a program with threads (the web page): a forked worker would inherit another
    # thread's SQLite locks mid-transaction. None: fork where there is one (quick to start).
    start_method: str | None = None


# --- worker side ------------------------------------------------------------------------------------

_WORKER: dict[str, object] = {}


def _start_worker(settings: RunSettings) -> None:
    import signal

    from patientdocs.load.config import load_config
    from patientdocs.render.pdf import fonts
    from patientdocs.render.pipeline import Pipeline

    if multiprocessing.parent_process() is not None:
        # The pool stops a broken worker with SIGTERM and waits for it: the CLI's "stop like
        # Ctrl-C" handler, inherited by fork, would let a worker catch that and live on.
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        _exit_with_parent()
    config = load_config(settings.config_path)
    _WORKER["config"] = config
    _WORKER["pipeline"] = Pipeline(config, allow_expired=settings.allow_expired, shared_fonts=True)
    try:
        _WORKER["records"] = open_records(config)
    except PatientDocsError as exc:
        # Every job of this worker then says why it was not made, instead of the pool breaking.
        _WORKER["records"] = None
        _WORKER["records_error"] = exc.message
    _WORKER["duplex"] = settings.duplex
    _WORKER["username"] = settings.username
    fonts.register()


def _exit_with_parent() -> None:
    """A worker ends when the run that started it dies (killed, crashed): left alone, it would wait
    for work forever, holding the fonts, the records database and the output folder's lock."""
    import contextlib
    import signal
    import threading
    import time

    parent = os.getppid()
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        # Linux: the kernel sends SIGTERM the moment the parent dies (PR_SET_PDEATHSIG = 1).
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)

    def watch() -> None:  # elsewhere, and for a parent that died before the line above
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _already_made(job: Job, request: str) -> bool:
    """The file exists, the records say it was made, and it was made from this very row and content."""
    from patientdocs.records.verify import read_control_metadata

    if not job.target.is_file():
        return False
    data = job.target.read_bytes()
    if read_control_metadata(data).get("Request") != request:
        return False
    records: RecordsBase = _WORKER["records"]  # type: ignore[assignment]
    return bool(records.find(sha256=hashlib.sha256(data).hexdigest()))


def _make(job: Job) -> Outcome:
    from patientdocs.load.visit import make_visit
    from patientdocs.records.store import save_with_record
    from patientdocs.usecases.saving import records_for

    try:
        if _WORKER.get("records") is None:
            return Outcome(job, error=str(_WORKER.get("records_error", "the records database is unreachable")))
        pipeline = _WORKER["pipeline"]
        appointment = job.appointment
        loaded = pipeline.content(job.treatment, appointment.language)  # type: ignore[attr-defined]
        large = pipeline.large_print(appointment.large_print)  # type: ignore[attr-defined]
        request = job.request(pipeline.fingerprint(loaded, large), bool(_WORKER["duplex"]),  # type: ignore[attr-defined]
                              loaded.expired(pipeline.today))  # type: ignore[attr-defined]
        if _already_made(job, request):
            import pikepdf

            with pikepdf.open(job.target) as done:
                return Outcome(job, pages=len(done.pages), reused=True)
        config = _WORKER["config"]
        kwargs = appointment.visit_kwargs()
        kwargs["therapist"] = kwargs["therapist"] or config.defaults.therapist  # type: ignore[attr-defined]
        visit = make_visit(**kwargs)  # type: ignore[arg-type]
        # A consent form has a patient and a clinic copy: the parts of the file come from the registry.
        sections = pipeline.kinds.sections(appointment.documents)  # type: ignore[attr-defined]
        rendered = pipeline.render(sections, visit,  # type: ignore[attr-defined]
                                   treatment=job.treatment, language=appointment.language,
                                   duplex=bool(_WORKER["duplex"]), request=request, large_print=large)
        new = records_for(rendered, visit, channel="printed", file_name=str(job.target),
                          patient_key=job.identity or None, username=_WORKER.get("username"))  # type: ignore[arg-type]
        save_with_record(_WORKER["records"], job.target, rendered.pdf, new)  # type: ignore[arg-type]
        return Outcome(job, pages=rendered.pages)
    except PatientDocsError as exc:
        return Outcome(job, error=str(exc))
    except OSError as exc:  # a full disk or a vanished folder: this row is not made, the rest may be
        return Outcome(job, error=f"cannot save {job.target.name} ({exc.strerror or type(exc).__name__})")


# --- the run ----------------------------------------------------------------------------------------


@dataclass
class BatchResult:
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def made(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.error is None]

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.error is not None]


def plan(appointments: AppointmentList, out_dir: Path, treatment: str, records: RecordsBase) -> list[Job]:
    """Each appointment's file: ``<key>.pdf``, unless a file of that name was made for another
    patient (by another list of the same day: two John Smiths, told apart by their dates of birth)
    or not by this tool. Such a file is never replaced: the row gets the first of
    ``<name>.pdf``, ``-2``, ``-3`` ... that is free or this patient's own, so a rerun finds it again."""
    from patientdocs.deliver.naming import file_stem, free_name
    from patientdocs.deliver.output import inside
    from patientdocs.usecases.saving import theirs

    rows = appointments.rows
    identities = [records.identity(name=a.patient_name, patient_id=a.patient_id, dob=a.dob, email=a.email)
                  for a in rows]
    targets: dict[int, Path] = {}
    for i, appointment in enumerate(rows):  # first every row's own name, so none takes another's
        target = inside(out_dir, f"{appointment.key}.pdf")
        if (not target.exists() and not target.is_symlink()) or theirs(records, identities[i], appointment.patient_name,
                                                                       appointment.patient_id)(target):
            targets[i] = target
    taken = set(targets.values())
    if len(taken) != len(targets):  # keys are unique; this guards the promise never to overwrite
        raise PatientDocsError("two appointments would be saved in the same file")
    for i, appointment in enumerate(rows):
        if i in targets:
            continue
        stem = file_stem(appointment.date, appointment.patient_name, appointment.patient_id, time=appointment.time)
        targets[i] = free_name(out_dir, stem, ".pdf", taken=taken,
                               is_theirs=theirs(records, identities[i], appointment.patient_name,
                                                appointment.patient_id))
        taken.add(targets[i])
    return [Job(a, targets[i], treatment, identities[i]) for i, a in enumerate(rows)]


def remove_previous_results(out_dir: Path) -> None:
    """An earlier run's print-all.pdf and report.txt: this run makes its own, or none if stopped."""
    for name in (PRINT_ALL, REPORT):
        path = out_dir / name
        if path.is_dir() and not path.is_symlink():
            raise PatientDocsError(f"'{path}' is a folder; move or rename it, then run the same command again")
        path.unlink(missing_ok=True)


def run_jobs(jobs: list[Job], settings: RunSettings, workers: int) -> Iterator[Outcome]:
    """Make every job's file, in worker processes when ``workers`` > 1; yields as each finishes.

    A worker that dies (killed, out of memory) does not hang the run: its unfinished jobs come
    back as failed, to be made by running the command again."""
    if workers <= 1 or len(jobs) <= 1:
        _start_worker(settings)
        for each in jobs:
            yield _make(each)
        return
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    method = settings.start_method or ("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    executor = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method),
                                   initializer=_start_worker, initargs=(settings,))
    lost = "not made: the process making it stopped unexpectedly; run the same command again to make it"
    waiting = iter(jobs)
    running: dict = {}
    try:
        while True:
            # A few jobs ahead of the workers, not the whole list: memory stays flat on a long day.
            while len(running) < workers * 3 and (job := next(waiting, None)) is not None:
                try:
                    running[executor.submit(_make, job)] = job
                except BrokenProcessPool:
                    yield Outcome(job, error=lost)
            if not running:
                return
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                job = running.pop(future)
                try:
                    made = future.result()
                    # The worker's answer holds a copy of the job (unpickled: its own row, path and
                    # strings); the run keeps every outcome to the end, so it keeps the job it has.
                    yield Outcome(job, made.pages, made.error, made.reused)
                except BrokenProcessPool:
                    yield Outcome(job, error=lost)
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


def not_made(appointments: AppointmentList, result: BatchResult) -> list[tuple[int, str]]:
    """(line, "line N: name: reason") for every row not made, in the order of the file."""
    found = [(p.line, f"line {p.line}: {p.patient + ': ' if p.patient else ''}{p.reason}")
             for p in appointments.problems]
    found += [(o.job.appointment.line, f"line {o.job.appointment.line}: {o.job.appointment.patient_name}: "
               f"{o.error}") for o in result.failed]
    return sorted(found)


def report_text(appointments: AppointmentList, result: BatchResult, source: Path,
                consent_due: dict[str, str] | None = None) -> str:
    """What was made and what was not, one line per row in the order of the file, then a summary."""
    entries: list[tuple[int, str]] = []
    by_line = {o.job.appointment.line: o for o in result.outcomes}
    for appointment in appointments.rows:
        outcome = by_line.get(appointment.line)
        label = f"line {appointment.line}: {appointment.time or '--:--'} {appointment.patient_name}"
        if outcome is None:
            entries.append((appointment.line, f"{label}: not made (the run was stopped)"))
        elif outcome.error:
            entries.append((appointment.line, f"{label}: NOT MADE: {outcome.error}"))
        else:
            again = (consent_due or {}).get(outcome.job.identity)
            entries.append((appointment.line, f"{label}: {' + '.join(appointment.documents)} -> "
                            f"{outcome.job.target.name} ({count_of(outcome.pages, 'page')})"
                            + (f"; consent again: {again}" if again else "")))
    for problem in appointments.problems:
        entries.append((problem.line, f"line {problem.line}: {problem.patient or '(no name)'}: SKIPPED: "
                        f"{problem.reason}"))
    failed = len(result.failed) + len(appointments.problems)
    rows = count_of(len(appointments.rows) + len(appointments.problems), "row")
    warnings = [f"Warning: {w}" for w in appointments.warnings]
    return "\n".join([f"Appointments: {source.name}", "", *warnings, *([""] if warnings else []),
                      *(text for _, text in sorted(entries)), "",
                      f"{len(result.made)} made, {failed} not made, out of {rows}."]) + "\n"


def cover_rows(outcomes: list[Outcome], consent_due: dict[str, str] | None = None) -> list[dict[str, object]]:
    """The cover sheet's rows; ``consent_due``: why a patient (by identity) must consent again."""
    due = consent_due or {}
    return [{"date": o.job.appointment.date, "time": o.job.appointment.time, "patient": o.job.appointment.patient_name,
             "patient_id": o.job.appointment.patient_id, "therapist": o.job.appointment.therapist,
             "documents": list(o.job.appointment.documents), "consent_again": due.get(o.job.identity, "")}
            for o in outcomes]


def _day_key(job: Job) -> tuple[dt.date, str, int]:
    return job.appointment.date, job.appointment.time or "", job.appointment.line


def in_order(outcomes: list[Outcome]) -> list[Outcome]:
    """Made files in the order of the day: by time, then as listed."""
    return sorted((o for o in outcomes if o.error is None), key=lambda o: _day_key(o.job))


def day_order(jobs: list[Job]) -> list[Job]:
    """The jobs in the order their files are printed (see ``in_order``)."""
    return sorted(jobs, key=_day_key)


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


def likely_dates(appointments: AppointmentList) -> list[dt.date]:
    """Row dates in years a visit can be in: a row dated 9999 is not made, and must not set the run's dates."""
    from patientdocs.load.visit import FIRST_YEAR, LAST_YEAR

    return sorted({a.date for a in appointments.rows if FIRST_YEAR <= a.date.year <= LAST_YEAR})


def run_date(appointments: AppointmentList) -> dt.date:
    from patientdocs.render.pipeline import today

    dates = likely_dates(appointments)
    return dates[0] if dates else today()


def last_date(appointments: AppointmentList) -> dt.date:
    """The latest appointment date: a list that spans several days says so on its cover."""
    dates = likely_dates(appointments)
    return dates[-1] if dates else run_date(appointments)

"""Today: the day's appointment list, checked and previewed, then printed with a progress bar."""

from __future__ import annotations

from flask import Blueprint, abort, g, redirect, request, session, url_for

from patientdocs.errors import PatientDocsError
from patientdocs.web.app import audit, config, page, require_owner
from patientdocs.web.forms import (
    find_upload,
    forget_upload,
    keep_upload,
    output_file,
    private_path_hidden,
    relative,
    send_output,
)

pages = Blueprint("day", __name__)
CSV_LIMIT = 5 * 1024 * 1024


def _jobs():
    from flask import current_app

    return current_app.extensions["patientdocs.jobs"]


def current_plan():
    """The plan of this account's last uploaded list, or (None, error)."""
    from patientdocs.usecases.day import plan_day

    cfg = config()
    path = find_upload(cfg, session.get("day"))
    if path is None:
        return None, None
    try:
        return plan_day(cfg, path), None
    except PatientDocsError as exc:
        return None, private_path_hidden(str(exc), path)



@pages.get("/today")
def today():
    plan, error = current_plan()
    warnings = [private_path_hidden(w, plan.source) for w in plan.warnings] if plan else []
    return page("today.html", plan=plan, error=error, warnings=warnings)


@pages.post("/today/upload")
def upload():
    try:
        token, _ = keep_upload(config(), "appointments", (".csv", ".txt", ".tsv"), CSV_LIMIT)
    except PatientDocsError as exc:
        return page("today.html", 400, plan=None, error=exc.message, warnings=[])
    forget_upload(config(), session.get("day"))  # only the latest list is kept
    session["day"] = token
    plan, _ = current_plan()
    audit("day-list-uploaded", f"{len(plan.rows)} rows, {len(plan.problems)} skipped" if plan else "refused")
    return redirect(url_for("day.today"))


@pages.post("/today/run")
def run():
    from patientdocs.usecases.day import print_day

    plan, error = current_plan()
    if plan is None:
        return page("today.html", 400, plan=None, error=error or "Upload the day's list first.", warnings=[])
    cfg, user = config(), g.user

    def work(progress):
        return print_day(cfg, plan, progress=progress, user=user, start_method="spawn")

    job_id = _jobs().start(user, work)
    audit("print-run-started", f"{len(plan.rows)} rows")
    return redirect(url_for("day.progress", job_id=job_id))


def _job(job_id: str):
    job = _jobs().get(job_id)
    if job is None:
        abort(404)
    require_owner(job.owner)
    return job


@pages.get("/today/run/<job_id>")
def progress(job_id: str):
    job = _job(job_id)
    cfg = config()
    files = []
    if job.finished and job.result is not None:
        if not job.audited:
            job.audited = True
            audit("print-run-finished", f"{job.result.made} made, {job.result.reused} reused, "
                                        f"{job.result.failed} not made")
        files = [(path.name, relative(cfg, path)) for path in job.result.files]
    return page("progress.html", job=job, job_id=job_id, files=files,
                print_all=relative(cfg, job.result.print_all) if job.result and job.result.print_all else None,
                report=relative(cfg, job.result.report) if job.result else None)


@pages.get("/today/run/<job_id>/progress.json")
def progress_json(job_id: str):
    job = _job(job_id)
    return {"done": job.done, "total": job.total, "finished": job.finished}


@pages.post("/file")
def file():
    """A document from the output folder, named in the form (never in the address)."""
    path = output_file(config(), request.form.get("path", ""))
    download = request.form.get("how") == "download"
    from patientdocs.records.store import file_sha256

    audit("file-downloaded" if download else "file-opened", f"sha256 {(file_sha256(path) or '')[:16]}")
    return send_output(path, download=download)

"""History and verify: the records by patient id or visit date; is this PDF ours, and unchanged?"""

from __future__ import annotations

from flask import Blueprint, request

from patientdocs.errors import PatientDocsError
from patientdocs.web.app import audit, config, page
from patientdocs.web.forms import keep_upload, private_path_hidden, typed

pages = Blueprint("records", __name__)
PDF_LIMIT = 20 * 1024 * 1024


@pages.get("/history")
def history():
    return page("history.html", values={}, errors={}, rows=None)


@pages.post("/history")
def search():
    from patientdocs.usecases.records import find_records

    values = request.form.to_dict()
    patient_id, on_date = typed("patient_id"), typed("date")
    if patient_id is None and on_date is None:
        return page("history.html", 422, values=values, rows=None,
                    errors={"patient_id": "Type a patient id or a visit date (or both)."})
    try:
        rows = find_records(config(), patient_id=patient_id, on_date=on_date)
    except PatientDocsError as exc:
        return page("history.html", 422, values=values, rows=None, errors={exc.field or "date": exc.message})
    audit("history-searched", f"patient id {patient_id or '-'}, date {on_date or '-'}, {len(rows)} found")
    return page("history.html", values=values, errors={}, rows=rows)


@pages.get("/verify")
def verify():
    return page("verify.html", verdict=None, error=None)


@pages.post("/verify")
def verify_post():
    import shutil

    from patientdocs.usecases.records import verify_document

    cfg = config()
    try:
        _, path = keep_upload(cfg, "pdf", (".pdf",), PDF_LIMIT)
    except PatientDocsError as exc:
        return page("verify.html", 400, verdict=None, error=exc.message)
    try:
        verdict = verify_document(cfg, path, password=request.form.get("password") or None)
    except PatientDocsError as exc:
        return page("verify.html", 422, verdict=None, error=private_path_hidden(str(exc), path))
    finally:
        shutil.rmtree(path.parent, ignore_errors=True)  # the upload is not kept
    audit("pdf-verified", verdict.status)
    return page("verify.html", verdict=verdict, error=None)

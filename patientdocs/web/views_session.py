"""After a session: the therapist enters what was done, previews the aftercare sheet and emails
it (with other documents if wanted), locked, through the clinic's mail server."""

from __future__ import annotations

from flask import Blueprint, g, request, session

from patientdocs.errors import DeliveryError, PatientDocsError
from patientdocs.web.app import audit, config, page
from patientdocs.web.choices import choices
from patientdocs.web.forms import VISIT_FIELDS, error_place, pdf_response, relative, visit_from_form

pages = Blueprint("after", __name__)
FIELDS = (*VISIT_FIELDS, "areas", "chest_region", "estim", "note", "next_visit", "to", "documents", "slip")


def _today_rows():
    from patientdocs.web.views_day import current_plan

    plan, _ = current_plan() if session.get("day") else (None, None)
    return plan.rows if plan is not None else ()


def _form(status: int = 200, **values):
    cfg = config()
    values.setdefault("values", {})
    values.setdefault("errors", {})
    values.setdefault("error", None)
    values.setdefault("sent", None)
    return page("after.html", status, choices=choices(cfg), rows=_today_rows(), **values)


@pages.get("/after-session")
def form():
    return _form()


@pages.post("/after-session/pick")
def pick():
    """Fill the form from a row of today's list (the row is named by its line, not by the patient)."""
    line = request.form.get("line", "")
    row = next((r for r in _today_rows() if str(r.line) == line), None)
    values = {}
    if row is not None:
        values = {"patient": row.patient, "patient_id": row.patient_id or "", "therapist": row.therapist or "",
                  "date": row.date, "language": row.language}
    return _form(values=values)


@pages.post("/after-session")
def act():
    from patientdocs.usecases.documents import DocumentRequest, preview_document
    from patientdocs.usecases.email import EmailRequest, send_documents

    cfg = config()
    values = request.form.to_dict()
    values["also"] = request.form.getlist("also")
    visit = visit_from_form(aftercare=True)
    try:
        if request.form.get("action") == "preview":
            pdf = preview_document(cfg, DocumentRequest(kind="aftercare", visit=visit))
            audit("aftercare-previewed", f"patient id {visit.patient_id or '-'}")
            return pdf_response(pdf, "aftercare-preview.pdf")
        documents = ("aftercare", *[k for k in request.form.getlist("also") if k != "aftercare"])
        sent = send_documents(cfg, EmailRequest(documents=documents, to=request.form.get("to", ""), visit=visit,
                                                slip="slip" in request.form), user=g.user)
    except DeliveryError as exc:
        audit("email-failed", f"patient id {visit.patient_id or '-'}")
        handover = exc.handover
        return _form(502, values=values, error=f"Not sent: {exc}", handover=handover)
    except PatientDocsError as exc:
        errors, error = error_place(exc, FIELDS)
        return _form(422, values=values, errors=errors, error=error)
    audit("email-sent", f"{'+'.join(documents)}, patient id {visit.patient_id or '-'}, locked: {sent.encryption}")
    slip = sent.handover.slip if sent.handover else None
    return _form(values={}, sent=sent, slip=relative(cfg, slip) if slip else None,
                 saved=[(p.name, relative(cfg, p)) for p in sent.saved])

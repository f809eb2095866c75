"""One patient: the same fields as the command line, each checked by the use case, errors beside
their field; make (saved and recorded), then download or print; or preview without saving."""

from __future__ import annotations

from flask import Blueprint, g, request

from patientdocs.errors import PatientDocsError
from patientdocs.web.app import audit, config, page
from patientdocs.web.choices import choices
from patientdocs.web.forms import VISIT_FIELDS, error_place, pdf_response, relative, visit_from_form

pages = Blueprint("patient", __name__)
FIELDS = (*VISIT_FIELDS, "kind", "duplex", "fillable", "allow_expired")


@pages.get("/patient")
def form():
    return page("patient.html", choices=choices(config()), values={}, errors={}, error=None, saved=None)


@pages.post("/patient")
def make():
    from patientdocs.usecases.documents import DocumentRequest, make_document, preview_document

    cfg = config()
    values = request.form.to_dict()
    kind = values.get("kind", "packet")
    duplex = True if "duplex" in request.form else None
    visit = visit_from_form()
    doc = DocumentRequest(kind=kind, visit=visit, duplex=duplex, fillable="fillable" in request.form,
                          allow_expired="allow_expired" in request.form)
    try:
        if request.form.get("action") == "preview":
            pdf = preview_document(cfg, doc)
            audit("document-previewed", f"{kind}, patient id {visit.patient_id or '-'}")
            return pdf_response(pdf, "preview.pdf")
        saved = make_document(cfg, doc, user=g.user)
    except PatientDocsError as exc:
        errors, error = error_place(exc, FIELDS)
        return page("patient.html", 422, choices=choices(cfg), values=values, errors=errors, error=error,
                    saved=None)
    audit("document-made", f"{'+'.join(saved.kinds)}, patient id {visit.patient_id or '-'}, "
                           f"sha256 {saved.sha256[:16]}")
    return page("patient.html", choices=choices(cfg), values=values, errors={}, error=None, saved=saved,
                saved_path=relative(cfg, saved.path))

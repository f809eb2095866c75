"""Consent signed on a tablet: the patient confirms their date of birth, answers the health
questions and signs (drawn on the screen with the page's script, or the typed name); the
therapist countersigns. The use case (usecases/signing.py) checks it all and seals the file."""

from __future__ import annotations

import base64
import binascii

from flask import Blueprint, g, request

from patientdocs.errors import PatientDocsError
from patientdocs.web.app import audit, config, page
from patientdocs.web.choices import choices
from patientdocs.web.forms import VISIT_FIELDS, error_place, relative, visit_from_form

pages = Blueprint("sign", __name__)
SIGNERS = (("patient", "Patient"), ("guardian", "Parent or guardian (instead of the patient)"),
           ("interpreter", "Interpreter (when one was used)"), ("therapist", "Therapist (countersigns)"))
PNG_PREFIX = "data:image/png;base64,"


def _form(status: int = 200, **values):
    from patientdocs.usecases.signing import consent_questions

    cfg = config()
    values.setdefault("values", {})
    values.setdefault("errors", {})
    values.setdefault("error", None)
    values.setdefault("signed", None)
    chosen = values["values"]
    questions = consent_questions(cfg, treatment=chosen.get("treatment") or None,
                                  language=chosen.get("language") or None)
    return page("sign.html", status, choices=choices(cfg), questions=questions, signers=SIGNERS, **values)


@pages.get("/sign")
def form():
    return _form()


def _drawing(role: str) -> bytes | None:
    """The signature drawn on the screen: a PNG the page's script put in a hidden field."""
    text = request.form.get(f"{role}_drawing", "")
    if not text:
        return None
    if not text.startswith(PNG_PREFIX):
        raise PatientDocsError(f"the {role}'s signature is not a readable drawing; draw it again",
                               field=f"{role}_signature")
    try:
        return base64.b64decode(text[len(PNG_PREFIX):], validate=True)
    except (binascii.Error, ValueError):
        raise PatientDocsError(f"the {role}'s signature is not a readable drawing; draw it again",
                               field=f"{role}_signature") from None


@pages.post("/sign")
def sign():
    from patientdocs.usecases.signing import Answer, SignerInput, SignRequest, consent_questions, sign_consent

    cfg = config()
    values = {k: v for k, v in request.form.items() if not k.endswith("_drawing")}  # never echo a drawing back
    visit = visit_from_form()
    questions = consent_questions(cfg, treatment=visit.treatment, language=visit.language)
    answers = {qid: Answer(request.form[f"answer_{qid}"], request.form.get(f"details_{qid}", "").strip())
               for qid, _ in questions if request.form.get(f"answer_{qid}")}
    known = (*VISIT_FIELDS, "dob_confirmed", "answers", *(f"answer_{qid}" for qid, _ in questions),
             *(f"{role}_{part}" for role, _ in SIGNERS for part in ("name", "signature")))
    try:
        signers = []
        for role, _ in SIGNERS:
            drawing = _drawing(role)
            typed = f"{role}_typed" in request.form
            name = request.form.get(f"{role}_name", "")
            if name.strip() or drawing is not None or typed:
                signers.append(SignerInput(role, name, drawing, typed and drawing is None))
        signed = sign_consent(cfg, SignRequest(visit=visit, dob_confirmed=request.form.get("dob_confirmed", ""),
                                               answers=answers, signers=tuple(signers),
                                               device=(request.user_agent.string or "")[:120]), user=g.user)
    except PatientDocsError as exc:
        errors, error = error_place(exc, known)
        return _form(422, values=values, errors=errors, error=error)
    audit("consent-signed", f"patient id {visit.patient_id or '-'}, sha256 {signed.sha256[:16]}")
    return _form(signed=signed, signed_path=relative(cfg, signed.path))

"""Signing on a tablet: the receptionist or therapist picks the patient, then hands the tablet over.

The patient reads the consent form's text in their language, confirms their date of birth,
answers the health questions and signs with a finger or stylus (pointer events, see
static/sign.js), or types their name where they cannot draw; a guardian or interpreter signs in
their own block when needed, and the therapist countersigns. The same use case as everywhere
(usecases/signing.py) checks it, makes the signed and sealed PDF and records it. Patient data
travels in POST bodies only. Without JavaScript, signatures are typed names.
"""

from __future__ import annotations

import base64
import binascii

from flask import Blueprint, g, request

from patientdocs.errors import PatientDocsError
from patientdocs.web.app import audit, config, page
from patientdocs.web.choices import choices
from patientdocs.web.forms import VISIT_FIELDS, error_place, relative, visit_from_form

pages = Blueprint("sign", __name__)
ROLES = ("patient", "guardian", "interpreter", "therapist")
PNG_PREFIX = "data:image/png;base64,"


def _consent(cfg, visit):
    """The consent content in the patient's language, for the tablet to show."""
    from patientdocs.load.content import load_content
    from patientdocs.usecases.saving import treatment_and_language

    treatment, language = treatment_and_language(cfg, visit)
    loaded = load_content(cfg.handouts_dir, treatment, language)
    return loaded.data


@pages.get("/sign")
def start():
    return page("sign_start.html", choices=choices(config()), values={}, errors={}, error=None)


@pages.post("/sign/tablet")
def tablet():
    """The page the patient sees: checked first, so a wrong name or date never reaches them."""
    from patientdocs.usecases.saving import build_visit

    cfg = config()
    values = request.form.to_dict()
    visit = visit_from_form()
    try:
        from patientdocs.load.visit import today

        checked = build_visit(cfg, visit, today())
        if checked.dob is None:
            raise PatientDocsError("the date of birth is needed: the patient confirms it on the tablet", field="dob")
        content = _consent(cfg, visit)
    except PatientDocsError as exc:
        errors, error = error_place(exc, VISIT_FIELDS)
        return page("sign_start.html", 422, choices=choices(cfg), values=values, errors=errors, error=error)
    audit("signing-started", f"patient id {visit.patient_id or '-'}")
    return page("sign_tablet.html", values=values, consent=content.consent, labels=content.labels,
                answers={}, errors={}, error=None, large=values.get("large_print") == "on")


def _signers() -> tuple:
    from patientdocs.usecases.signing import SignerInput

    found = []
    for role in ROLES:
        name = request.form.get(f"{role}_name", "").strip()
        drawn = request.form.get(f"{role}_drawing", "")
        typed = request.form.get(f"{role}_typed") == "on"
        if not name and not drawn and not typed:
            continue  # this block was not used (no guardian, no interpreter)
        drawing = None
        if drawn and not typed:
            if not drawn.startswith(PNG_PREFIX):
                raise PatientDocsError(f"the {role}'s signature is not a drawing; sign again",
                                       field=f"{role}_signature")
            try:
                drawing = base64.b64decode(drawn[len(PNG_PREFIX):], validate=True)
            except (binascii.Error, ValueError):
                raise PatientDocsError(f"the {role}'s signature is damaged; sign again",
                                       field=f"{role}_signature") from None
        found.append(SignerInput(role, name, drawing, typed=typed))
    return tuple(found)


@pages.post("/sign/submit")
def submit():
    from patientdocs.usecases.signing import Answer, SignRequest, sign_consent

    cfg = config()
    values = request.form.to_dict()
    visit = visit_from_form()
    content = _consent(cfg, visit)
    answers = {}
    for question in content.consent.screening.questions:
        given = request.form.get(f"answer_{question.id}")
        if given in ("yes", "no"):
            answers[question.id] = Answer(given, request.form.get(f"details_{question.id}", "").strip())
    try:
        signed = sign_consent(cfg, SignRequest(visit=visit, dob_confirmed=request.form.get("dob_confirmed", ""),
                                               answers=answers, signers=_signers(),
                                               device=request.headers.get("User-Agent", "")[:120]),
                              user=g.user)
    except PatientDocsError as exc:
        field = exc.field or ""
        message = exc.message if exc.source is None else str(exc)
        return page("sign_tablet.html", 422, values=values, consent=content.consent, labels=content.labels,
                    answers={k: v.answer for k, v in answers.items()}, errors={field: message},
                    error=None if field else message, large=values.get("large_print") == "on")
    audit("consent-signed", f"patient id {visit.patient_id or '-'}, version {signed.version}, "
                            f"sha256 {signed.sha256[:16]}")
    return page("sign_done.html", signed=signed, saved_path=relative(cfg, signed.path))

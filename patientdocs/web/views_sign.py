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

from flask import Blueprint, g, request, session

from patientdocs.errors import DeliveryError, PatientDocsError
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
    # The form to email the copy names the file by this session, never by a path from the browser.
    session["signed"] = signed.sha256
    return _done(signed=signed, saved_path=relative(cfg, signed.path))


def _done(status: int = 200, **values):
    from patientdocs.deliver.encrypt import is_dob_policy

    cfg = config()
    values.setdefault("values", {})
    values.setdefault("errors", {})
    values.setdefault("error", None)
    values.setdefault("sent", None)
    # A date-of-birth password needs the date of birth, which the records do not keep.
    ask_dob = cfg.email.encrypt and is_dob_policy(cfg.email.password_policy)
    return page("sign_done.html", status, can_email=bool(session.get("signed")), ask_dob=ask_dob, **values)


@pages.post("/sign/email")
def email():
    """Email the patient their copy of the consent just signed, locked, as After a session does."""
    from patientdocs.usecases.email_signed import SignedEmailRequest, send_signed, signed_file

    cfg = config()
    values = request.form.to_dict()
    digest = session.get("signed")
    if not digest:
        return _done(422, error="There is no signed consent to email in this session; sign one first, or email it "
                                "with: python generate.py email --signed FILE")
    path = signed_file(cfg, digest)
    saved_path = relative(cfg, path) if path is not None else None
    try:
        sent = send_signed(cfg, SignedEmailRequest(to=request.form.get("to", ""), sha256=digest,
                                                   dob=request.form.get("dob") or None, slip="slip" in request.form),
                           user=g.user)
    except DeliveryError as exc:
        audit("email-failed", "consent-signed")
        return _done(502, values=values, saved_path=saved_path, error=f"Not sent: {exc}", handover=exc.handover)
    except PatientDocsError as exc:
        errors, error = error_place(exc, ("to", "dob", "slip"))
        return _done(422, values=values, saved_path=saved_path, errors=errors, error=error)
    audit("email-sent", f"consent-signed, sha256 {digest[:16]}, locked: {sent.encryption}")
    slip = sent.handover.slip if sent.handover else None
    return _done(sent=sent, saved_path=saved_path, slip=relative(cfg, slip) if slip else None)

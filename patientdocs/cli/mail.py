"""``email``: send documents to a patient, locked with a one-time passphrase."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from patientdocs.cli import load_config, main
from patientdocs.cli.documents import aftercare_options, show_hints, visit_input, visit_options
from patientdocs.errors import PatientDocsError


def _hand_over(handover) -> None:
    """The passphrase, once, for the sender to pass on; it is kept nowhere else but the slip."""
    if handover is None:
        return
    click.echo(f"Passphrase for the patient{handover.note}: {handover.passphrase}")
    click.echo("Tell the patient by phone or give it to them on paper. It is shown only this once; it is "
               "not in the email and is not kept.")
    if handover.slip_problem is not None:
        click.echo(f"Warning: {handover.slip_problem}; write the passphrase above on paper instead", err=True)
    elif handover.slip is not None:
        click.echo(f"Slip to print for the patient: {handover.slip} (delete it once printed)")


# Options that describe a visit to make documents for: a signed consent already has its own.
_VISIT_ONLY = (("patient", "--patient"), ("patient_id", "--patient-id"),
               ("therapist", "--therapist"), ("date", "--date"), ("lang", "--lang"), ("treatment", "--treatment"),
               ("large_print", "--large-print"), ("allow_expired", "--allow-expired"), ("areas", "--areas"),
               ("estim", "--estim"), ("next_visit", "--next-visit"), ("note", "--note"),
               ("chest_region", "--chest-region"))


@main.command("email", short_help="Email documents to a patient, locked with a one-time passphrase.")
@click.argument("document", metavar="[DOCUMENT]", required=False)
@click.option("--to", "recipient", required=True, metavar="ADDRESS", help="The patient's email address.")
@click.option("--also", multiple=True, metavar="DOCUMENT",
              help="Attach another document too (info, consent, aftercare, or one from 'list'). Repeat for more.")
@click.option("--signed", type=click.Path(path_type=Path), metavar="FILE",
              help="Email the patient their copy of a consent signed on the tablet: the file in out/ whose "
                   "name ends in consent-signed.pdf. Give no DOCUMENT and no --patient: the patient and "
                   "language come from the records.")
@click.option("--dry-run", is_flag=True,
              help="Do not send: write the whole email as an .eml file in the outbox/ folder to check it.")
@click.option("--no-encrypt", is_flag=True,
              help="Attach the documents without a password. Only if the patient asked for this.")
@click.option("--slip", is_flag=True,
              help="Also make a one-page slip with the passphrase, to print and hand to the patient. It is "
                   "saved in the output folder, readable only by you; delete it once printed.")
@visit_options(patient_required=False)
@aftercare_options
@click.pass_context
def email_command(ctx: click.Context, document: str | None, recipient: str, also: tuple[str, ...],
                  signed: Path | None, dry_run: bool, no_encrypt: bool, slip: bool, **params: Any) -> None:
    """Email documents to a patient (DOCUMENT is info, consent, aftercare, or another from 'list'),
    or their copy of a consent signed on the tablet (--signed FILE).

    \b
    The attachments are locked with a new one-time passphrase (five short words), shown here
    once after sending: tell the patient by phone, or print the slip (--slip) and hand it over.
    It is never in the email, the records or any file but the slip. (config.yaml can choose a
    date-of-birth password instead: easy to guess, so not recommended.) Example:
      python generate.py email aftercare --to ana@example.org --patient "Ana Lima" \\
          --therapist "Sam Patel" --areas "neck (left)" --also consent --slip
    A consent signed on the tablet: send the patient their copy, locked the same way:
      python generate.py email --signed out/2026-12-01_ana-lima_consent-signed.pdf \\
          --to ana@example.org --slip
    Exit code 0: sent. 1: not sent (the reason is shown; the PDFs stay in out/). 2: bad input.
    """
    from patientdocs.deliver.encrypt import PASSPHRASE

    config = load_config(ctx, params.get("config_path"))
    if params.get("output") is not None:
        raise PatientDocsError("-o cannot be used with email; the PDFs are saved in the output folder", field="output")
    try:
        sent = _send(config, document, recipient, signed, also, dry_run, no_encrypt, slip, params)
    except PatientDocsError as exc:
        _hand_over(getattr(exc, "handover", None))
        raise
    if sent.dry_run_file is not None:
        click.echo(f"Dry run: nothing was sent. The email is in {sent.dry_run_file}")
    else:
        how = {"none": " (not locked)", PASSPHRASE: " (locked with a one-time passphrase)"}
        click.echo(f"Sent {sent.documents} document(s) to {sent.recipient}"
                   + how.get(sent.encryption, " (locked with the password rule in config.yaml)"))
    _hand_over(sent.handover)
    show_hints(sent.hints)


def _send(config: Any, document: str | None, recipient: str, signed: Path | None, also: tuple[str, ...],
          dry_run: bool, no_encrypt: bool, slip: bool, params: dict[str, Any]) -> Any:
    """Documents made for a visit, or a signed consent as it is: the two ways to fill an email."""
    encrypt = False if no_encrypt else None
    if signed is not None:
        from patientdocs.usecases.email_signed import SignedEmailRequest, send_signed

        if document is not None:
            raise PatientDocsError(f"give either a DOCUMENT ({document}) or --signed, not both", field="signed")
        given = next((option for name, option in _VISIT_ONLY if params.get(name) not in (None, False, ())), None)
        if given is None and also:
            given = "--also"
        if given is not None:
            raise PatientDocsError(f"--signed sends the signed consent as it is, for the patient the records name; "
                                   f"leave out {given}", field="signed")
        return send_signed(config, SignedEmailRequest(to=recipient, signed=signed, dob=params.get("dob"),
                                                      dry_run=dry_run, encrypt=encrypt, slip=slip))
    from patientdocs.usecases.email import EmailRequest, send_documents

    if document is None:
        raise PatientDocsError("name the DOCUMENT to send (info, consent, aftercare, or one from 'list'), or "
                               "--signed FILE for a consent signed on the tablet", field="documents")
    if not params.get("patient"):
        raise PatientDocsError("--patient is needed: the patient's full name, as it is to be printed",
                               field="patient")
    request = EmailRequest(documents=(document, *also), to=recipient, visit=visit_input(params), dry_run=dry_run,
                           encrypt=encrypt, slip=slip, allow_expired=params.get("allow_expired", False))
    return send_documents(config, request)

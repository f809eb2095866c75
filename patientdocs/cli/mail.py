"""``email``: send documents to a patient, locked with a one-time passphrase."""

from __future__ import annotations

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


@main.command("email", short_help="Email documents to a patient, locked with a one-time passphrase.")
@click.argument("document", metavar="DOCUMENT")
@click.option("--to", "recipient", required=True, metavar="ADDRESS", help="The patient's email address.")
@click.option("--also", multiple=True, metavar="DOCUMENT",
              help="Attach another document too (info, consent, aftercare, or one from 'list'). Repeat for more.")
@click.option("--dry-run", is_flag=True,
              help="Do not send: write the whole email as an .eml file in the outbox/ folder to check it.")
@click.option("--no-encrypt", is_flag=True,
              help="Attach the documents without a password. Only if the patient asked for this.")
@click.option("--slip", is_flag=True,
              help="Also make a one-page slip with the passphrase, to print and hand to the patient. It is "
                   "saved in the output folder, readable only by you; delete it once printed.")
@visit_options
@aftercare_options
@click.pass_context
def email_command(ctx: click.Context, document: str, recipient: str, also: tuple[str, ...], dry_run: bool,
                  no_encrypt: bool, slip: bool, **params: Any) -> None:
    """Email documents to a patient (DOCUMENT is info, consent, aftercare, or another from 'list').

    \b
    The attachments are locked with a new one-time passphrase (five short words), shown here
    once after sending: tell the patient by phone, or print the slip (--slip) and hand it over.
    It is never in the email, the records or any file but the slip. (config.yaml can choose a
    date-of-birth password instead: easy to guess, so not recommended.) Example:
      python generate.py email aftercare --to ana@example.org --patient "Ana Lima" \\
          --therapist "Sam Patel" --areas "neck (left)" --also consent --slip
    Exit code 0: sent. 1: not sent (the reason is shown; the PDFs stay in out/). 2: bad input.
    """
    from patientdocs.deliver.encrypt import PASSPHRASE
    from patientdocs.usecases.email import EmailRequest, send_documents

    config = load_config(ctx, params.get("config_path"))
    if params.get("output") is not None:
        raise PatientDocsError("-o cannot be used with email; the PDFs are saved in the output folder", field="output")
    request = EmailRequest(documents=(document, *also), to=recipient, visit=visit_input(params), dry_run=dry_run,
                           encrypt=False if no_encrypt else None, slip=slip,
                           allow_expired=params.get("allow_expired", False))
    try:
        sent = send_documents(config, request)
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

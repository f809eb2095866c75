"""The records: ``history`` (what was made and sent) and ``verify`` (is this PDF ours, unchanged?)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from patientdocs.cli import config_option, load_config, main
from patientdocs.cli.exitcodes import Exit


def _lock(row: dict[str, Any]) -> str:
    """How an emailed attachment was locked, for the history table (older records do not say)."""
    policy = row.get("encryption")
    if not policy:
        return ""
    return " (not locked)" if policy == "none" else f" (locked: {policy})"


def _unconfirmed(row: dict[str, Any]) -> str:
    """An email handed over that the server never confirmed: it may or may not have arrived."""
    return " (unconfirmed)" if str(row.get("server_response") or "").startswith("unconfirmed") else ""


@main.command(short_help="List the documents made and sent.")
@click.option("--patient-id", metavar="ID", help="Only this patient's documents.")
@click.option("--date", "on_date", metavar="YYYY-MM-DD", help="Only documents for visits on this day.")
@click.option("--json", "as_json", is_flag=True, help="Print the records as JSON, for other programs.")
@config_option
@click.pass_context
def history(ctx: click.Context, patient_id: str | None, on_date: str | None, as_json: bool,
            config_path: Path | None) -> None:
    """List the documents made and sent, for example for one patient.

    \b
    Example: which consent form did patient P-1042 get on 1 December?
      python generate.py history --patient-id P-1042 --date 2026-12-01
    """
    import json

    from patientdocs import termtext
    from patientdocs.usecases.records import find_records

    rows = find_records(load_config(ctx, config_path), patient_id=patient_id, on_date=on_date)
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        click.echo("No documents found.")
        return
    header = ("Made (UTC)", "Visit", "Patient ID", "Patient", "Document", "Lang", "Version", "Fingerprint", "How",
              "SHA-256")
    table = [header] + [(r["created_at"].replace("T", " ")[:16], r["visit_date"] or "-", r["patient_id"] or "-",
                         termtext.isolated(termtext.clipped(r["patient_name"], 40)),  # --json keeps it whole
                         r["kind"], r["language"], r["content_version"], r["fingerprint"],
                         r["channel"] + _unconfirmed(r) + (f" to {r['recipient']}" if r["recipient"] else "")
                         + _lock(r),
                         r["sha256"][:12])
                        for r in rows]
    widths = [max(termtext.width(str(row[i])) for row in table) for i in range(len(header))]
    for row in table:
        click.echo("  ".join(termtext.pad(str(cell), width) for cell, width in zip(row, widths, strict=True)).rstrip())
    click.echo(f"{len(rows)} document(s).")


@main.command(short_help="Check that a PDF was made here and is unchanged.")
@click.argument("pdf", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--password", "ask_password", is_flag=True,
              help="The file is locked: ask for its passphrase (typed, not shown) to check its seal.")
@config_option
@click.pass_context
def verify(ctx: click.Context, pdf: Path, ask_password: bool, config_path: Path | None) -> None:
    """Check that a PDF is one this clinic made, and that it has not been changed.

    A sealed PDF is checked offline, by its seal: SEALED AND UNCHANGED, CHANGED or SEAL NOT
    TRUSTED. Others are looked up in the records: UNCHANGED, CHANGED or NOT RECOGNISED.

    \b
    Example:
      python generate.py verify ana-consent.pdf
    Exit code 0: made here and unchanged. 1: changed, not trusted or not made here. 2: not a PDF file.
    """
    from patientdocs.usecases.records import verify_document

    password = click.prompt("Passphrase of the file", hide_input=True, err=True) if ask_password else None
    verdict = verify_document(load_config(ctx, config_path), pdf, password=password)
    click.echo(verdict.message)
    sys.exit(Exit.OK if verdict.ok else Exit.SOME_FAILED)

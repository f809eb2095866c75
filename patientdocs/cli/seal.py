"""``seal-init``: a demo certificate for trying the clinic's seal."""

from __future__ import annotations

from pathlib import Path

import click

from patientdocs.cli import config_option, load_config, main


@main.command("seal-init", short_help="Make a demo certificate to try the clinic's seal.")
@click.option("--force", is_flag=True, help="Make a new one even if a valid demo certificate is there.")
@config_option
@click.pass_context
def seal_init(ctx: click.Context, force: bool, config_path: Path | None) -> None:
    """Make a self-signed demo certificate and key for the clinic's seal, valid for a year.

    Readers show a demo seal as "not trusted": for real documents the clinic needs a
    document-signing certificate from a recognised authority (see the README).

    \b
    Example:
      python generate.py seal-init
    """
    from patientdocs.usecases.seal import make_demo_seal

    made = make_demo_seal(load_config(ctx, config_path), force=force)
    if made.made:
        click.echo(f"Made a demo seal certificate, valid for {made.days_left} days: {made.certificate} "
                   f"(key: {made.key}).")
    else:
        click.echo(f"A demo seal certificate is already there, valid for {made.days_left} more days: "
                   f"{made.certificate}.")
    if not made.configured:
        click.echo("To use it, add to config.yaml:\n  seal:\n"
                   f"    certificate: {made.certificate}\n    key: {made.key}")

"""What can be made (``list``) and whether everything is in order (``validate``)."""

from __future__ import annotations

from pathlib import Path

import click

from patientdocs.cli import config_option, load_config, main
from patientdocs.cli.exitcodes import Exit


@main.command("list")
@config_option
@click.pass_context
def list_command(ctx: click.Context, config_path: Path | None) -> None:
    """Show the treatments, languages and documents that can be made."""
    from patientdocs.kinds import PACKET, PACKET_LABEL, for_config
    from patientdocs.usecases.status import available_documents, content_status

    config = load_config(ctx, config_path)
    found = content_status(config)
    if not found:
        click.echo(f"No treatments found in {config.handouts_dir}")
        return
    click.echo("Treatments and languages:")
    by_treatment: dict[str, list[str]] = {}
    for status in found:
        name = f"({status.language_name})" if status.problem is None else "(has a problem: run validate)"
        by_treatment.setdefault(status.treatment, []).append(f"{status.language} {name}")
    for treatment, languages in by_treatment.items():
        click.echo(f"  {treatment}: {', '.join(languages)}")
    click.echo("Documents:")
    documents = available_documents(config)
    for kind in documents:
        click.echo(f"  {kind.name:<10} {kind.label}")
    packet = for_config(config).packet()
    if packet and set(packet) <= {kind.name for kind in documents}:
        click.echo(f"  {PACKET:<10} {PACKET_LABEL}")


@main.command(short_help="Check the settings, content and templates.")
@config_option
@click.option("--allow-expired", is_flag=True, help="Report content past its review date as a warning only.")
@click.pass_context
def validate(ctx: click.Context, config_path: Path | None, allow_expired: bool) -> None:
    """Check the clinic's settings, all content and every template with a sample patient."""
    from patientdocs.usecases.status import validate_all

    problems = 0
    for line in validate_all(load_config(ctx, config_path), allow_expired=allow_expired):
        if line.level == "ERROR":
            problems += 1
            for text in line.text.splitlines():
                click.echo(f"Error: {text}", err=True)
        else:
            click.echo(f"{'OK ' if line.level == 'OK' else line.level} {line.text}")
    if problems:
        raise SystemExit(Exit.BAD_INPUT)
    click.echo("All checks passed.")

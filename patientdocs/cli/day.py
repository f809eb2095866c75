"""``batch``: the day's print run from the appointment list."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import click

from patientdocs.cli import config_option, load_config, main
from patientdocs.cli.documents import duplex_option
from patientdocs.cli.exitcodes import Exit


@main.command(short_help="Make the documents for a whole day's appointment list.")
@click.argument("appointments", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path), metavar="FOLDER",
              help="Folder for the files. Default: out/<date of the appointments>/.")
@click.option("--workers", type=click.IntRange(1, 64), metavar="N",
              help="How many documents to make at once. Default: one per processor core.")
@duplex_option
@click.option("--treatment", metavar="NAME", help="Treatment. Default: dry-needling.")
@click.option("--allow-expired", is_flag=True, help="Print even if the content is past its review date.")
@config_option
@click.pass_context
def batch(ctx: click.Context, appointments: Path, output: Path | None, workers: int | None, duplex: bool | None,
          treatment: str | None, allow_expired: bool, config_path: Path | None) -> None:
    """Make every appointment's documents from the day's list (a CSV export), ready to print.

    \b
    Example:
      python generate.py batch appointments-2026-12-01.csv -o out/2026-12-01/
    You get one PDF per appointment, print-all.pdf (a checklist cover sheet, then everyone's
    documents, each patient starting on a front side) and report.txt. Rows with a problem are
    skipped and listed with their line number; every other row is still made. If the run is
    stopped, run the same command again: it finishes the rest.
    Exit code 0: all made. 1: some rows not made. 2: the file or the settings are unusable.
    """
    from patientdocs.termtext import count_of
    from patientdocs.usecases.day import plan_day, print_day

    config = load_config(ctx, config_path)
    plan = plan_day(config, appointments, output=output, treatment=treatment, allow_expired=allow_expired)
    for warning in plan.warnings:
        click.echo(f"Warning: {warning}", err=True)
    with contextlib.ExitStack() as stack:
        bars: list = []

        def progress(done: int, total: int) -> None:
            if not bars:
                bars.append(stack.enter_context(click.progressbar(
                    length=total, label="Making documents", file=sys.stderr,
                    hidden=not (sys.stderr.isatty() and total > 1))))
            bars[0].update(done - bars[0].pos)

        result = print_day(config, plan, workers=workers, duplex=duplex, progress=progress)
    click.echo(f"Made {result.made} of {count_of(result.total, 'appointment')}"
               + (f" ({result.reused} already made by an earlier run)" if result.reused else "")
               + (f"; {result.failed} not made" + (f", see {result.report}" if result.report else "")
                  if result.failed else "")
               + (f". Print {result.print_all}." if result.print_all else "."))
    if result.problem:  # the files are made; what to print could not be written (a full disk)
        click.echo(f"Error: {result.problem}", err=True)
    sys.exit(Exit.SOME_FAILED if result.failed or result.problem else Exit.OK)

"""One patient's documents: info, consent, aftercare and the packet."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from patientdocs.cli import config_option, load_config, main
from patientdocs.termtext import count_of


def visit_options(func=None, *, patient_required: bool = True):
    """The options that describe one patient's visit, shared by every document command.
    ``patient_required=False``: for a command that can also work without a visit (email --signed),
    which then asks for --patient itself."""
    if func is None:
        return lambda func: visit_options(func, patient_required=patient_required)
    options = [
        click.option("--patient", "-p", required=patient_required, metavar="NAME",
                     help="The patient's full name, exactly as it should be printed."),
        click.option("--dob", metavar="YYYY-MM-DD", help="Date of birth, for example 1984-03-09."),
        click.option("--patient-id", metavar="ID", help="The clinic's patient number."),
        click.option("--therapist", "-t", metavar="NAME", help="The therapist's name."),
        click.option("--date", "-d", metavar="YYYY-MM-DD", help="Date of the visit. Default: today."),
        click.option("--lang", metavar="CODE", help="Language of the document, for example en. See 'list'."),
        click.option("--treatment", metavar="NAME", help="Treatment. Default: dry-needling. See 'list'."),
        click.option("--large-print/--no-large-print", default=None,
                     help="Large print: 16-18 pt text, 1.5 line spacing, wide tables as stacked rows. "
                          "Default: document.large_print in config.yaml."),
        click.option("--allow-expired", is_flag=True,
                     help="Print even if the content is past its review date (a warning is printed on it)."),
        click.option("-o", "--output", type=click.Path(path_type=Path), metavar="FILE",
                     help="Where to save the PDF. Default: a file in the out/ folder named after the patient."),
        config_option,
    ]
    for option in reversed(options):
        func = option(func)
    return func


def aftercare_options(func):
    """What happened in the session: printed on the aftercare sheet."""
    options = [
        click.option("--areas", "-a", multiple=True, metavar="TEXT",
                     help='An area treated, with its side, e.g. "neck (left)". Repeat for each area.'),
        click.option("--estim", is_flag=True, help="Electrical stimulation was used through the needles."),
        click.option("--next-visit", metavar="YYYY-MM-DD", help="Date of the next appointment."),
        click.option("--note", metavar="TEXT",
                     help="A short personal note from the therapist (one line, up to 1000 characters)."),
        click.option("--chest-region", metavar="yes|no",
                     help="Were needles used near the chest wall, upper back, neck or shoulder? yes: the sheet "
                          "says so and warns about a collapsed lung. no: no chest warning. Not given: the "
                          "warning is printed for 'if needles were used near ...'."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def consent_options(func):
    """The therapist's box on the consent form (this patient's risks); not given: blanks to write in."""
    options = [
        click.option("--condition", metavar="TEXT", help="The condition being treated (consent form)."),
        click.option("--estim-planned", metavar="yes|no",
                     help="Is electrical stimulation through the needles planned? Not given: left to tick, "
                          "and its risks are printed."),
        click.option("--risk-factors", metavar="TEXT",
                     help="Risk factors found on screening, and what was agreed (consent form)."),
        click.option("--risks-discussed", metavar="TEXT",
                     help="The risks discussed that matter most for this patient (consent form)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def planned_area_options(func):
    """The areas to be needled and the chest-region answer, for commands without aftercare_options."""
    options = [
        click.option("--areas", "-a", multiple=True, metavar="TEXT",
                     help='An area to be needled, with its side, e.g. "neck (left)". Repeat for each area.'),
        click.option("--chest-region", metavar="yes|no",
                     help="Is needling near the chest wall, upper back, neck or shoulder planned? "
                          "Not given: left to tick."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


duplex_option = click.option(
    "--duplex/--no-duplex", default=None,
    help="Printing double-sided: start each document on a front side. Default: from config.yaml.")


def visit_input(params: dict[str, Any]):
    """The visit as typed, for a use case (nothing is checked here)."""
    from patientdocs.usecases.documents import VisitInput

    return VisitInput(patient=params["patient"], dob=params.get("dob"), patient_id=params.get("patient_id"),
                      therapist=params.get("therapist"), date=params.get("date"), language=params.get("lang"),
                      treatment=params.get("treatment"), areas=tuple(params.get("areas") or ()),
                      estim=bool(params.get("estim")), next_visit=params.get("next_visit"), note=params.get("note"),
                      chest_region=params.get("chest_region"), large_print=params.get("large_print"),
                      condition=params.get("condition"), estim_planned=params.get("estim_planned"),
                      risk_factors=params.get("risk_factors"), risks_discussed=params.get("risks_discussed"))


def show_hints(hints: tuple[str, ...]) -> None:
    """Notes for the person at the screen, on stderr (the file is made all the same)."""
    for hint in hints:
        click.echo(f"Hint: {hint}", err=True)


def make_one(ctx: click.Context, kind: str, params: dict[str, Any], *, duplex: bool | None = None,
         fillable: bool = False) -> None:
    from patientdocs.usecases.documents import DocumentRequest, make_document

    config = load_config(ctx, params.get("config_path"))
    saved = make_document(config, DocumentRequest(kind=kind, visit=visit_input(params), output=params.get("output"),
                                                  duplex=duplex, fillable=fillable,
                                                  allow_expired=params.get("allow_expired", False)))
    click.echo(f"Saved {saved.path} ({count_of(saved.pages, 'page')})")
    show_hints(saved.hints)


@main.command(short_help="Make the information sheet.")
@visit_options
@click.pass_context
def info(ctx: click.Context, **params: Any) -> None:
    """Make the information sheet about the treatment for one patient.

    \b
    Example:
      python generate.py info --patient "Ana Lima" --dob 1990-05-02 --therapist "Sam Patel"
    """
    make_one(ctx, "info", params)


@main.command(short_help="Make the consent form (patient and clinic copies).")
@visit_options
@planned_area_options
@consent_options
@duplex_option
@click.option("--fillable", is_flag=True,
              help="Make one copy with boxes the patient can fill in on a computer, to email before a visit.")
@click.pass_context
def consent(ctx: click.Context, duplex: bool | None, fillable: bool, **params: Any) -> None:
    """Make the consent form: a patient copy and a clinic copy in one file.

    \b
    Example:
      python generate.py consent --patient "Ana Lima" --dob 1990-05-02 --patient-id P-1042 --therapist "Sam Patel"
    """
    make_one(ctx, "consent", params, duplex=duplex, fillable=fillable)


@main.command(short_help="Make the aftercare sheet for after a session.")
@visit_options
@aftercare_options
@click.pass_context
def aftercare(ctx: click.Context, **params: Any) -> None:
    """Make the aftercare sheet for after a session, with the warning signs to act on.

    \b
    Example:
      python generate.py aftercare --patient "Ana Lima" --therapist "Sam Patel" \\
          --areas "neck (left)" --areas "upper trapezius (both)" --chest-region yes --next-visit 2026-12-08
    Whether needles went near the chest is yours to say (--chest-region): the areas never decide.
    """
    make_one(ctx, "aftercare", params)


@main.command(short_help="Make the info sheet and consent form in one file to print.")
@visit_options
@planned_area_options
@consent_options
@duplex_option
@click.pass_context
def packet(ctx: click.Context, duplex: bool | None, **params: Any) -> None:
    """Make the front-desk packet: information sheet and consent form (both copies) in one file.

    \b
    Example:
      python generate.py packet --patient "Ana Lima" --dob 1990-05-02 --patient-id P-1042 --therapist "Sam Patel"
    """
    make_one(ctx, "packet", params, duplex=duplex)


@main.command("make", short_help="Make any kind of document that 'list' shows.")
@click.argument("kind", metavar="DOCUMENT")
@visit_options
@aftercare_options
@consent_options
@duplex_option
@click.option("--fillable", is_flag=True, help="A copy to fill in on a computer (the consent form).")
@click.pass_context
def make_command(ctx: click.Context, kind: str, duplex: bool | None, fillable: bool, **params: Any) -> None:
    """Make one DOCUMENT of any kind 'list' shows, also one the clinic added in config.yaml (kinds:).

    \b
    Example:
      python generate.py make exercise --patient "Ana Lima" --therapist "Sam Patel"
    """
    make_one(ctx, kind, params, duplex=duplex, fillable=fillable)

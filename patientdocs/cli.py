"""The command line: a thin layer that reads options, calls the pipeline and writes files.

Heavy modules are imported inside commands so that ``--help`` and ``list`` answer at once.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import sys
from pathlib import Path
from typing import Any

import click

from patientdocs.errors import PatientDocsError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DOC_HELP = {
    "info": "the information sheet about the treatment",
    "consent": "the consent form",
    "aftercare": "the aftercare sheet for after a session",
}


def _fail(message: str, code: int = 2) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(code)


def _stop_cleanly_on_terminate() -> None:
    """``kill`` (SIGTERM) stops like Ctrl-C: temporary files are removed and nothing half-written
    is left, instead of the process vanishing mid-write."""
    import signal

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    with contextlib.suppress(ValueError):  # not the main thread (tests driving the CLI in-process)
        signal.signal(signal.SIGTERM, stop)


class Group(click.Group):
    """Turns every user error into one clear message and an exit code; never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        _stop_cleanly_on_terminate()
        try:
            return super().invoke(ctx)
        except PatientDocsError as exc:
            for line in str(exc).splitlines():
                click.echo(f"Error: {line}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("Stopped. Files already finished are complete; nothing half-written was left.", err=True)
            sys.exit(130)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException, SystemExit):
            raise
        except BrokenPipeError:
            # The output was cut short on purpose (``history | head``): nothing to report.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(1)
        except OSError as exc:
            if os.environ.get("PATIENTDOCS_DEBUG"):
                raise
            # A full disk, a read-only or vanished folder: the user can fix these.
            place = f" ({exc.filename})" if exc.filename else ""
            _fail(f"could not read or write a file{place}: {exc.strerror or type(exc).__name__}. "
                  "Files already finished are complete; no half-written file was left.", 1)
        except Exception as exc:
            if os.environ.get("PATIENTDOCS_DEBUG"):
                raise
            if type(exc).__module__ == "sqlite3":
                _fail(f"the records database is busy or damaged ({exc}); try again in a minute. Files already "
                      "finished are complete; no half-written file was left.", 1)
            # The exception text may hold patient data, so only its type is shown.
            _fail(f"unexpected problem ({type(exc).__name__}). Files already finished are complete; "
                  "no half-written file was left. Run again with PATIENTDOCS_DEBUG=1 to see details, "
                  "and report it.", 70)


def _config_path(ctx: click.Context, given: Path | None) -> Path:
    if given is not None:
        return given
    parent = ctx.find_root().params.get("config")
    if parent is not None:
        return parent
    here = Path("config.yaml")
    return here if here.exists() else PROJECT_ROOT / "config.yaml"


def load_config(ctx: click.Context, given: Path | None = None):
    from patientdocs.load.config import load_config as load

    return load(_config_path(ctx, given))


config_option = click.option(
    "--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="The clinic's settings file. Default: config.yaml in this folder, else the one beside generate.py.")


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--config", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The clinic's settings file. Default: config.yaml in this folder, else the one beside generate.py.")
@click.version_option(package_name=None, version=__import__("patientdocs").__version__, prog_name="patientdocs")
def main(config: Path | None) -> None:
    """Print or email dry needling documents for a patient.

    \b
    Make one document:
      python generate.py info --patient "Ana Lima" --therapist "Sam Patel"
    See what treatments and languages there are:
      python generate.py list
    Check the clinic's settings and all the content:
      python generate.py validate

    Files go to the out/ folder unless you give -o. Run any command with --help for more.
    """


def visit_options(func):
    """The options that describe one patient's visit, shared by every document command."""
    options = [
        click.option("--patient", "-p", required=True, metavar="NAME",
                     help="The patient's full name, exactly as it should be printed."),
        click.option("--dob", metavar="YYYY-MM-DD", help="Date of birth, for example 1984-03-09."),
        click.option("--patient-id", metavar="ID", help="The clinic's patient number."),
        click.option("--therapist", "-t", metavar="NAME", help="The therapist's name."),
        click.option("--date", "-d", metavar="YYYY-MM-DD", help="Date of the visit. Default: today."),
        click.option("--lang", metavar="CODE", help="Language of the document, for example en. See 'list'."),
        click.option("--treatment", metavar="NAME", help="Treatment. Default: dry-needling. See 'list'."),
        click.option("--allow-expired", is_flag=True,
                     help="Print even if the content is past its review date (a warning is printed on it)."),
        click.option("-o", "--output", type=click.Path(path_type=Path), metavar="FILE",
                     help="Where to save the PDF. Default: a file in the out/ folder named after the patient."),
        config_option,
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _default_output(config, kinds: tuple[str, ...], visit, records, identity: str) -> Path:
    """``out/<date>_<name>[_<id>]_<documents>.pdf``, never the file of a different patient.

    Names are shortened and reduced to safe letters, and two patients can have the same name:
    a file made for someone else (another date of birth, see Records.identity), or not by this
    tool, is never replaced; -2, -3 ... is added."""
    from patientdocs.deliver.output import ensure_folder, inside, slug
    from patientdocs.records.store import file_sha256

    folder = ensure_folder(config.output_dir)
    parts = [visit.date.isoformat(), slug(visit.patient)]
    if visit.patient_id:
        parts.append(slug(visit.patient_id, fallback="id"))
    parts.append("packet" if set(kinds) >= {"info", "consent"} else "-".join(kinds))
    stem = "_".join(parts)
    for n in range(1, 1000):
        target = inside(folder, f"{stem}{f'-{n}' if n > 1 else ''}.pdf")
        if not target.exists() and not target.is_symlink():
            return target
        digest = file_sha256(target)
        if digest is not None and records.made_for(digest, identity, visit.patient, visit.patient_id):
            return target  # the same patient's document again: the new one replaces it
    raise PatientDocsError(f"too many files named {stem}-N.pdf in {folder}; move some away")


def _pipeline_and_visit(ctx: click.Context, params: dict[str, Any], extra_visit: dict[str, Any] | None = None):
    from patientdocs.load.visit import make_visit
    from patientdocs.render.pipeline import Pipeline

    config = load_config(ctx, params.get("config_path"))
    pipeline = Pipeline(config, allow_expired=params.get("allow_expired", False))
    visit = make_visit(patient=params["patient"], date=params.get("date"), dob=params.get("dob"),
                       patient_id=params.get("patient_id"), therapist=params.get("therapist")
                       or config.defaults.therapist, today=pipeline.today, **(extra_visit or {}))
    return config, pipeline, visit


def _render_and_save(config, pipeline, visit, sections: list[tuple[str, str]], params: dict[str, Any],
                     records, *, output: Path | None, channel: str = "printed", duplex: bool = False,
                     fillable: bool = False):
    """Render one PDF and save it with its records, as one unit of work. Returns (path, rendered)."""
    import hashlib

    from patientdocs.records.store import Record, save_with_record

    treatment = params.get("treatment") or config.defaults.treatment
    language = params.get("lang") or config.defaults.language
    rendered = pipeline.render(sections, visit, treatment=treatment, language=language, duplex=duplex,
                               fillable=fillable)
    identity = records.identity(name=visit.patient, patient_id=visit.patient_id, dob=visit.dob)
    target = output if output is not None else _default_output(config, rendered.kinds, visit, records, identity)
    digest = hashlib.sha256(rendered.pdf).hexdigest()
    new = [Record(patient_name=visit.patient, patient_id=visit.patient_id, kind=kind, treatment=treatment,
                  language=language, content_version=rendered.version, fingerprint=rendered.fingerprint,
                  sha256=digest, channel=channel, file_name=str(target),
                  visit_date=visit.date.isoformat(), patient_key=identity) for kind in rendered.kinds]
    save_with_record(records, target, rendered.pdf, new)
    return target, rendered


def make_document(ctx: click.Context, sections: list[tuple[str, str]], params: dict[str, Any], *,
                  duplex: bool | None = False, fillable: bool = False,
                  extra_visit: dict[str, Any] | None = None) -> None:
    """Render one PDF for one visit, then save it and its record together.

    ``duplex=None`` means the clinic's setting (``document.duplex``)."""
    from patientdocs.deliver.output import check_writable, remove_stale_parts
    from patientdocs.records.store import Records

    config, pipeline, visit = _pipeline_and_visit(ctx, params, extra_visit)
    output = params.get("output")
    if output is not None:
        check_writable(output)
    records = Records(config.records_path)  # a bad records file stops us before any work
    target, rendered = _render_and_save(config, pipeline, visit, sections, params, records, output=output,
                                        duplex=config.document.duplex if duplex is None else duplex,
                                        fillable=fillable)
    remove_stale_parts(target.parent)
    click.echo(f"Saved {target} ({rendered.pages} pages)")


duplex_option = click.option(
    "--duplex/--no-duplex", default=None,
    help="Printing double-sided: start each document on a front side. Default: from config.yaml.")


@main.command(short_help="Make the information sheet.")
@visit_options
@click.pass_context
def info(ctx: click.Context, **params: Any) -> None:
    """Make the information sheet about the treatment for one patient.

    \b
    Example:
      python generate.py info --patient "Ana Lima" --dob 1990-05-02 --therapist "Sam Patel"
    """
    make_document(ctx, [("info", "")], params)


@main.command(short_help="Make the consent form (patient and clinic copies).")
@visit_options
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
    if fillable:
        if duplex:
            raise PatientDocsError("--fillable makes a form to fill in on a computer; it is not printed, "
                                   "so it cannot be combined with --duplex")
        make_document(ctx, [("consent", "return")], params, fillable=True)
        return
    make_document(ctx, [("consent", "patient"), ("consent", "clinic")], params, duplex=duplex)


@main.command(short_help="Make the aftercare sheet for after a session.")
@visit_options
@click.option("--areas", "-a", multiple=True, metavar="TEXT",
              help='An area treated, with its side, e.g. "neck (left)". Repeat for each area.')
@click.option("--estim", is_flag=True, help="Electrical stimulation was used through the needles.")
@click.option("--next-visit", metavar="YYYY-MM-DD", help="Date of the next appointment.")
@click.option("--note", metavar="TEXT",
              help="A short personal note from the therapist (one line, up to 1000 characters).")
@click.pass_context
def aftercare(ctx: click.Context, areas: tuple[str, ...], estim: bool, next_visit: str | None, note: str | None,
              **params: Any) -> None:
    """Make the aftercare sheet for after a session, with the warning signs to act on.

    \b
    Example:
      python generate.py aftercare --patient "Ana Lima" --therapist "Sam Patel" \\
          --areas "neck (left)" --areas "upper trapezius (both)" --next-visit 2026-12-08
    """
    make_document(ctx, [("aftercare", "")], params,
                  extra_visit={"areas": areas, "estim": estim, "next_visit": next_visit, "note": note})


@main.command(short_help="Make the info sheet and consent form in one file to print.")
@visit_options
@duplex_option
@click.pass_context
def packet(ctx: click.Context, duplex: bool | None, **params: Any) -> None:
    """Make the front-desk packet: information sheet and consent form (both copies) in one file.

    \b
    Example:
      python generate.py packet --patient "Ana Lima" --dob 1990-05-02 --patient-id P-1042 --therapist "Sam Patel"
    """
    make_document(ctx, [("info", ""), ("consent", "patient"), ("consent", "clinic")], params, duplex=duplex)


@main.command("list")
@config_option
@click.pass_context
def list_command(ctx: click.Context, config_path: Path | None) -> None:
    """Show the treatments, languages and documents that can be made."""
    from patientdocs.load.content import available

    config = load_config(ctx, config_path)
    found = available(config.handouts_dir)
    documents = [k for k in DOC_HELP if (config.templates_dir / f"{k}.xml.j2").exists()]
    if not found:
        click.echo(f"No treatments found in {config.handouts_dir}")
        return
    from patientdocs.load.content import load_content

    def named(treatment: str, language: str) -> str:
        try:
            return f"{language} ({load_content(config.handouts_dir, treatment, language).data.language_name})"
        except PatientDocsError:
            return f"{language} (has a problem: run validate)"

    click.echo("Treatments and languages:")
    for treatment, languages in found.items():
        click.echo(f"  {treatment}: {', '.join(named(treatment, lang) for lang in languages)}")
    click.echo("Documents:")
    for kind in documents:
        click.echo(f"  {kind:<10} {DOC_HELP[kind]}")
    if {"info", "consent"} <= set(documents):
        click.echo(f"  {'packet':<10} the information sheet and the consent form together, for the front desk")


def _settings_warnings(config) -> list[str]:
    """Settings that work but put patients at risk: said by ``validate``, never refused."""
    from patientdocs.deliver.encrypt import DOB_GUESSES, is_dob_policy
    from patientdocs.errors import where
    from patientdocs.load.config import line_of

    policy = config.email.password_policy
    if not (config.email.encrypt and is_dob_policy(policy)):
        return []
    place = where(config.source, line_of(config.source, ("email", "password_policy")))
    return [f"{place}: email.password_policy: {policy} makes the attachment password the patient's date of "
            f"birth, which anyone who knows the patient knows, and which a computer finds in minutes by trying "
            f"all of about {DOB_GUESSES:,} possible dates; use password_policy: passphrase (a one-time "
            "passphrase per email, given to the patient by phone or on a slip)"]


@main.command(short_help="Check the settings, content and templates.")
@config_option
@click.option("--allow-expired", is_flag=True, help="Report content past its review date as a warning only.")
@click.pass_context
def validate(ctx: click.Context, config_path: Path | None, allow_expired: bool) -> None:
    """Check the clinic's settings, all content and every template with a sample patient."""
    from patientdocs.load.content import available
    from patientdocs.load.visit import make_visit
    from patientdocs.render.pdf.checks import accessibility_problems
    from patientdocs.render.pipeline import Pipeline

    config = load_config(ctx, config_path)
    click.echo(f"OK  settings: {config.source}")
    for warning in _settings_warnings(config):
        click.echo(f"WARNING {warning}")
    pipeline = Pipeline(config, allow_expired=allow_expired)
    sample = make_visit(patient="Sample Patient", date=pipeline.today, dob="1980-01-31", patient_id="SAMPLE-1",
                        therapist="Sample Therapist", areas=("neck (left)",), note="Sample note")
    problems = 0
    for treatment, languages in available(config.handouts_dir).items():
        for language in languages:
            try:
                loaded = pipeline.content(treatment, language)
                if loaded.expired(pipeline.today):
                    message = (f"content version {loaded.data.version} was due for review by "
                               f"{loaded.data.review_by.isoformat()}")
                    if not allow_expired:
                        raise PatientDocsError(message, source=loaded.path)
                    click.echo(f"WARNING {loaded.path}: {message}")
                kinds = [k for k in DOC_HELP if getattr(loaded.data, k) is not None
                         and (config.templates_dir / f"{k}.xml.j2").exists()]
                for kind in kinds:
                    rendered = pipeline.render([(kind, "")], sample, treatment=treatment, language=language)
                    each = " per copy" if kind == "consent" else ""  # the consent command prints two copies
                    found = accessibility_problems(rendered.pdf)
                    if found:
                        raise PatientDocsError(f"{treatment}/{language} {kind} is not accessible: {'; '.join(found)}",
                                               source=config.templates_dir / f"{kind}.xml.j2")
                    click.echo(f"OK  {treatment}/{language} {kind} ({rendered.pages} pages{each}; tagged: yes, "
                               "text all tagged, fonts embedded)")
            except PatientDocsError as exc:
                problems += 1
                for line in str(exc).splitlines():
                    click.echo(f"Error: {line}", err=True)
    if problems:
        raise SystemExit(2)
    click.echo("All checks passed.")


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

    from patientdocs.load.visit import parse_date
    from patientdocs.records.store import Records

    config = load_config(ctx, config_path)
    day = parse_date(on_date, "--date") if on_date is not None else None  # --date "" is an error, not "all"
    if not config.records_path.exists():
        rows = []
    else:
        rows = Records(config.records_path).find(patient_id=patient_id, on_date=day)
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        click.echo("No documents found.")
        return
    header = ("Made (UTC)", "Visit", "Patient ID", "Patient", "Document", "Lang", "Version", "Fingerprint", "How",
              "SHA-256")
    table = [header] + [(r["created_at"].replace("T", " ")[:16], r["visit_date"] or "-", r["patient_id"] or "-",
                         _clipped(r["patient_name"]),
                         r["kind"], r["language"], r["content_version"], r["fingerprint"],
                         r["channel"] + (f" to {r['recipient']}" if r["recipient"] else "") + _lock(r),
                         r["sha256"][:12])
                        for r in rows]
    from patientdocs import termtext

    widths = [max(termtext.width(str(row[i])) for row in table) for i in range(len(header))]
    for row in table:
        click.echo("  ".join(termtext.pad(str(cell), width) for cell, width in zip(row, widths, strict=True)).rstrip())
    click.echo(f"{len(rows)} document(s).")


@main.command(short_help="Check that a PDF was made here and is unchanged.")
@click.argument("pdf", type=click.Path(dir_okay=False, path_type=Path))
@config_option
@click.pass_context
def verify(ctx: click.Context, pdf: Path, config_path: Path | None) -> None:
    """Check that a PDF is one this clinic made, and that it has not been changed.

    \b
    Example:
      python generate.py verify ana-consent.pdf
    Exit code 0: made here and unchanged. 1: changed or not made here. 2: not a PDF file.
    """
    from patientdocs.records.verify import verify_file

    config = load_config(ctx, config_path)
    result = verify_file(pdf, config.records_path)
    click.echo(result.message)
    sys.exit(0 if result.ok else 1)


EMAIL_SECTIONS = {
    "info": [("info", "")],
    "consent": [("consent", "patient")],
    "aftercare": [("aftercare", "")],
}


@main.command("email", short_help="Email documents to a patient, locked with a one-time passphrase.")
@click.argument("document", type=click.Choice(sorted(EMAIL_SECTIONS)), metavar="DOCUMENT")
@click.option("--to", "recipient", required=True, metavar="ADDRESS", help="The patient's email address.")
@click.option("--also", multiple=True, type=click.Choice(sorted(EMAIL_SECTIONS)), metavar="DOCUMENT",
              help="Attach another document too (info, consent or aftercare). Repeat for more.")
@click.option("--dry-run", is_flag=True,
              help="Do not send: write the whole email as an .eml file in the outbox/ folder to check it.")
@click.option("--no-encrypt", is_flag=True,
              help="Attach the documents without a password. Only if the patient asked for this.")
@click.option("--slip", is_flag=True,
              help="Also make a one-page slip with the passphrase, to print and hand to the patient. It is "
                   "saved in the output folder, readable only by you; delete it once printed.")
@visit_options
@click.option("--areas", "-a", multiple=True, metavar="TEXT", help="Aftercare: an area treated. Repeatable.")
@click.option("--estim", is_flag=True, help="Aftercare: electrical stimulation was used.")
@click.option("--next-visit", metavar="YYYY-MM-DD", help="Aftercare: date of the next appointment.")
@click.option("--note", metavar="TEXT", help="Aftercare: a short note from the therapist.")
@click.pass_context
def email_command(ctx: click.Context, document: str, recipient: str, also: tuple[str, ...], dry_run: bool,
                  no_encrypt: bool, slip: bool, areas: tuple[str, ...], estim: bool, next_visit: str | None,
                  note: str | None, **params: Any) -> None:
    """Email documents to a patient (DOCUMENT is info, consent or aftercare).

    \b
    The attachments are locked with a new one-time passphrase (five short words), shown here
    once after sending: tell the patient by phone, or print the slip (--slip) and hand it over.
    It is never in the email, the records or any file but the slip. (config.yaml can choose a
    date-of-birth password instead: easy to guess, so not recommended.) Example:
      python generate.py email aftercare --to ana@example.org --patient "Ana Lima" \\
          --therapist "Sam Patel" --areas "neck (left)" --also consent --slip
    Exit code 0: sent. 1: not sent (the reason is shown; the PDFs stay in out/). 2: bad input.
    """
    import hashlib
    import sqlite3
    import ssl

    from patientdocs.deliver import encrypt, mailer
    from patientdocs.deliver.output import atomic_write, ensure_folder, inside, slug
    from patientdocs.errors import DeliveryError
    from patientdocs.records.store import Record, Records

    config, pipeline, visit = _pipeline_and_visit(
        ctx, params, {"areas": areas, "estim": estim, "next_visit": next_visit, "note": note})
    settings = config.email
    smtp = settings.smtp
    if smtp is None and not dry_run:
        raise PatientDocsError(f"{config.source}: email.smtp is not set; add the mail server settings first")
    if params.get("output") is not None:
        raise PatientDocsError("-o cannot be used with email; the PDFs are saved in the output folder")
    # Every setting and input is checked before any document is made or recorded.
    address = mailer.check_address(recipient)
    sender = smtp.from_ if smtp is not None else f"noreply@{slug(config.clinic.name)}.invalid"
    mailer.check_sender(sender)
    encrypted = settings.encrypt and not no_encrypt
    policy = settings.password_policy if encrypted else "none"
    if slip and policy != encrypt.PASSPHRASE:
        why = ("the documents are not locked" if not encrypted
               else f"email.password_policy is {policy}, which the email explains")
        raise PatientDocsError(f"--slip prints a one-time passphrase for the patient, but {why}; "
                               "leave out --slip")
    password = encrypt.attachment_password(visit.dob, settings.password_policy) if encrypted else None
    passphrase = password if policy == encrypt.PASSPHRASE else None
    login = mailer.smtp_password(smtp) if smtp is not None and not dry_run else None
    context = None
    if smtp is not None and smtp.ca_file and not dry_run:
        try:
            context = ssl.create_default_context(cafile=str(config.resolve(smtp.ca_file)))
        except (OSError, ssl.SSLError) as exc:
            raise PatientDocsError(f"email.smtp.ca_file: cannot use '{smtp.ca_file}' as a certificate "
                                   f"authority ({exc})") from None
    kinds = list(dict.fromkeys((document, *also)))
    subject = mailer.format_subject(settings.subject, config.clinic.name)
    body = mailer.compose_body(clinic_name=config.clinic.name, clinic_phone=config.clinic.phone,
                               encrypted=encrypted, password_rule=settings.password_rule,
                               signature=settings.signature, documents=len(kinds))
    records = Records(config.records_path)
    attachments, saved = [], []
    for number, kind in enumerate(kinds, start=1):
        path, rendered = _render_and_save(config, pipeline, visit, EMAIL_SECTIONS[kind], params, records,
                                          output=None, channel="saved")
        data = encrypt.encrypt_pdf(rendered.pdf, password) if password else rendered.pdf
        # A neutral name: mail programs show it, and it should not say what the document is about.
        attachments.append(mailer.Attachment(f"document-{number}.pdf", data))
        saved.append((kind, path, rendered, data))
    message = mailer.build_message(sender=sender, to=address, subject=subject, body=body, attachments=attachments)
    slip_pdf = None
    if slip and passphrase is not None:
        from patientdocs.deliver.slip import render_slip

        # Made before sending: a problem with it stops here, not after the email has gone.
        slip_pdf = render_slip(clinic_name=config.clinic.name, clinic_phone=config.clinic.phone,
                               brand_colour=config.clinic.brand_colour, paper=config.document.paper,
                               patient=visit.patient, recipient=address, passphrase=passphrase,
                               day=pipeline.today, documents=len(kinds))

    def hand_over(note: str = "") -> None:
        """The passphrase, once, for the sender to pass on; it is kept nowhere else but the slip."""
        if passphrase is None:
            return
        click.echo(f"Passphrase for the patient{note}: {passphrase}")
        click.echo("Tell the patient by phone or give it to them on paper. It is shown only this once; it is "
                   "not in the email and is not kept.")
        if slip_pdf is not None:
            from patientdocs.deliver.slip import write_slip

            try:
                made = write_slip(config.output_dir, pipeline.today, slip_pdf)
            except PatientDocsError as exc:
                # The email has gone (or is in the outbox): failing now would hide the passphrase above.
                click.echo(f"Warning: {exc}; write the passphrase above on paper instead", err=True)
                return
            click.echo(f"Slip to print for the patient: {made} (delete it once printed)")

    if dry_run:
        outbox = ensure_folder(config.outbox_dir)
        name = f"{visit.date.isoformat()}_{slug(visit.patient)}_{'-'.join(kinds)}.eml"
        target = inside(outbox, name)
        atomic_write(target, bytes(message))
        click.echo(f"Dry run: nothing was sent. The email is in {target}")
        hand_over(" (opens the attachments of this email)")
        return
    try:
        reply = mailer.send(message, smtp, password=login, ssl_context=context)
    except PatientDocsError as exc:
        kept = ", ".join(str(path) for _, path, _, _ in saved)
        maybe_sent = getattr(exc, "maybe_sent", False)
        if maybe_sent:
            # If it did arrive, the patient cannot open it without this.
            hand_over(" (if the email did arrive)")
        sent = "It was not recorded as sent" if maybe_sent else "Nothing was sent"
        raise type(exc)(f"{str(exc).rstrip('.')}. {sent}; the PDFs are saved: {kept}") from None
    try:
        with records.transaction() as conn:
            for kind, path, rendered, data in saved:
                records.insert(conn, Record(
                    patient_name=visit.patient, patient_id=visit.patient_id, kind=kind,
                    treatment=rendered.treatment, language=rendered.language, content_version=rendered.version,
                    fingerprint=rendered.fingerprint, sha256=hashlib.sha256(data).hexdigest(), channel="emailed",
                    file_name=str(path), recipient=address, server_response=reply,
                    visit_date=visit.date.isoformat(), encryption=policy))
    except (sqlite3.Error, PatientDocsError) as exc:
        hand_over()  # the email went: the patient needs it all the same
        # The server has the message: saying "failed" now would make staff send it twice.
        raise DeliveryError(f"the email WAS sent to {address}, but it could not be added to the records "
                            f"({getattr(exc, 'message', None) or exc}); do not send it again, and note it by "
                            "hand") from None
    how = {"none": " (not locked)", encrypt.PASSPHRASE: " (locked with a one-time passphrase)"}
    click.echo(f"Sent {len(attachments)} document(s) to {address}"
               + how.get(policy, " (locked with the password rule in config.yaml)"))
    hand_over()


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
    from patientdocs.batch import run as runner
    from patientdocs.batch.appointments import read_appointments
    from patientdocs.deliver.output import check_folder_writable, ensure_folder, remove_stale_parts
    from patientdocs.load.content import available
    from patientdocs.records.store import Records
    from patientdocs.render.pipeline import Pipeline

    config = load_config(ctx, config_path)
    treatment = treatment or config.defaults.treatment
    languages = available(config.handouts_dir).get(treatment)
    if not languages:
        raise PatientDocsError(f"unknown treatment '{treatment}' (available: "
                               f"{', '.join(available(config.handouts_dir)) or 'none'})")
    listing = read_appointments(appointments, columns=config.batch.columns, date_formats=config.batch.date_formats,
                                known_languages=languages, default_language=config.defaults.language)
    days = sorted({a.date for a in listing.rows})
    if len(days) > 1:
        # A day's list with other days in it is often the wrong export: say so, but make it.
        listing.warnings.append(f"{appointments}: the list holds appointments on {len(days)} different days "
                                f"({days[0].isoformat()} to {days[-1].isoformat()}); the cover sheet gives each "
                                "row's date")
    for warning in listing.warnings:
        click.echo(f"Warning: {warning}", err=True)
    pipeline = Pipeline(config, allow_expired=allow_expired, shared_fonts=True)
    pipeline.logo()  # a bad logo stops the run here, not once per row
    for language in sorted({a.language for a in listing.rows} | {config.defaults.language}):
        pipeline.check_current(pipeline.content(treatment, language))  # stop now, not once per row
    records = Records(config.records_path)  # a bad records file stops us before any work
    out_dir = ensure_folder(output or config.output_dir / runner.run_date(listing).isoformat())
    check_folder_writable(out_dir)
    remove_stale_parts(out_dir, older_than=0)  # a killed run's temporary files: never a finished one
    # An earlier run's print-all.pdf must never be printed by mistake for this one.
    runner.remove_previous_results(out_dir)
    try:
        jobs = runner.plan(listing, out_dir, treatment, records)
    finally:
        records.close()
    duplex = config.document.duplex if duplex is None else duplex
    settings = runner.RunSettings(config.source, allow_expired, duplex)
    count = workers or config.batch.workers or runner.default_workers()
    result = runner.BatchResult()
    show_bar = sys.stderr.isatty() and len(jobs) > 1
    try:
        with click.progressbar(length=len(jobs), label="Making documents", file=sys.stderr,
                               hidden=not show_bar) as bar:
            for outcome in runner.run_jobs(jobs, settings, count):
                result.outcomes.append(outcome)
                bar.update(1)
    except KeyboardInterrupt:
        remove_stale_parts(out_dir, older_than=0)
        click.echo(f"Stopped before all {runner.count_of(len(jobs), 'appointment')} were made. Every finished file is "
                   "complete. Run the same command again to make the rest.", err=True)
        sys.exit(130)
    try:
        _finish_batch(pipeline, listing, result, out_dir, appointments, treatment, duplex, config)
    except KeyboardInterrupt:
        remove_stale_parts(out_dir, older_than=0)
        click.echo("Stopped while joining print-all.pdf. Every appointment's file is complete. Run the same "
                   "command again to make print-all.pdf.", err=True)
        sys.exit(130)


def _lock(row: dict[str, Any]) -> str:
    """How an emailed attachment was locked, for the history table (older records do not say)."""
    policy = row.get("encryption")
    if not policy:
        return ""
    return " (not locked)" if policy == "none" else f" (locked: {policy})"


def _clipped(text: str, limit: int = 40) -> str:
    """A long name shortened for a table column (the --json output keeps it whole)."""
    from patientdocs import termtext

    return termtext.isolated(termtext.clipped(text, limit))


def _finish_batch(pipeline, listing, result, out_dir: Path, appointments: Path, treatment: str, duplex: bool,
                  config) -> None:
    """The cover sheet, print-all.pdf, report.txt and the summary line; then exit 0 or 1."""
    from patientdocs.batch import run as runner
    from patientdocs.deliver.output import atomic_write, remove_quietly, temp_name
    from patientdocs.deliver.printrun import join
    from patientdocs.render.pdf.fonts import printable

    made = runner.in_order(result.outcomes)
    loaded = pipeline.content(treatment, config.defaults.language)
    # A row refused for characters no font has must not print those characters on the cover.
    problems = [printable(text) for _, text in runner.not_made(listing, result)]
    cover = pipeline.cover_parts(runner.run_date(listing), runner.cover_rows(made), problems,
                                 treatment=treatment, language=config.defaults.language,
                                 last_date=runner.last_date(listing))
    # The report first: if print-all.pdf cannot be made, it still says what was.
    atomic_write(out_dir / runner.REPORT, runner.report_text(listing, result, appointments).encode("utf-8"))
    print_all = out_dir / runner.PRINT_ALL
    partial = temp_name(print_all, str(os.getpid()))
    try:
        parts = itertools.chain(((part, i == 0) for i, part in enumerate(cover)), (o.job.target for o in made))
        join(parts, partial, duplex=duplex,
             blank_text=loaded.data.labels.get("intentionally_blank", "This page is intentionally blank."),
             seed=pipeline.font_seed(loaded))
        os.replace(partial, print_all)
    except OSError as exc:
        raise PatientDocsError(f"cannot write {print_all} ({exc.strerror}); every appointment's file is complete "
                               f"and listed in {out_dir / runner.REPORT}; fix this and run the same command "
                               "again to make print-all.pdf") from None
    finally:
        with contextlib.suppress(OSError):
            remove_quietly(partial)
    reused = sum(o.reused for o in result.outcomes)
    failed = len(result.failed) + len(listing.problems)
    click.echo(f"Made {len(made)} of {runner.count_of(len(listing.rows) + len(listing.problems), 'appointment')}"
               + (f" ({reused} already made by an earlier run)" if reused else "")
               + (f"; {failed} not made, see {out_dir / runner.REPORT}" if failed else "")
               + f". Print {out_dir / runner.PRINT_ALL}.")
    sys.exit(1 if failed else 0)

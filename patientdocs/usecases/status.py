"""The state of the settings and content: every check ``validate`` makes, what ``list`` shows."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from patientdocs.errors import PatientDocsError
from patientdocs.frozen import frozen
from patientdocs.termtext import count_of

if TYPE_CHECKING:
    from pathlib import Path

    from patientdocs.kinds import Kind
    from patientdocs.load.config import Config

__all__ = ["CheckLine", "ContentStatus", "available_documents", "content_status", "validate_all"]


@frozen
class CheckLine:
    ok: bool
    level: str  # "OK", "WARNING", "PENDING" (a number still typed into a section) or "ERROR"
    text: str


@frozen
class ContentStatus:
    treatment: str
    language: str
    version: str | None  # None: the file has a problem (see ``problem``)
    reviewed: dt.date | None
    review_by: dt.date | None
    days_left: int | None  # until review_by; negative when past it
    language_name: str | None = None
    problem: str | None = None


def settings_warnings(config: Config) -> list[str]:
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


def pending_numbers(path: Path) -> list[PatientDocsError]:
    """Numbers still typed into the sections other work converts to placeholders
    (load.typednumbers.PENDING): one warning each, with its file and line, so they are easy to find."""
    from patientdocs.load import textfile, yamlsource
    from patientdocs.load.content import typed_number_problems

    doc = yamlsource.parse(textfile.read(path)[1], path)
    return typed_number_problems(doc.data, doc, pending=True) if isinstance(doc.data, dict) else []


def run_problems(config: Config) -> list[str]:
    """What a run needs besides valid settings and content: the folders, the defaults' content and
    a usable records database; each problem at its setting's line."""
    from patientdocs.errors import where
    from patientdocs.kinds import for_config
    from patientdocs.load.config import line_of
    from patientdocs.load.content import available
    from patientdocs.records.store import usable_problem

    def at(*loc: str) -> str:
        return where(config.source, line_of(config.source, loc))

    found = []
    templates = config.templates_dir
    if not templates.is_dir():
        found.append(f"{at('paths', 'templates')}: paths.templates: folder '{templates}' not found")
    elif not any((templates / kind.template).is_file() for kind in for_config(config).all()):
        names = ", ".join(kind.template for kind in for_config(config).all())
        found.append(f"{at('paths', 'templates')}: paths.templates: no templates in '{templates}' "
                     f"(expected {names})")
    handouts = config.handouts_dir
    treatments = available(handouts)
    if not handouts.is_dir():
        found.append(f"{at('paths', 'handouts')}: paths.handouts: folder '{handouts}' not found")
    elif not treatments:
        found.append(f"{at('paths', 'handouts')}: paths.handouts: no content in '{handouts}' "
                     "(expected <treatment>/<language>.yaml files)")
    else:
        treatment, language = config.defaults.treatment, config.defaults.language
        if treatment not in treatments:
            found.append(f"{at('defaults', 'treatment')}: defaults.treatment: '{treatment}' has no content in "
                         f"'{handouts}' (found: {', '.join(treatments)})")
        elif language not in treatments[treatment]:
            found.append(f"{at('defaults', 'language')}: defaults.language: '{language}' has no content for "
                         f"{treatment} (found: {', '.join(treatments[treatment])})")
    # A server (records.url) is reached when a command runs; the file is checked here.
    problem = None if config.records.url else usable_problem(config.records_path)
    if problem:
        found.append(f"{at('paths', 'records')}: paths.records: {problem}")
    return found


def validate_all(config: Config, *, allow_expired: bool = False) -> list[CheckLine]:
    """Check the settings, all content and every template with a sample patient; one line per check."""
    from patientdocs.load import translation
    from patientdocs.load.content import available
    from patientdocs.load.visit import make_visit
    from patientdocs.render.pdf.checks import accessibility_problems
    from patientdocs.render.pipeline import Pipeline

    lines = [CheckLine(True, "OK", f"settings: {config.source}")]
    lines += [CheckLine(True, "WARNING", warning) for warning in settings_warnings(config)]
    lines += [CheckLine(False, "ERROR", problem) for problem in run_problems(config)]
    pipeline = Pipeline(config, allow_expired=allow_expired)
    if config.seal is not None:
        lines.append(_seal_line(config, pipeline.today))
    sample = make_visit(patient="Sample Patient", date=pipeline.today, dob="1980-01-31", patient_id="SAMPLE-1",
                        therapist="Sample Therapist", areas=("neck (left)",), note="Sample note")
    for treatment, languages in available(config.handouts_dir).items():
        # Each translation against its English: nothing missing (an error), not out of date.
        # Only against an English that loads itself: its own problems are reported below.
        try:
            english_ok = "en" in languages and pipeline.content(treatment, "en") is not None
        except PatientDocsError:
            english_ok = False
        missing, stale = translation.check_treatment(config.handouts_dir / treatment, languages) \
            if english_ok else ([], [])
        lines += [CheckLine(False, "ERROR", str(problem)) for problem in missing]
        lines += [CheckLine(True, "WARNING", warning) for warning in stale]
        for language in languages:
            try:
                loaded = pipeline.content(treatment, language)
                if loaded.expired(pipeline.today):
                    message = (f"content version {loaded.data.version} was due for review by "
                               f"{loaded.data.review_by.isoformat()}")
                    if not allow_expired:
                        raise PatientDocsError(message, source=loaded.path)
                    lines.append(CheckLine(True, "WARNING", f"{loaded.path}: {message}"))
                # Not a warning about the clinic's setup: work still to do on the content itself.
                lines += [CheckLine(True, "PENDING", str(problem)) for problem in pending_numbers(loaded.path)]
                made: list[str] = []
                for kind in pipeline.kinds.all():
                    if loaded.data.section(kind.content_section) is None \
                            or not (config.templates_dir / kind.template).exists():
                        continue
                    rendered = pipeline.render([(kind.name, "")], sample, treatment=treatment, language=language)
                    each = " per copy" if len(kind.copies) > 1 else ""  # the command prints every copy
                    found = accessibility_problems(rendered.pdf)
                    if found:
                        raise PatientDocsError(f"{treatment}/{language} {kind.name} is not accessible: "
                                               f"{'; '.join(found)}", source=config.templates_dir / kind.template)
                    lines.append(CheckLine(True, "OK", f"{treatment}/{language} {kind.name} "
                                                       f"({count_of(rendered.pages, 'page')}{each}; tagged: yes, "
                                                       "text all tagged, fonts embedded)"))
                    lines.append(_large_print_check(pipeline, config, kind, sample, treatment, language))
                    made.append(kind.name)
                if made:
                    # A day's print run ends with this sheet: a label only it uses must not be missing.
                    _, pages = pipeline.render_cover(pipeline.today, [_sample_row(sample, made)], ["Sample problem"],
                                                     treatment=treatment, language=language)
                    lines.append(CheckLine(True, "OK", f"{treatment}/{language} cover sheet of a print run "
                                                       f"({count_of(pages, 'page')})"))
            except PatientDocsError as exc:
                lines.append(CheckLine(False, "ERROR", str(exc)))
    # A problem of a shared file (facts.yaml) is found by every language: said once.
    once: dict[tuple[str, str], CheckLine] = {}
    for line in lines:
        once.setdefault((line.level, line.text), line)
    return list(once.values())


def _large_print_check(pipeline, config: Config, kind: Kind, sample, treatment: str, language: str) -> CheckLine:
    """The same document in large print: it must lay out (stacked tables, the red-flag box) and be tagged."""
    from patientdocs.render.pdf.checks import accessibility_problems

    rendered = pipeline.render([(kind.name, "")], sample, treatment=treatment, language=language, large_print=True)
    found = accessibility_problems(rendered.pdf)
    if found:
        raise PatientDocsError(f"{treatment}/{language} {kind.name} in large print is not accessible: "
                               f"{'; '.join(found)}", source=config.templates_dir / kind.template)
    each = " per copy" if len(kind.copies) > 1 else ""
    return CheckLine(True, "OK", f"{treatment}/{language} {kind.name} in large print "
                                 f"({count_of(rendered.pages, 'page')}{each}; tagged: yes)")


def _seal_line(config: Config, today: dt.date) -> CheckLine:
    """The seal's key and certificate load, match and are in date (and whether it is a demo)."""
    from patientdocs.deliver.seal import load_sealer

    try:
        sealer = load_sealer(config, today)
    except PatientDocsError as exc:
        return CheckLine(False, "ERROR", str(exc))
    left = (sealer.valid_until - today).days
    if sealer.demo:
        return CheckLine(True, "WARNING", f"seal: {sealer.name} is a demo certificate (valid until "
                                          f"{sealer.valid_until}): readers show its seal as not trusted; install the "
                                          "clinic's document-signing certificate for real documents")
    if left < 30:
        return CheckLine(True, "WARNING", f"seal: the certificate of {sealer.name} expires on {sealer.valid_until}, "
                                          f"in {count_of(left, 'day')}; install its successor before then")
    return CheckLine(True, "OK", f"seal: {sealer.name}, valid until {sealer.valid_until}")


def _sample_row(sample, documents: list[str]) -> dict[str, object]:
    return {"date": sample.date, "time": "08:30", "patient": sample.patient, "patient_id": sample.patient_id,
            "therapist": sample.therapist, "documents": documents,
            "consent_again": "Sample reason" if "consent" in documents else ""}


def content_status(config: Config) -> list[ContentStatus]:
    """Every treatment and language found, with its version and how long until it is due for review."""
    from patientdocs.kinds import for_config
    from patientdocs.load.content import available, load_content
    from patientdocs.load.visit import today

    day = today()
    sections = for_config(config).content_sections()
    found = []
    for treatment, languages in available(config.handouts_dir).items():
        for language in languages:
            try:
                data = load_content(config.handouts_dir, treatment, language, sections,
                                    locale=config.clinic.locale).data
            except PatientDocsError as exc:
                found.append(ContentStatus(treatment, language, None, None, None, None, problem=str(exc)))
                continue
            found.append(ContentStatus(treatment, language, data.version, data.reviewed, data.review_by,
                                       (data.review_by - day).days, data.language_name))
    return found


def available_documents(config: Config) -> list[Kind]:
    """The kinds of document whose template is there, in the registry's order."""
    from patientdocs.kinds import for_config

    return [kind for kind in for_config(config).all() if (config.templates_dir / kind.template).exists()]

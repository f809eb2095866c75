"""The clinic's settings (``config.yaml``): load, validate, resolve paths."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import field
from pathlib import Path
from typing import Literal

from patientdocs.errors import PatientDocsError
from patientdocs.load import loadcache, textfile
from patientdocs.load.schema import record, spec

DEFAULT_CONFIG = "config.yaml"

_MONTH_FIRST = {"en-US"}  # locales that write the month before the day

BATCH_FIELDS = ("date", "time", "patient_name", "dob", "patient_id", "therapist", "language", "email",
                "documents", "chest_region", "large_print", "condition", "estim_planned", "risk_factors",
                "risks_discussed")


@record
class Clinic:
    # Printed on one line each, in the page header and the warnings.
    name: str = spec(min_length=1, one_line=True)
    address: list[str] = spec(min_length=1, one_line=True)
    phone: str = spec(min_length=1, one_line=True)
    emergency_number: str = spec(min_length=1, one_line=True)
    email: str | None = spec(default=None, one_line=True)
    website: str | None = spec(default=None, one_line=True)
    out_of_hours: str = ""
    logo: Path | None = None
    # Checked with the other keys, so every problem in the file is reported in one go.
    brand_colour: str = spec(default="#1f5f8b", pattern=r"#[0-9a-fA-F]{6}", like="a colour like #1f5f8b")
    training_statement: str = ""
    # The clinic's own sentences in another content language, by language code: a document in
    # that language prints these instead (``es: {training_statement: ..., out_of_hours: ...}``),
    # and an email in it ends with ``email_signature`` instead of ``email.signature``.
    translations: dict[str, dict[Literal["training_statement", "out_of_hours", "email_signature"], str]] = \
        field(default_factory=dict)
    # Which country's words (en-GB, en-US): a treatment's overlay of that name (handouts/<treatment>/
    # en-US.yaml) is merged over its language file. None: the language file as it is.
    locale: str | None = spec(default=None, pattern=r"[a-z]{2,3}-[A-Z]{2}", like="a locale like en-GB or en-US")

    def problems(self) -> list[str]:
        # Headings and the clinic's name are printed in this colour on white paper.
        if not re.fullmatch(r"#[0-9a-fA-F]{6}", self.brand_colour):
            return []  # said by the pattern
        ratio = _contrast_on_white(self.brand_colour)
        if ratio < MIN_CONTRAST:
            return [f"brand_colour: '{self.brand_colour}' is too light to read on white paper (contrast "
                    f"{ratio:.2f}:1, at least {MIN_CONTRAST}:1 is needed); choose a darker colour, like #1f5f8b"]
        return []


MIN_CONTRAST = 4.5  # WCAG 2 AA for text


def _contrast_on_white(colour: str) -> float:
    """WCAG 2 contrast ratio of ``#rrggbb`` against white."""
    def channel(hex2: str) -> float:
        c = int(hex2, 16) / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(colour[i:i + 2]) for i in (1, 3, 5))
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return 1.05 / (luminance + 0.05)


@record
class DocumentSettings:
    paper: Literal["A4", "Letter"] = "A4"
    font_size: float = spec(default=12.0, ge=12, le=18)
    duplex: bool = True
    # The order of a date the patient writes by hand (the guide printed on date lines). None: from
    # clinic.locale (month first for en-US, day first otherwise).
    date_order: Literal["DMY", "MDY", "YMD"] | None = None
    # Every document in large print, unless --large-print/--no-large-print or a large_print column
    # says otherwise: body text at large_print_size (or font_size, if larger), 1.5 line spacing,
    # wide tables reflowed into stacked rows.
    large_print: bool = False
    large_print_size: float = spec(default=16.0, ge=16, le=18)

    def large(self, wanted: bool | None) -> bool:
        """Whether a document is in large print: what was asked for, else the clinic's setting."""
        return self.large_print if wanted is None else wanted


@record
class Defaults:
    treatment: str = "dry-needling"
    language: str = "en"
    therapist: str | None = None


@record
class Paths:
    handouts: Path = Path("handouts")
    templates: Path = Path("templates")
    output: Path = Path("out")
    records: Path = Path("records.db")
    outbox: Path = Path("outbox")

    def problems(self) -> list[str]:
        if str(self.records).startswith(("postgresql:", "postgres:")):
            return ["records: a PostgreSQL server goes in records.url (and its password in the environment variable "
                    "named by records.password_env); paths.records is the SQLite file"]
        return []


@record
class RecordsSettings:
    """Where the records are kept when not in the SQLite file of ``paths.records``: a PostgreSQL
    server shared by a group of clinics, ``postgresql://USER@HOST[:PORT]/DATABASE``."""

    url: str | None = None
    # The password itself never lives in this file: only the name of the variable holding it.
    password_env: str | None = None

    def problems(self) -> list[str]:
        from patientdocs.records.address import problems

        return problems(self.url, self.password_env)


@record
class Smtp:
    host: str = spec(min_length=1)
    from_: str = spec(alias="from", min_length=3)
    port: int = spec(default=587, ge=1, le=65535)
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str | None = None
    # The password itself never lives in this file: only the name of the variable holding it.
    password_env: str | None = None
    timeout: float = spec(default=20.0, gt=0, le=300)
    retries: int = spec(default=2, ge=0, le=10)
    # A certificate authority to trust besides the system's (a clinic's own mail server).
    ca_file: Path | None = None

    def problems(self) -> list[str]:
        found = []
        if any(c.isspace() for c in self.host):
            found.append(f"host: {self.host!r} has spaces or line breaks in it; give the server's name only")
        if self.security == "none" and self.username:
            # AUTH over a plain connection hands the clinic's mail password to anyone on the network.
            found.append("security: none would send the mail password unencrypted; use starttls or tls")
        return found


@record
class Email:
    smtp: Smtp | None = None
    encrypt: bool = True
    # How the attachment password is made: a one-time passphrase given to the patient apart from
    # the email, or (only if the clinic chooses it) a guessable rule on the date of birth.
    password_policy: Literal["passphrase", "dob_ddmmyyyy", "dob_yyyymmdd"] = "passphrase"
    # Date-of-birth rules only: how the email explains the rule. Default: a text for the rule chosen.
    policy_text: str | None = None
    subject: str = "Your documents from {clinic}"
    signature: str = ""

    def problems(self) -> list[str]:
        if self.policy_text is None:
            return []
        if self.password_policy == "passphrase":
            # A leftover date-of-birth explanation would tell patients the wrong password.
            return ["policy_text: explains a date-of-birth password, but password_policy is passphrase (the "
                    "email then says the password comes separately); remove policy_text"]
        if not self.policy_text.strip():
            return ["policy_text: must not be empty: patients would not know the password of the document"]
        return []

    @property
    def password_rule(self) -> str | None:
        """What the email says the password is (a date-of-birth rule); None: it is given separately."""
        from patientdocs.deliver.encrypt import DOB_RULE_TEXT

        if self.password_policy not in DOB_RULE_TEXT:
            return None
        return self.policy_text if self.policy_text is not None else DOB_RULE_TEXT[self.password_policy]


@record
class Batch:
    # Column names in the scheduling system's export, by the field they hold.
    columns: dict[str, str] = field(default_factory=dict)
    # Extra date formats of the export, besides ISO (YYYY-MM-DD). Never guessed.
    date_formats: list[str] = field(default_factory=list)
    workers: int | None = spec(default=None, ge=1, le=64)

    def problems(self) -> list[str]:
        found = []
        try:
            batch_columns(self.columns)
        except PatientDocsError as exc:
            found.append(exc.message.removeprefix("batch."))
        found += [f"date_formats: '{fmt}' is not a date format with day, month and year (for example "
                  "%d/%m/%Y for 01/12/2026)" for fmt in self.date_formats if not _reads_back(fmt)]
        return found


def _reads_back(fmt: str) -> bool:
    """A date format that writes a date and reads the same date back (so it has day, month and year)."""
    import datetime as dt  # only for a clinic that sets formats: strptime costs ~2 ms to load

    probe = dt.date(2026, 12, 31)
    try:
        return dt.datetime.strptime(probe.strftime(fmt), fmt).date() == probe
    except ValueError:
        return False


def column_key(name: str) -> str:
    """How column names are compared: ``Patient Name``, ``patient-name`` and ``patient_name`` are one."""
    return re.sub(r"[\s_-]+", "", name.replace("\ufeff", "")).casefold()


def batch_columns(columns: Mapping[str, str], fields: Sequence[str] = BATCH_FIELDS) -> dict[str, str]:
    """Each field's column name in the export (its own name when not set), or the problem with
    ``batch.columns``: checked here only, when the settings are loaded and when a list is read."""
    unknown = sorted(set(columns) - set(fields))
    if unknown:
        raise PatientDocsError(f"batch.columns: unknown field(s) {', '.join(unknown)} (known: {', '.join(fields)})")
    wanted = {f: (columns.get(f) or "").strip() or f for f in fields}
    by_column: dict[str, list[str]] = {}
    for fld, name in wanted.items():
        by_column.setdefault(column_key(name), []).append(fld)
    shared = [found for found in by_column.values() if len(found) > 1]
    if shared:
        found = shared[0]
        raise PatientDocsError(f"batch.columns: {' and '.join(found)} are {'both' if len(found) == 2 else 'all'} "
                               f"read from the column '{wanted[found[0]]}'; each needs its own column")
    return wanted


@record
class SealSettings:
    """The clinic's seal (``seal:``): its certificate and key, and which documents get it."""

    certificate: Path
    key: Path
    # The key's password never lives in this file: only the name of the variable holding it.
    key_password_env: str | None = None
    # emailed: every emailed attachment; signed: consent signed on a tablet; printed: documents
    # printed one by one.
    documents: list[Literal["emailed", "signed", "printed"]] = field(default_factory=lambda: ["emailed", "signed"])
    # Earlier certificates of the clinic whose seals still count as the clinic's own.
    trusted: list[Path] = field(default_factory=list)

    def seals(self, channel: str) -> bool:
        return channel in self.documents


@record
class SigningSettings:
    """Consent signed on a tablet (``signing:``)."""

    # After this long a signed consent is old: the print run lists the patient to consent again.
    consent_again_after_months: int = spec(default=12, ge=1, le=120)


@record
class KindSettings:
    """A kind of document of the clinic's own (``kinds:``): see patientdocs.kinds."""

    label: str = spec(min_length=1)  # what ``list`` says it is
    template: str | None = None  # in the templates folder; default <name>.xml.j2
    content_section: str | None = None  # its section in the content file; default <name>
    copies: list[str] = field(default_factory=list)  # e.g. [patient, clinic]; none: one copy, unlabelled
    in_packet: bool = False
    cites_risks: bool = False  # the template prints the risk tables, so their sources are cited

    def problems(self) -> list[str]:
        found = []
        if self.template is not None and not (self.template.endswith(".xml.j2")
                                              and _NAME.fullmatch(self.template.removesuffix(".xml.j2"))):
            found.append(f"template: '{self.template}' must be a file name in the templates folder, like "
                         "exercise.xml.j2")
        if self.content_section is not None and not _NAME.fullmatch(self.content_section):
            found.append(f"content_section: '{self.content_section}' must be a plain name (letters, digits, - and _)")
        return found


_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,39}")


@record
class Config:
    clinic: Clinic
    document: DocumentSettings = field(default_factory=DocumentSettings)
    defaults: Defaults = field(default_factory=Defaults)
    paths: Paths = field(default_factory=Paths)
    email: Email = field(default_factory=Email)
    batch: Batch = field(default_factory=Batch)
    records: RecordsSettings = field(default_factory=RecordsSettings)
    # Kinds of document of the clinic's own, by name, besides info, consent and aftercare.
    kinds: dict[str, KindSettings] = field(default_factory=dict)
    seal: SealSettings | None = None
    signing: SigningSettings = field(default_factory=SigningSettings)
    # Where the file was read from; relative paths in it are relative to its folder.
    source: Path = field(default=Path(DEFAULT_CONFIG), init=False)

    @property
    def base(self) -> Path:
        return self.source.parent

    def resolve(self, path: Path) -> Path:
        return path if path.is_absolute() else self.base / path

    @property
    def handouts_dir(self) -> Path:
        return self.resolve(self.paths.handouts)

    @property
    def templates_dir(self) -> Path:
        return self.resolve(self.paths.templates)

    @property
    def output_dir(self) -> Path:
        return self.resolve(self.paths.output)

    @property
    def records_path(self) -> Path:
        return self.resolve(self.paths.records)

    @property
    def outbox_dir(self) -> Path:
        return self.resolve(self.paths.outbox)

    @property
    def logo_path(self) -> Path | None:
        return self.resolve(self.clinic.logo) if self.clinic.logo else None

    @property
    def date_order(self) -> str:
        """DMY, MDY or YMD: the document setting, else the locale's usual order."""
        if self.document.date_order is not None:
            return self.document.date_order
        return "MDY" if self.clinic.locale in _MONTH_FIRST else "DMY"

    def email_signature(self, language: str) -> str:
        """``email.signature`` in ``language``: the clinic's own translation, else as written (like
        the clinic's other words, a language without one gets the English)."""
        return self.clinic.translations.get(language, {}).get("email_signature") or self.email.signature

    def clinic_dict(self) -> dict[str, object]:
        return dataclasses.asdict(self.clinic)

    def problems(self) -> list[str]:
        from patientdocs.kinds import KINDS, PACKET

        taken = {*KINDS.names(), PACKET}
        for name in self.kinds:
            if not _NAME.fullmatch(name) or name.casefold() in taken:
                reason = "is a built-in kind" if name.casefold() in taken else \
                    "must be a plain name (letters, digits, - and _)"
                return [f"kinds: '{name}' {reason}; choose another name"]
        return []


def _validate(text: str, path: Path) -> Config:
    from patientdocs.load import (
        validation,  # only when the file is new or changed: see loadcache
        yamlsource,  # only when the file is new or changed: see loadcache
    )

    doc = yamlsource.parse(text, path)
    if doc.data is not None and not isinstance(doc.data, dict):
        raise doc.error("the settings must be a list of 'key: value' lines")
    return validation.validate(Config, doc)


def _line_of(path: Path, text: str, loc: tuple[str, ...]) -> int | None:
    from patientdocs.load import yamlsource

    return yamlsource.parse(text, path).line_of(loc)


def line_of(path: Path, loc: tuple[str, ...]) -> int | None:
    """The line of a setting in the settings file, for a problem found after loading (a bad logo)."""
    try:
        return _line_of(path, textfile.read(path)[1], loc)
    except PatientDocsError:
        return None


def load_config(path: Path) -> Config:
    """Load and validate ``config.yaml``; every problem is reported at once with its line."""
    raw, text = textfile.read(path)
    config = loadcache.remember("config", path, raw, Config, lambda: _validate(text, path))
    object.__setattr__(config, "source", path)
    # Files named in the settings are checked on every run: they can go missing at any time.
    logo = config.logo_path
    if logo is not None and not logo.is_file():
        loc: tuple[str, ...] = ("clinic", "logo")
        what = "is a folder, not a file" if logo.is_dir() else "is not a file" if logo.exists() else "not found"
        raise PatientDocsError(f"clinic.logo: file '{logo}' {what}", source=path, line=_line_of(path, text, loc))
    smtp = config.email.smtp
    if smtp is not None and smtp.ca_file is not None and not config.resolve(smtp.ca_file).is_file():
        loc = ("email", "smtp", "ca_file")
        raise PatientDocsError(f"email.smtp.ca_file: file '{config.resolve(smtp.ca_file)}' not found",
                               source=path, line=_line_of(path, text, loc))
    return config

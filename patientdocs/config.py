"""The clinic's settings (``config.yaml``): load, validate, resolve paths."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from . import validation, yamlsource

DEFAULT_CONFIG = "config.yaml"


class _Strict(BaseModel):
    # Phone numbers and postcodes are often typed unquoted; reading them as text is what a
    # clinic means. Any other wrong type or unknown key is an error.
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True, frozen=True)


class Clinic(_Strict):
    name: str = Field(min_length=1)
    address: list[str] = Field(min_length=1)
    phone: str = Field(min_length=1)
    email: str | None = None
    website: str | None = None
    emergency_number: str = Field(min_length=1)
    out_of_hours: str = ""
    logo: Path | None = None
    brand_colour: str = "#1f5f8b"
    training_statement: str = ""

    @field_validator("brand_colour")
    @classmethod
    def _hex_colour(cls, value: str) -> str:
        if not re.fullmatch(r"#[0-9a-fA-F]{6}", value):
            raise ValueError(f"'{value}' is not a colour like #1f5f8b")
        return value


class DocumentSettings(_Strict):
    paper: Literal["A4", "Letter"] = "A4"
    font_size: float = Field(default=12, ge=12, le=18)
    duplex: bool = True


class Defaults(_Strict):
    treatment: str = "dry-needling"
    language: str = "en"
    therapist: str | None = None


class Paths(_Strict):
    handouts: Path = Path("handouts")
    templates: Path = Path("templates")
    output: Path = Path("out")
    records: Path = Path("records.db")
    outbox: Path = Path("outbox")


class Smtp(_Strict):
    host: str = Field(min_length=1)
    port: int = Field(default=587, ge=1, le=65535)
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str | None = None
    # The password itself never lives in this file: only the name of the variable holding it.
    password_env: str | None = None
    from_: str = Field(alias="from", min_length=3)
    timeout: float = Field(default=20, gt=0, le=300)
    retries: int = Field(default=2, ge=0, le=10)


class Email(_Strict):
    smtp: Smtp | None = None
    encrypt: bool = True
    # How the attachment password is made; patients are told the rule, never the password.
    password_policy: Literal["dob_ddmmyyyy", "dob_yyyymmdd"] = "dob_ddmmyyyy"
    policy_text: str = "your date of birth as 8 digits: day, month, year (for example 09031984)"
    subject: str = "Your documents from {clinic}"
    signature: str = ""


class Batch(_Strict):
    # Column names in the scheduling system's export -> the fields we need.
    columns: dict[Literal["date", "time", "patient_name", "dob", "patient_id", "therapist", "language",
                          "email", "documents"], str] = {}
    # Extra date formats of the export, besides ISO (YYYY-MM-DD). Never guessed.
    date_formats: list[str] = []
    workers: int | None = Field(default=None, ge=1, le=64)


class Config(_Strict):
    clinic: Clinic
    document: DocumentSettings = DocumentSettings()
    defaults: Defaults = Defaults()
    paths: Paths = Paths()
    email: Email = Email()
    batch: Batch = Batch()
    # Where the file was read from; relative paths in it are relative to its folder.
    source: Path = Path(DEFAULT_CONFIG)

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


def load_config(path: Path) -> Config:
    """Load and validate ``config.yaml``; every problem is reported at once with its line."""
    doc = yamlsource.load(path)
    if doc.data is not None and not isinstance(doc.data, dict):
        raise doc.error("the settings must be a list of 'key: value' lines")
    data = dict(doc.data or {})
    if "source" in data:
        raise doc.error("unknown key 'source' (check the spelling)", ("source",))
    config = validation.validate(Config, yamlsource.Document({**data, "source": path}, doc.path, doc.lines))
    logo = config.logo_path
    if logo is not None and not logo.is_file():
        raise doc.error(f"clinic.logo: file '{logo}' not found", ("clinic", "logo"))
    return config

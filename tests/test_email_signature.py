"""The clinic's email signature in the patient's language: ``email.signature`` in English, and per
language under ``clinic.translations.<code>.email_signature``, like the clinic's other words (an
email in a language without one ends with the English)."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

import yaml
from helpers_docs import run, write_config
from support import assert_failed_cleanly, line_of, replace_line

PATIENT = ("--patient", "Ana Lima", "--dob", "1990-05-02", "--patient-id", "P-1042", "--therapist", "Sam Patel",
           "--date", "2026-12-01")
ENGLISH = "Kind regards,\nThe front desk, Riverside Physio & Sports Clinic"
SPANISH = "Un saludo,\nRecepción de Riverside Physio & Sports Clinic"


def _config(folder: Path, *, spanish: object = SPANISH) -> Path:
    """The demo settings (which give both signatures), with no seal and no mail server; ``spanish``
    the Spanish signature (None: left out)."""
    config = write_config(folder)
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data.pop("seal", None)
    data["email"].pop("smtp", None)
    assert data["email"]["signature"] == ENGLISH
    assert data["clinic"]["translations"]["es"]["email_signature"] == SPANISH
    if spanish is None:
        del data["clinic"]["translations"]["es"]["email_signature"]
    else:
        data["clinic"]["translations"]["es"]["email_signature"] = spanish
    config.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return config


def _body(config: Path, *extra: str) -> str:
    """The text of the email a dry run writes into the outbox."""
    result = run("email", "aftercare", "--to", "ana@example.org", *PATIENT, "--chest-region", "no", "--dry-run",
                 *extra, config=config)
    assert result.returncode == 0, (result.stdout, result.stderr)
    (eml,) = (config.parent / "outbox").glob("*.eml")
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    return next(message.iter_parts()).get_content().replace("\r\n", "\n")


def test_an_email_in_spanish_ends_with_the_spanish_signature(tmp_path: Path) -> None:
    body = _body(_config(tmp_path), "--lang", "es")
    assert body.startswith("Hola:\n\nLe enviamos adjunto")  # the Spanish email
    assert body.endswith(f"llámenos al 01632 960 418.\n\n{SPANISH}\n")
    assert "Kind regards" not in body and "front desk" not in body


def test_an_email_in_english_keeps_the_english_signature(tmp_path: Path) -> None:
    body = _body(_config(tmp_path))
    assert body.endswith(f"please call us on 01632 960 418.\n\n{ENGLISH}\n")
    assert "Un saludo" not in body


def test_without_a_spanish_signature_the_spanish_email_ends_with_the_english_one(tmp_path: Path) -> None:
    # As with the clinic's other words: what the clinic wrote, rather than no signature at all.
    body = _body(_config(tmp_path, spanish=None), "--lang", "es")
    assert body.startswith("Hola:\n\nLe enviamos adjunto")
    assert body.endswith(f"\n\n{ENGLISH}\n")


def test_the_signature_is_not_printed_on_the_documents(tmp_path: Path) -> None:
    from patientdocs.load.config import load_config
    from patientdocs.load.visit import make_visit
    from patientdocs.render.context import build_context
    from patientdocs.render.pipeline import Pipeline

    config = load_config(_config(tmp_path))
    pipeline = Pipeline(config)
    loaded = pipeline.content("dry-needling", "es")
    context = build_context("info", config, loaded, make_visit(patient="Ana Lima", date="2026-12-01"),
                            fingerprint="", today=pipeline.today)
    assert "email_signature" not in context["clinic"]
    assert context["clinic"]["out_of_hours"].startswith("Fuera de horario")


def test_a_bad_signature_translation_names_its_file_and_line(tmp_path: Path) -> None:
    config = _config(tmp_path)
    line = replace_line(config, "email_signature:", "email_signatur:")
    result = run("info", *PATIENT, "-o", tmp_path / "out.pdf", config=config)
    (message,) = assert_failed_cleanly(result, tmp_path, tmp_path / "out.pdf")
    assert message == (f"{config}:{line}: clinic.translations.es.email_signatur: must be 'training_statement' or "
                       "'out_of_hours' or 'email_signature', not 'email_signatur'"), message


def test_a_signature_that_is_not_text_names_its_file_and_line(tmp_path: Path) -> None:
    config = _config(tmp_path, spanish=["Un saludo", 2])
    line = line_of(config, "email_signature:")
    result = run("info", *PATIENT, "-o", tmp_path / "out.pdf", config=config)
    (message,) = assert_failed_cleanly(result, tmp_path, tmp_path / "out.pdf")
    assert message.startswith(f"{config}:{line}: clinic.translations.es.email_signature: "), message

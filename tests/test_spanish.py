"""The documents in Spanish (issue 11): es.yaml through the CLI, CLDR dates, numbers and "about N
in D" phrases, the unreviewed-translation note, validate against the English, the other languages
offered on the English documents, the email in Spanish, and plural categories in Polish and Arabic."""

from __future__ import annotations

import email
import email.policy
import io
import re
import shutil
from pathlib import Path

import pdfplumber
import pikepdf
import pytest
import yaml
from helpers_docs import make, page_texts, run, write_config
from support import copy_project

from patientdocs.load import frequency

try:
    from tests.smtp_server import Handler, MailServer
except ModuleNotFoundError:  # tests/ itself is on sys.path (pytest's default "prepend" import mode)
    from smtp_server import Handler, MailServer

PATIENT = ("--patient", "Ana Lima", "--dob", "1990-05-02", "--patient-id", "P-1042", "--therapist", "Sam Patel",
           "--date", "2026-12-01")
UNREVIEWED = "Traducción no revisada por un profesional sanitario."
ALSO_IN_SPANISH = "Este documento también está disponible en español."
# English sentences and headings that must never show through in a Spanish document.
ENGLISH = ("Dry needling: information for you", "Dry needling: consent form", "After dry needling",
           "Prepared for", "Key points", "What is dry needling?", "Questions about your health", "Your agreement",
           "When to get help", "Page 1 of", "Review by", "about 52 in 100", "people", "Patient copy",
           "Clinic copy", "Soreness usually goes", "Call the clinic", "Your therapist is", "Out of hours")


def _config(folder: Path, paper: str = "A4", handouts: Path | None = None) -> Path:
    config = write_config(folder, font_size=12, handouts=handouts)
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["document"]["paper"] = paper
    data["document"]["large_print"] = False
    config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return config


def _spanish(kind: str, folder: Path, *extra: str, config: Path | None = None) -> list[str]:
    pdf = make(kind, folder / f"{kind}.pdf", "--lang", "es", *extra, config=config or _config(folder),
               patient=PATIENT)
    return page_texts(pdf)


def _copies(pages: list[str]) -> list[list[str]]:
    copies: list[list[str]] = []
    for page in pages:
        if "Página 1 de" in page:
            copies.append([])
        copies[-1].append(page)
    return copies


def _no_english(pages: list[str]) -> None:
    text = " ".join(pages)
    assert not [words for words in ENGLISH if words in text]


# ---- the three documents and the packet ----------------------------------------------------------


def test_the_spanish_information_sheet(tmp_path: Path) -> None:
    pages = _spanish("info", tmp_path)
    text = " ".join(pages)
    assert "Punción seca: información para usted" in text
    assert "Preparado para Ana Lima, 1 de diciembre de 2026, con Sam Patel." in text
    assert "Fecha de nacimiento: 2 de mayo de 1990" in text
    # CLDR numbers: grouping with a point, decimals with a comma; the phrase in Spanish order.
    assert "menos de 1 de cada 100.000 tratamientos" in text
    assert "alrededor de 52 de cada 100 personas" in text
    assert "(20.494 tratamientos)" in text and "2,3 puntos" in text
    assert "Revisar antes de 20 de noviembre de 2027" in text
    assert all(UNREVIEWED in page for page in pages)
    assert ALSO_IN_SPANISH not in text  # offered on the English documents only
    _no_english(pages)


def test_the_spanish_aftercare_sheet(tmp_path: Path) -> None:
    pages = _spanish("aftercare", tmp_path, "--chest-region", "yes")
    text = " ".join(pages)
    assert "Después de la punción seca: cómo cuidarse" in text
    assert "Dígales que le hicieron punción seca cerca del pecho el 1 de diciembre de 2026." in text
    assert "Agujetas que duran más de 3 días" in text
    assert all(UNREVIEWED in page for page in pages)
    _no_english(pages)


@pytest.mark.parametrize("paper", ["A4", "Letter"])
def test_the_spanish_consent_form_is_two_pages_a_copy_at_12_pt(tmp_path: Path, paper: str) -> None:
    pages = _spanish("consent", tmp_path, config=_config(tmp_path, paper))
    copies = _copies(pages)
    assert [len(c) for c in copies] == [2, 2], paper
    assert "Copia para el paciente" in copies[0][0] and "Copia para la clínica" in copies[1][0]
    for first, second in copies:
        assert "Punción seca: consentimiento" in first and "Los riesgos principales" in first
        assert "alrededor de 1 de cada 1.000 sesiones" in first
        for words in ("Preguntas sobre su salud", "Su acuerdo", "Intérprete (si hubo):", "Fuentes:"):
            assert words in second, (paper, words)
    assert all(UNREVIEWED in page for page in pages)
    _no_english(pages)


def test_the_spanish_packet(tmp_path: Path) -> None:
    pages = _spanish("packet", tmp_path)
    text = " ".join(pages)
    assert "Punción seca: información para usted" in text and "Punción seca: consentimiento" in text
    assert all(UNREVIEWED in page for page in pages if page.strip() and "en blanco" not in page)
    _no_english(pages)


def test_a_reviewed_translation_says_who_reviewed_it(tmp_path: Path) -> None:
    handouts = tmp_path / "handouts"
    shutil.copytree(Path(__file__).resolve().parents[1] / "handouts", handouts)
    path = handouts / "dry-needling" / "es.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace('reviewed_by: ""', 'reviewed_by: "Dra. Marta Ruiz"'),
                    encoding="utf-8")
    pages = _spanish("aftercare", tmp_path, config=_config(tmp_path, handouts=handouts))
    assert all("Traducción revisada por Dra. Marta Ruiz." in page for page in pages)
    assert not [page for page in pages if "no revisada" in page]


# ---- the English documents offer the other languages -----------------------------------------------


def test_the_english_documents_offer_spanish_at_the_top(tmp_path: Path) -> None:
    config = _config(tmp_path)
    for kind in ("info", "consent", "aftercare"):
        pages = page_texts(make(kind, tmp_path / f"{kind}.pdf", config=config, patient=PATIENT))
        assert ALSO_IN_SPANISH in pages[0], kind  # in the letterhead of the first page
        assert UNREVIEWED not in " ".join(pages)


def test_no_spanish_offer_without_spanish_content(tmp_path: Path) -> None:
    handouts = tmp_path / "handouts"
    shutil.copytree(Path(__file__).resolve().parents[1] / "handouts", handouts)
    (handouts / "dry-needling" / "es.yaml").unlink()
    pages = page_texts(make("info", tmp_path / "info.pdf", config=_config(tmp_path, handouts=handouts),
                            patient=PATIENT))
    assert ALSO_IN_SPANISH not in " ".join(pages)


# ---- validate -----------------------------------------------------------------------------------------


def test_validate_passes_on_the_real_content(tmp_path: Path) -> None:
    copy_project(tmp_path)
    result = run("validate", config=tmp_path / "config.yaml")
    assert result.returncode == 0, (result.stdout, result.stderr)
    for kind in ("info", "consent", "aftercare"):
        assert f"OK  dry-needling/es {kind} (" in result.stdout
    assert "OK  dry-needling/es consent (2 pages per copy;" in result.stdout
    assert "translated_from" not in result.stdout + result.stderr


def _drop(path: Path, block: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(block) == 1, block
    path.write_text(text.replace(block, ""), encoding="utf-8")


def test_validate_fails_on_an_incomplete_translation(tmp_path: Path) -> None:
    copy_project(tmp_path)
    path = tmp_path / "handouts" / "dry-needling" / "es.yaml"
    _drop(path, '  consent_stop: "ALTO"\n')
    _drop(path, "  headache:\n    effect: Dolor de cabeza\n")
    _drop(path, '      - id: lung\n        text: "Enfermedad de los pulmones u operación del pecho"\n'
                "        kind: caution\n")
    _drop(path, "      - Dolor en el pecho\n")
    section = re.search(r"    - id: survey\n(?:      .*\n)+", path.read_text(encoding="utf-8"))
    assert section is not None
    _drop(path, section.group(0))
    _drop(path, "  person: personas\n")
    name = str(path)  # as the settings name it: --config gives the folder absolutely
    labels, units, risks = _line(path, "labels:"), _line(path, "units:"), _line(path, "risks:")
    sections = _line(path, "  sections:", first=True)  # the information sheet's
    questions, emergency = _line(path, "    questions:"), _line(path, "    emergency:")
    result = run("validate", config=tmp_path / "config.yaml")
    assert result.returncode == 2, (result.stdout, result.stderr)
    errors = [line for line in result.stderr.splitlines() if line.startswith(f"Error: {name}")]
    # One line per problem, each at its line, in the file's order; then the loader's own checks.
    assert errors[:6] == [
        f"Error: {name}:{labels}: labels: missing label 'consent_stop' that en.yaml has",
        f"Error: {name}:{units}: units: missing unit 'person' that en.yaml has",
        f"Error: {name}:{risks}: risks: missing risk 'headache' that en.yaml has",
        f"Error: {name}:{sections}: info.sections: missing section 'survey' that en.yaml has",
        f"Error: {name}:{questions}: consent.screening.questions: missing screening question 'lung' that en.yaml has",
        f"Error: {name}:{emergency}: aftercare.red_flags.emergency: 5 items where en.yaml has 6",
    ], errors
    assert "OK  dry-needling/en info" in result.stdout  # the English content is still checked and fine


def _line(path: Path, text: str, first: bool = False) -> int:
    """The number of the line that is exactly ``text`` (the first of several when ``first``)."""
    hits = [i + 1 for i, line in enumerate(path.read_text(encoding="utf-8").split("\n")) if line == text]
    assert hits and (first or len(hits) == 1), (text, hits)
    return hits[0]


def test_validate_warns_when_the_english_is_newer(tmp_path: Path) -> None:
    copy_project(tmp_path)
    path = tmp_path / "handouts" / "dry-needling" / "es.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace('translated_from: "2026.11"', 'translated_from: "2026.9"'),
                    encoding="utf-8")
    result = run("validate", config=tmp_path / "config.yaml")
    assert result.returncode == 0, (result.stdout, result.stderr)
    assert (f"WARNING {path}:11: translated_from: translated from version 2026.9, but en.yaml "
            "is now version 2026.11; the translation is out of date") in result.stdout


# ---- the email in Spanish --------------------------------------------------------------------------


def test_the_email_in_spanish(servers, tmp_path: Path) -> None:
    handler = Handler()
    server = servers(MailServer(handler))
    config = write_config(tmp_path)
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data.pop("seal", None)
    data["email"]["smtp"] = {"host": "127.0.0.1", "port": server.port, "security": "none",
                             "from": "Riverside Physio <frontdesk@riverside-physio.example>", "timeout": 5,
                             "retries": 1}
    config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = run("email", "aftercare", "--also", "info", "--to", "ana@example.org", *PATIENT, "--lang", "es",
                 "--chest-region", "no", config=config)
    assert result.returncode == 0, (result.stdout, result.stderr)
    passphrase = re.search(r"^Passphrase for the patient[^:]*: ([a-z-]+)$", result.stdout, re.M)
    assert passphrase is not None
    (received,) = handler.messages
    message = email.message_from_bytes(received.content, policy=email.policy.default)
    assert message["Subject"] == "Sus documentos de Riverside Physio & Sports Clinic"
    parts = list(message.iter_parts())
    body = " ".join(parts[0].get_content().split())
    assert body.startswith("Hola: Le enviamos adjuntos sus documentos de Riverside Physio & Sports Clinic.")
    assert "La contraseña no está en este correo" in body and "Son 5 palabras cortas" in body
    assert "Si tiene alguna pregunta, llámenos al 01632 960 418." in body
    assert "Please" not in body and "password" not in body.lower()
    for word in ("punción", "aguja", "consentimiento", "cuidados", "riesgo", "dolor", "pecho"):
        assert word not in body.lower()
    names = [p.get_filename() for p in parts[1:]]
    assert names == ["documento-1.pdf", "documento-2.pdf"]
    with pikepdf.open(io.BytesIO(parts[1].get_content()), password=passphrase.group(1)) as pdf:
        out = io.BytesIO()
        pdf.save(out)
    assert "Después de la punción seca" in " ".join(page_texts(out.getvalue()))


# ---- plural categories: a language with several forms -----------------------------------------------


POLISH = {"about": "około", "fewer_than": "mniej niż", "to": "do", "in": "na",
          "phrase_one": "{qualifier} {count} osoba {in} {per}",
          "phrase_few": "{qualifier} {count} osoby {in} {per}",
          "phrase_many": "{qualifier} {count} osób {in} {per}"}
ARABIC = {"about": "حوالي", "fewer_than": "أقل من", "to": "إلى", "in": "من",
          "phrase_zero": "{qualifier} {count} {in} {per}",
          "phrase_one": "{qualifier} شخص واحد {in} {per}",
          "phrase_two": "{qualifier} شخصان {in} {per}",
          "phrase_few": "{qualifier} {count} أشخاص {in} {per}",
          "phrase_many": "{qualifier} {count} شخصًا {in} {per}",
          "phrase_other": "{qualifier} {count} شخص {in} {per}"}


@pytest.mark.parametrize(("count", "words"), [
    (1, "około 1 osoba na 1 000"), (2, "około 2 osoby na 1 000"), (4, "około 4 osoby na 1 000"),
    (5, "około 5 osób na 1 000"), (12, "około 12 osób na 1 000"), (22, "około 22 osoby na 1 000"),
    (25, "około 25 osób na 1 000")])
def test_polish_phrases_follow_the_cldr_plural_category(count: int, words: str) -> None:
    text = frequency.Phrase("about", count, None, 1000, "").text(POLISH, language="pl")
    assert text.replace("\u00a0", " ") == words


@pytest.mark.parametrize(("count", "words"), [
    (1, "حوالي شخص واحد من 100"), (2, "حوالي شخصان من 100"), (3, "حوالي 3 أشخاص من 100"),
    (11, "حوالي 11 شخصًا من 100"), (100, "حوالي 100 شخص من 100")])
def test_arabic_phrases_follow_the_cldr_plural_category(count: int, words: str) -> None:
    assert frequency.Phrase("about", count, None, 100, "").text(ARABIC, language="ar") == words


def test_a_range_takes_the_category_of_its_higher_end() -> None:
    assert frequency.Phrase("about", 1, 5, 100, "").text(POLISH, language="pl") == "około 1 do 5 osób na 100"


def test_english_phrases_are_unchanged() -> None:
    phrase = frequency.Phrase("about", 5, 16, 100000, "treatments")
    assert phrase.text({"about": "about", "to": "to", "in": "in"}) == "about 5 to 16 in 100,000 treatments"
    assert frequency.format_count(100000, "es") == "100.000"


def test_the_spanish_consent_form_shows_the_icon_arrays(tmp_path: Path) -> None:
    # The figures are chosen by the facts' unit ("person"), not by its word in the language:
    # the Spanish form once had none, because its unit word is "personas".
    pdf = make("consent", tmp_path / "c.pdf", "--lang", "es", config=write_config(tmp_path))
    first = page_texts(pdf)[0]
    for words in ("52 de cada 100", "33 de cada 100", "22 de cada 100"):
        assert words in first, words
    with pdfplumber.open(pdf) as doc:
        assert len([c for c in doc.pages[0].curves if c["x1"] - c["x0"] < 12]) >= 300

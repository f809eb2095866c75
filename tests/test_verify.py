"""``verify``: is this PDF one the clinic made, and is it unchanged?"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from helpers_docs import (
    assert_one_line_error,
    content,
    docinfo,
    invoke,
    make_here,
    records_path,
    run,
    write_config,
)


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("verify")
    config = write_config(folder)
    return {"config": config, "consent": make_here("consent", folder / "ana-consent.pdf", config=config)}


def _verify(path: Path, config: Path):
    return invoke("verify", path, config=config)


def _altered_copy(original: Path, folder: Path, at: float = 0.5) -> Path:
    copy = folder / f"altered-{original.name}"
    shutil.copyfile(original, copy)
    data = bytearray(copy.read_bytes())
    i = int(len(data) * at)
    data[i] ^= 0x01  # one bit of one byte
    copy.write_bytes(bytes(data))
    return copy


def test_a_fresh_document_is_unchanged(made: dict[str, Path]) -> None:
    result = _verify(made["consent"], made["config"])
    assert result.returncode == 0, (result.stdout, result.stderr)
    out = result.stdout.strip()
    assert out.startswith("UNCHANGED: ana-consent.pdf")
    assert f"content version {content().version}" in out
    assert docinfo(made["consent"])["/Fingerprint"] in out
    assert "P-1042" in out and "consent" in out


@pytest.mark.parametrize("at", [0.5, 0.9])
def test_one_byte_changed_is_reported(made: dict[str, Path], tmp_path: Path, at: float) -> None:
    altered = _altered_copy(made["consent"], tmp_path, at)
    result = _verify(altered, made["config"])
    assert result.returncode == 1, (result.stdout, result.stderr)
    out = result.stdout.strip()
    assert out.startswith("CHANGED: "), out
    assert content().version in out
    assert made["consent"].read_bytes() != altered.read_bytes()


def test_a_document_not_in_these_records_is_changed_or_foreign(made: dict[str, Path], tmp_path: Path) -> None:
    """A real document checked against another clinic's (empty) records is not vouched for."""
    config = write_config(tmp_path)
    result = _verify(made["consent"], config)
    assert result.returncode == 1
    assert result.stdout.startswith("CHANGED: ")
    assert "records" in result.stdout
    assert not records_path(config).exists()  # checking never creates a database


def test_a_pdf_made_elsewhere_is_not_recognised(made: dict[str, Path], tmp_path: Path) -> None:
    from reportlab.pdfgen.canvas import Canvas

    other = tmp_path / "letter.pdf"
    canvas = Canvas(str(other))
    canvas.drawString(72, 720, "A letter from another program")
    canvas.save()
    result = _verify(other, made["config"])
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert result.stdout.strip().startswith("NOT RECOGNISED: letter.pdf")


def test_a_text_file_is_not_a_pdf(made: dict[str, Path], tmp_path: Path) -> None:
    text = tmp_path / "notes.pdf"
    text.write_text("Ana Lima consent notes\n", encoding="utf-8")
    line = assert_one_line_error(_verify(text, made["config"]))
    assert "not a PDF" in line
    assert "notes.pdf" in line


def test_a_missing_file_is_an_error(made: dict[str, Path], tmp_path: Path) -> None:
    line = assert_one_line_error(_verify(tmp_path / "nowhere.pdf", made["config"]))
    assert "not found" in line
    assert "nowhere.pdf" in line


def test_verify_adds_no_record(made: dict[str, Path]) -> None:
    import sqlite3

    db = records_path(made["config"])
    conn = sqlite3.connect(db)
    try:
        before = conn.execute("SELECT count(*) FROM documents").fetchone()[0]
        _verify(made["consent"], made["config"])
        assert conn.execute("SELECT count(*) FROM documents").fetchone()[0] == before
    finally:
        conn.close()


def test_a_pipe_is_refused_instead_of_waiting_forever(made: dict[str, Path], tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "looks-like.pdf"
    os.mkfifo(fifo)
    result = run("verify", fifo, config=made["config"])  # run() has a time-out: a hang fails the test
    assert assert_one_line_error(result) == f"Error: {fifo}: is not a file"


def _with(config: Path, section: str, key: str, value) -> Path:
    import yaml

    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data[section][key] = value
    config.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return config


def test_the_fingerprint_tells_which_emergency_number_a_patient_was_given(tmp_path: Path) -> None:
    from helpers_docs import db_rows, page_texts

    old = write_config(tmp_path / "old")
    new = _with(write_config(tmp_path / "new"), "clinic", "emergency_number", "112")
    made_old = make_here("aftercare", tmp_path / "old.pdf", config=old)
    made_new = make_here("aftercare", tmp_path / "new.pdf", config=new)
    assert "Call the emergency number: 112" in " ".join(page_texts(made_new))
    first, second = docinfo(made_old)["/Fingerprint"], docinfo(made_new)["/Fingerprint"]
    assert first != second
    for path, config, fingerprint in ((made_old, old, first), (made_new, new, second)):
        assert all(f"Ref {fingerprint}" in page for page in page_texts(path))
        assert [row["fingerprint"] for row in db_rows(records_path(config))] == [fingerprint]
        assert f"fingerprint {fingerprint}." in _verify(path, config).stdout


def test_mail_and_folder_settings_leave_the_fingerprint_and_the_file_alone(tmp_path: Path) -> None:
    base = write_config(tmp_path / "a")
    other = _with(write_config(tmp_path / "b"), "email", "subject", "Your papers from {clinic}")
    _with(other, "paths", "outbox", str(tmp_path / "elsewhere"))
    one = make_here("aftercare", tmp_path / "one.pdf", config=base)
    two = make_here("aftercare", tmp_path / "two.pdf", config=other)
    assert docinfo(one)["/Fingerprint"] == docinfo(two)["/Fingerprint"]
    assert one.read_bytes() == two.read_bytes()

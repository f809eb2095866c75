"""Helpers for the consent, packet, records and verify tests.

Every CLI run gets ``--config`` pointing at a private copy of config.yaml whose paths send
handouts/templates to the repository's folders (or to a test's own copy of the content) and
``records``/``output`` into a temporary folder: the tests never write into the repository.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml
from support import (  # noqa: F401  (re-exported: the tests import these from here)
    BUILD_EPOCH,
    GENERATE,
    HANDOUTS,
    PAGE_OF,
    REPO,
    TEMPLATES,
    TODAY,
    TODAY_EPOCH,
    cli,
    cli_env,
    error_lines,
    norm,
    page_texts,
)

TREATMENT, LANGUAGE = "dry-needling", "en"

PATIENT = ("--patient", "Ana Lima", "--dob", "1990-05-02", "--patient-id", "P-1042", "--therapist", "Sam Patel")
# The consent form at its fullest: a long name in a script of its own, and every line of the
# therapist's box answered, some in two lines.
LONG_NAME = ("--patient", "Παναγιώτα Κωνσταντινοπούλου-Αλεξανδροπούλου")
FULL_BOX = ("--areas", "upper trapezius (left)", "--areas", "levator scapulae (left)", "--chest-region", "yes",
            "--estim-planned", "yes", "--condition", "Neck pain with headaches for three months",
            "--risk-factors", "On apixaban: light needling only, pressure for a minute after each needle",
            "--risks-discussed", "Collapsed lung near the shoulder blade; bruising on a blood thinner")
BLANK_TEXT = "This page is intentionally blank."


# ---- text ------------------------------------------------------------------------------

def plain(text: str) -> str:
    """A content string as printed: its ``**bold**``/``*italic*`` marks removed, whitespace normalised."""
    return norm(text.replace("*", ""))


def docinfo(pdf: Path) -> dict[str, str]:
    """The PDF's document-information dictionary, read with pikepdf."""
    import pikepdf

    with pikepdf.open(pdf) as doc:
        return {str(key): str(value) for key, value in doc.docinfo.items()}


def is_blank(text: str) -> bool:
    return "intentionally blank" in text


def document_starts(texts: list[str]) -> list[int]:
    """1-based numbers of the pages whose footer reads "Page 1 of N"."""
    return [i + 1 for i, text in enumerate(texts) if re.search(r"\bPage 1 of \d+\b", text)]


def page_numbers(text: str) -> tuple[int, int] | None:
    found = PAGE_OF.findall(text)
    return (int(found[-1][0]), int(found[-1][1])) if found else None


# ---- content and config -----------------------------------------------------------------

def content(handouts: Path = HANDOUTS):
    """The validated content, loaded the way the product loads it."""
    from patientdocs.load.content import load_content

    return load_content(handouts, TREATMENT, LANGUAGE).data


def long_date(day: dt.date) -> str:
    return f"{day.day} {day:%B} {day.year}"


def repo_config() -> dict[str, Any]:
    """config.yaml's settings, without the seal (tests/test_seal.py tests it with its own)."""
    data = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
    data.pop("seal", None)
    return data


def write_config(folder: Path, *, handouts: Path | None = None, records: str | Path | None = None,
                 output: str | Path | None = None, duplex: bool | None = None,
                 font_size: float | None = None, paper: str | None = None,
                 large_print: bool | None = None) -> Path:
    """A copy of config.yaml in ``folder``; records and output default to files inside ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    data = repo_config()
    paths = data.setdefault("paths", {})
    paths["handouts"] = str(handouts or HANDOUTS)
    paths["templates"] = str(TEMPLATES)
    paths["records"] = str(records if records is not None else folder / "records.db")
    paths["output"] = str(output if output is not None else folder / "out")
    paths["outbox"] = str(folder / "outbox")
    if duplex is not None:
        data.setdefault("document", {})["duplex"] = duplex
    for key, value in (("font_size", font_size), ("paper", paper), ("large_print", large_print)):
        if value is not None:
            data.setdefault("document", {})[key] = value
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def records_path(config: Path) -> Path:
    return Path(yaml.safe_load(config.read_text(encoding="utf-8"))["paths"]["records"])


def expired_handouts(folder: Path, review_by: str = "2025-06-30", reviewed: str = "2024-06-30") -> Path:
    """A copy of the repository's handouts whose content is past its review date."""
    target = folder / "handouts"
    shutil.copytree(HANDOUTS, target)
    path = target / TREATMENT / f"{LANGUAGE}.yaml"
    text = path.read_text(encoding="utf-8")
    text, n1 = re.subn(r"(?m)^review_by: .*$", f"review_by: {review_by}", text)
    text, n2 = re.subn(r"(?m)^reviewed: .*$", f"reviewed: {reviewed}", text)
    assert (n1, n2) == (1, 1), "content file layout changed: cannot set its review date"
    path.write_text(text, encoding="utf-8")
    return target


# ---- running the CLI --------------------------------------------------------------------

def run(*args: str | Path, config: Path, cwd: Path | None = None, epoch: str = TODAY_EPOCH,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``python generate.py ARGS --config CONFIG`` (the option goes last, after the subcommand)."""
    return subprocess.run([sys.executable, str(GENERATE), *map(str, args), "--config", str(config)],
                          cwd=cwd or config.parent, env=cli_env(epoch, env), capture_output=True, text=True,
                          encoding="utf-8", timeout=120, check=False)


def make(kind: str, output: Path, *extra: str, config: Path, epoch: str = TODAY_EPOCH,
         patient: tuple[str, ...] = PATIENT) -> Path:
    """Make one document; fail the test with the CLI's output if that did not work."""
    return _made(run(kind, *patient, *extra, "-o", output, config=config, epoch=epoch), output)


def invoke(*args: str | Path, config: Path, cwd: Path | None = None, epoch: str = TODAY_EPOCH,
           env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``run``'s twin in this process (support.cli): same arguments, same result, much faster."""
    return cli(*args, "--config", config, cwd=cwd or config.parent, epoch=epoch, env=env)


def make_here(kind: str, output: Path, *extra: str, config: Path, epoch: str = TODAY_EPOCH,
              patient: tuple[str, ...] = PATIENT) -> Path:
    """``make``'s twin in this process."""
    return _made(invoke(kind, *patient, *extra, "-o", output, config=config, epoch=epoch), output)


def _made(result: subprocess.CompletedProcess[str], output: Path) -> Path:
    assert result.returncode == 0, (result.returncode, result.stdout, result.stderr)
    assert output.is_file()
    return output


def make_many(*jobs: tuple[str, Path, tuple[str, ...], Path], epoch: str = TODAY_EPOCH,
              patient: tuple[str, ...] = PATIENT) -> None:
    """Make several documents at once, one process each: ``(kind, output, extra options, config)``."""
    from patientdocs.records.store import Records

    for config in dict.fromkeys(job[3] for job in jobs):
        # Create each records database first: processes that race to create a new one can fail
        # (see test_records.py::test_creating_the_database_in_a_race).
        Records(records_path(config)).close()
    procs = []
    for kind, output, extra, config in jobs:
        cmd = [sys.executable, str(GENERATE), kind, *patient, *extra, "-o", str(output), "--config", str(config)]
        procs.append(subprocess.Popen(cmd, cwd=config.parent, env=cli_env(epoch), stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True, encoding="utf-8"))
    for proc, (_kind, output, _extra, _config) in zip(procs, jobs, strict=True):
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, (output, proc.returncode, out, err)
        assert output.is_file()


def assert_one_line_error(result: subprocess.CompletedProcess[str], code: int = 2) -> str:
    """The run failed with ``code`` and exactly one "Error: ..." line, no traceback; returns the line."""
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = error_lines(result)
    assert len(lines) == 1, lines
    assert lines[0].startswith("Error: "), lines
    assert "Saved" not in result.stdout
    return lines[0]


def no_pdf_or_part(folder: Path) -> None:
    assert not list(folder.rglob("*.pdf")), list(folder.rglob("*.pdf"))
    assert not list(folder.rglob("*.part")), list(folder.rglob("*.part"))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def count_records(db: Path) -> int:
    return len(db_rows(db))


def db_rows(path: Path) -> list[dict[str, Any]]:
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in conn.execute("SELECT * FROM documents ORDER BY id")]
    finally:
        conn.close()

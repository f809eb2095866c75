"""The tests' plain helpers, one definition each: paths, the suite's fixed "today", text of PDFs,
copies of the project, and running the CLI (in this process with ``cli``, or in a subprocess with
``run_cli`` where a separate process matters).

conftest.py and helpers_docs.py take these names from here; the fixtures stay in conftest.py.
Tests never write into the repository: every CLI run uses a copy of config.yaml (and of the
content and templates) inside a temporary folder, so out/, records.db and *.part files land there.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from io import BytesIO
from pathlib import Path

from pypdf import PdfReader

REPO = Path(__file__).resolve().parents[1]
GENERATE = REPO / "generate.py"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
HANDOUTS = REPO / "handouts"
TEMPLATES = REPO / "templates"

# "Today" for every CLI run unless a test says otherwise: the visit date used throughout, so the
# suite does not start failing when the real clock passes the content's review date.
TODAY = dt.date(2026, 12, 1)
TODAY_EPOCH = "1796083200"  # 2026-12-01T00:00:00Z
# The reproducible-build date the determinism and batch tests use (2025-12-01T00:00:00Z).
BUILD_EPOCH = "1764547200"

VISIT = ("--dob", "1984-03-09", "--therapist", "Sam Patel", "--date", "2026-12-01")
PAGE_OF = re.compile(r"Page (\d+) of (\d+)")

# Variables a test run must not pass on to the CLI: debugging turns clean errors into tracebacks,
# and "today" is always the suite's own.
RESET_ENV = ("PATIENTDOCS_DEBUG", "SOURCE_DATE_EPOCH")


# ---- text ------------------------------------------------------------------------------

def norm(text: str) -> str:
    """NFC, with every run of whitespace (pypdf's line breaks included) made one space."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def page_texts(pdf: Path | bytes) -> list[str]:
    """Whitespace-normalised text of each page."""
    data = pdf.read_bytes() if isinstance(pdf, Path) else pdf
    return [norm(page.extract_text() or "") for page in PdfReader(BytesIO(data)).pages]


# ---- the project's files ---------------------------------------------------------------

@functools.cache
def demo_seal_files() -> Path:
    """A folder with the demo seal's certificate and key (config.yaml's seal section names
    certs/demo-seal.*), made once per test run: valid from the suite's "today" for a year."""
    import atexit

    from patientdocs.deliver.seal import make_demo_certificate

    base = Path(tempfile.mkdtemp(prefix="patientdocs-seal-"))
    atexit.register(shutil.rmtree, base, ignore_errors=True)
    folder = base / "certs"
    make_demo_certificate("Riverside Physio", folder / "demo-seal.cert.pem", folder / "demo-seal.key.pem",
                          today=TODAY)
    return folder


def copy_project(dest: Path) -> Path:
    """config.yaml, handouts/ and templates/ (and the demo seal's certs/) copied into ``dest``;
    returns the config path."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy2(REPO / "config.yaml", dest / "config.yaml")
    shutil.copytree(demo_seal_files(), dest / "certs", dirs_exist_ok=True)
    shutil.copytree(HANDOUTS, dest / "handouts")
    shutil.copytree(TEMPLATES, dest / "templates")
    return dest / "config.yaml"


def replace_line(path: Path, old: str, new: str) -> int:
    """Replace the one line of ``path`` that contains ``old`` (by ``new``); return its 1-based number."""
    lines = path.read_text(encoding="utf-8").split("\n")
    hits = [i for i, line in enumerate(lines) if old in line]
    assert len(hits) == 1, f"expected exactly one line with {old!r} in {path}, found {len(hits)}"
    lines[hits[0]] = lines[hits[0]].replace(old, new)
    path.write_text("\n".join(lines), encoding="utf-8")
    return hits[0] + 1


def line_of(path: Path, text: str) -> int:
    """1-based number of the one line of ``path`` that contains ``text``."""
    hits = [i + 1 for i, line in enumerate(path.read_text(encoding="utf-8").split("\n")) if text in line]
    assert len(hits) == 1, f"expected exactly one line with {text!r} in {path}, found {hits}"
    return hits[0]


def render_info(pipeline, visit, *, treatment: str = "dry-needling", language: str = "en"):
    """One information sheet through the library (no subprocess, no file)."""
    return pipeline.render([("info", "")], visit, treatment=treatment, language=language)


# ---- running the CLI -------------------------------------------------------------------

# Root may write into any folder: to see what a clinic's normal user sees with a read-only
# folder, run as root without the capabilities that override file permissions.
NO_OVERRIDE = ("setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner,-linux_immutable")


def can_drop_root_powers() -> bool:
    return os.geteuid() != 0 or shutil.which("setpriv") is not None


def cli_env(epoch: str = TODAY_EPOCH, extra: dict[str, str] | None = None, *,
            drop: tuple[str, ...] = ()) -> dict[str, str]:
    """The environment of a CLI subprocess: this one's, without RESET_ENV (and ``drop``), with
    SOURCE_DATE_EPOCH=``epoch``, UTF-8 output and the repository importable; then ``extra``."""
    env = {k: v for k, v in os.environ.items() if k not in (*RESET_ENV, *drop)}
    env.update({"PYTHONIOENCODING": "utf-8", "SOURCE_DATE_EPOCH": epoch, "PYTHONPATH": str(REPO)})
    env.update(extra or {})
    return env


def run_cli(*args: str | Path, cwd: Path, env: dict[str, str] | None = None,
            as_normal_user: bool = False) -> subprocess.CompletedProcess[str]:
    """``python generate.py ARGS`` in a subprocess, in ``cwd``; text output decoded as UTF-8.

    For what needs a process of its own: signals, start-up imports, workers, file permissions
    as a normal user (``as_normal_user``). Everything else: ``cli``."""
    prefix = NO_OVERRIDE if as_normal_user and os.geteuid() == 0 else ()
    return subprocess.run([*prefix, sys.executable, str(GENERATE), *map(str, args)], cwd=cwd, env=cli_env(extra=env),
                          capture_output=True, text=True, encoding="utf-8", timeout=120, check=False)


@contextmanager
def _process_state(cwd: Path, env: dict[str, str | None]) -> Iterator[None]:
    """cwd, environment (and the time zone read from it), signal handlers and umask as a CLI
    process would start with them; all put back afterwards, whatever the command did."""
    saved_env = dict(os.environ)
    saved_cwd = os.getcwd()
    saved_signals = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    saved_umask = os.umask(0o022)
    os.umask(saved_umask)
    try:
        for key, value in env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        time.tzset()
        os.chdir(cwd)
        yield
    finally:
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
        time.tzset()
        for sig, handler in saved_signals.items():
            if handler is not None:
                signal.signal(sig, handler)
        os.umask(saved_umask)
        _forget_batch_worker()


def _forget_batch_worker() -> None:
    """A batch run with one worker makes its files in this process and keeps that worker's
    state (records connection included) in a module global: a process's exit would drop it."""
    run = sys.modules.get("patientdocs.batch.run")
    if run is None:
        return
    records = run._WORKER.get("records")
    if records is not None:
        records.close()
    run._WORKER.clear()


def cli(*args: str | Path, cwd: Path, env: dict[str, str | None] | None = None, epoch: str = TODAY_EPOCH,
        input: str | None = None) -> subprocess.CompletedProcess[str]:
    """``generate.py ARGS`` run in this process (click's CliRunner), much faster than ``run_cli``
    and with the same result: exit code, stdout and stderr as the subprocess would give them.

    The environment is run_cli's (RESET_ENV removed, SOURCE_DATE_EPOCH=``epoch``, then ``env``,
    where None removes a variable); the working folder is ``cwd``. Variables Python reads only at
    start-up (PYTHONWARNINGS, PYTHONDEVMODE, ...) need ``run_cli``. An exception the command lets
    out (only with PATIENTDOCS_DEBUG) gives exit code 1 and its traceback on stderr, as Python does."""
    from click.testing import CliRunner

    from patientdocs.cli import main

    argv = [str(arg) for arg in args]
    overrides: dict[str, str | None] = dict.fromkeys(RESET_ENV)
    overrides.update({"PYTHONIOENCODING": "utf-8", "SOURCE_DATE_EPOCH": epoch})
    overrides.update(env or {})
    with _process_state(cwd, overrides):
        # The help's width: a subprocess writing into a pipe has no terminal, so click takes COLUMNS,
        # else 80 columns, less 2 (CliRunner alone would force 80).
        columns = int(os.environ.get("COLUMNS") or 80)
        width = max(min(columns, main.context_settings.get("max_content_width", 80)) - 2, 50)
        result = CliRunner().invoke(main, argv, input=input, prog_name=GENERATE.name, catch_exceptions=True,
                                    terminal_width=width)
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        assert result.exc_info is not None
        stderr += "".join(traceback.format_exception(*result.exc_info))
    return subprocess.CompletedProcess([GENERATE.name, *argv], result.exit_code, result.stdout, stderr)


# ---- a run's result --------------------------------------------------------------------

def error_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip()]


def assert_failed_cleanly(result: subprocess.CompletedProcess[str], folder: Path, output: Path | None = None,
                          *, lines: int | None = 1) -> list[str]:
    """Exit code 2, only "Error: ..." lines on stderr, no traceback, no PDF and no *.part left behind.

    Returns the messages without their "Error: " prefix."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    got = error_lines(result)
    assert got, "no message on stderr"
    assert all(line.startswith("Error: ") for line in got), got
    if lines is not None:
        assert len(got) == lines, got
    if output is not None:
        assert not output.exists()
    assert not list(folder.rglob("*.pdf")), list(folder.rglob("*.pdf"))
    assert not list(folder.rglob("*.part")), list(folder.rglob("*.part"))
    assert "Saved" not in result.stdout
    return [line[len("Error: "):] for line in got]

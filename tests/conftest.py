"""Shared helpers: run the CLI in a subprocess, copy the project into a temporary folder, read PDFs.

Tests never write into the repository: every CLI run uses a copy of config.yaml (and of the
content and templates) inside a temporary folder, so out/, records.db and *.part files land there.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
import unicodedata
from io import BytesIO
from pathlib import Path

import pytest
import trustme
from pypdf import PdfReader

try:
    from tests.smtp_server import HOST, MailServer, RawServer
except ModuleNotFoundError:  # tests/ itself is on sys.path (pytest's default "prepend" import mode)
    from smtp_server import HOST, MailServer, RawServer

REPO = Path(__file__).resolve().parents[1]
GENERATE = REPO / "generate.py"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

# "Today" for every CLI run unless a test says otherwise: the visit date used throughout, so the
# suite does not start failing when the real clock passes the content's review date.
TODAY_EPOCH = "1796083200"  # 2026-12-01T00:00:00Z

VISIT = ("--dob", "1984-03-09", "--therapist", "Sam Patel", "--date", "2026-12-01")


def norm(text: str) -> str:
    """NFC, with every run of whitespace (pypdf's line breaks included) made one space."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def page_texts(pdf: Path | bytes) -> list[str]:
    """Whitespace-normalised text of each page."""
    data = pdf.read_bytes() if isinstance(pdf, Path) else pdf
    return [norm(page.extract_text() or "") for page in PdfReader(BytesIO(data)).pages]


# Root may write into any folder: to see what a clinic's normal user sees with a read-only
# folder, run as root without the capabilities that override file permissions.
NO_OVERRIDE = ("setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner,-linux_immutable")


def can_drop_root_powers() -> bool:
    return os.geteuid() != 0 or shutil.which("setpriv") is not None


def run_cli(*args: str | Path, cwd: Path, env: dict[str, str] | None = None,
            as_normal_user: bool = False) -> subprocess.CompletedProcess[str]:
    """``python generate.py ARGS`` in ``cwd``; text output decoded as UTF-8."""
    full_env = {k: v for k, v in os.environ.items() if k not in ("PATIENTDOCS_DEBUG", "SOURCE_DATE_EPOCH")}
    full_env.update({"PYTHONIOENCODING": "utf-8", "SOURCE_DATE_EPOCH": TODAY_EPOCH})
    full_env.update(env or {})
    prefix = NO_OVERRIDE if as_normal_user and os.geteuid() == 0 else ()
    return subprocess.run([*prefix, sys.executable, str(GENERATE), *map(str, args)], cwd=cwd, env=full_env,
                          capture_output=True, text=True, encoding="utf-8", timeout=120, check=False)


@functools.cache
def demo_seal_files() -> Path:
    """A folder with the demo seal's certificate and key (config.yaml's seal section names
    certs/demo-seal.*), made once per test run: valid from the suite's "today" for a year."""
    import atexit
    import datetime as dt

    from patientdocs.deliver.seal import make_demo_certificate

    base = Path(tempfile.mkdtemp(prefix="patientdocs-seal-"))
    atexit.register(shutil.rmtree, base, ignore_errors=True)
    folder = base / "certs"
    make_demo_certificate("Riverside Physio", folder / "demo-seal.cert.pem", folder / "demo-seal.key.pem",
                          today=dt.date(2026, 12, 1))
    return folder


def copy_project(dest: Path) -> Path:
    """config.yaml, handouts/ and templates/ (and the demo seal's certs/) copied into ``dest``;
    returns the config path."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy2(REPO / "config.yaml", dest / "config.yaml")
    shutil.copytree(demo_seal_files(), dest / "certs", dirs_exist_ok=True)
    shutil.copytree(REPO / "handouts", dest / "handouts")
    shutil.copytree(REPO / "templates", dest / "templates")
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


def render_info(pipeline, visit, *, treatment: str = "dry-needling", language: str = "en"):
    """One information sheet through the library (no subprocess, no file)."""
    return pipeline.render([("info", "")], visit, treatment=treatment, language=language)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A private copy of the project's config, content and templates; returns its folder."""
    copy_project(tmp_path)
    return tmp_path


_TEMPORARY_HOMES: list[str] = []


def pytest_configure(config: pytest.Config) -> None:
    # Sanity check: the helpers above rely on these files; fail loudly if the layout changes.
    for needed in (GENERATE, REPO / "config.yaml", REPO / "handouts", REPO / "templates"):
        if not needed.exists():
            raise pytest.UsageError(f"{needed} is missing")
    # Hypothesis caches into ./.hypothesis by default: keep the repository untouched.
    from hypothesis.configuration import set_hypothesis_home_dir

    _TEMPORARY_HOMES.append(tempfile.mkdtemp(prefix="patientdocs-hypothesis-"))
    set_hypothesis_home_dir(_TEMPORARY_HOMES[-1])
    # The tool's cache (compiled templates, validated content) goes to a folder of this run, not
    # the user's ~/.cache: thousands of temporary content copies would otherwise be kept there.
    # CLI subprocesses inherit it.
    _TEMPORARY_HOMES.append(tempfile.mkdtemp(prefix="patientdocs-cache-"))
    os.environ["XDG_CACHE_HOME"] = _TEMPORARY_HOMES[-1]
    # "Today" is the local day of SOURCE_DATE_EPOCH: the suite's day is the same on every machine.
    os.environ["TZ"] = "UTC"
    time.tzset()


def pytest_unconfigure(config: pytest.Config) -> None:
    for folder in _TEMPORARY_HOMES:
        shutil.rmtree(folder, ignore_errors=True)


PAGE_OF = re.compile(r"Page (\d+) of (\d+)")


# --- mail servers, shared by the mailer and email command tests ----------------------------------------------


@pytest.fixture(scope="session")
def ca() -> trustme.CA:
    """A certificate authority made for the test run; the test servers' certificates come from it."""
    return trustme.CA()


@pytest.fixture(scope="session")
def server_tls(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(HOST, "localhost").configure_cert(context)
    return context


@pytest.fixture
def servers():
    """Start servers with ``servers(server)``; every one is stopped after the test, whatever happened."""
    started: list[MailServer | RawServer] = []

    def start(server):
        started.append(server)
        return server.start()

    yield start
    for server in reversed(started):
        server.stop()

"""Fixtures and pytest hooks; the plain helpers are in tests/support.py and are importable from here too
(``from conftest import run_cli`` keeps working).
"""

from __future__ import annotations

import os
import shutil
import ssl
import tempfile
import time
from pathlib import Path

import pytest
import trustme
from support import (  # noqa: F401  (re-exported: the tests import these from conftest)
    FIXTURES,
    GENERATE,
    NO_OVERRIDE,
    PAGE_OF,
    REPO,
    TODAY,
    TODAY_EPOCH,
    VISIT,
    assert_failed_cleanly,
    can_drop_root_powers,
    cli,
    copy_project,
    demo_seal_files,
    error_lines,
    line_of,
    norm,
    page_texts,
    render_info,
    replace_line,
    run_cli,
)

try:
    from tests.smtp_server import HOST, MailServer, RawServer
except ModuleNotFoundError:  # tests/ itself is on sys.path (pytest's default "prepend" import mode)
    from smtp_server import HOST, MailServer, RawServer


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


# --- PostgreSQL, for the records tests that run on both backends ---------------------------------------------


@pytest.fixture(scope="session")
def pg_server():
    """One real PostgreSQL server for the session (tests/pg_server.py); each test takes a database of its own."""
    try:
        from tests.pg_server import PgServer
    except ModuleNotFoundError:
        from pg_server import PgServer

    server = PgServer()
    yield server
    server.close()

"""The in-process CLI runner (support.cli) gives what a subprocess gives, and leaves this process as it was."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from support import VISIT, cli, copy_project, run_cli

SAME = [
    pytest.param(("list",), id="list"),
    pytest.param(("info", "--help"), id="help"),
    pytest.param(("info", "--patient", "Ana Lima", *VISIT, "-o", "a.pdf"), id="made"),
    pytest.param(("info", "--patient", "Ana Lima", "--bogus"), id="usage-error"),
    pytest.param(("info", "--patient", "Ana Lima", "--dob", "1984-02-30", "--therapist", "Sam Patel"),
                 id="bad-input"),
    pytest.param(("nosuch",), id="no-such-command"),
]


@pytest.mark.parametrize("args", SAME)
def test_in_process_and_subprocess_give_the_same_result(tmp_path: Path, args: tuple[str, ...]) -> None:
    copy_project(tmp_path / "a")
    copy_project(tmp_path / "b")
    process = run_cli(*args, cwd=tmp_path / "a")
    here = cli(*args, cwd=tmp_path / "b")
    assert (here.returncode, here.stdout, here.stderr) == (process.returncode, process.stdout, process.stderr)
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == sorted(p.name for p in (tmp_path / "a").iterdir())


def test_the_process_is_left_as_it_was(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATIENTDOCS_DEBUG", "1")  # removed for the command, back afterwards
    before = (os.getcwd(), dict(os.environ), signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT))
    result = cli("info", "--patient", "Ana Lima", *VISIT, "-o", "a.pdf", cwd=project, env={"TZ": "Pacific/Auckland"})
    assert result.returncode == 0, result.stderr
    assert (os.getcwd(), dict(os.environ), signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == before


def test_an_unexpected_exception_gives_the_cli_s_exit_codes(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from patientdocs.usecases import status

    def broken(config):
        raise RuntimeError("patient data that must not be shown")

    monkeypatch.setattr(status, "content_status", broken)
    reported = cli("list", cwd=project)
    assert reported.returncode == 70
    assert reported.stderr.startswith("Error: unexpected problem (RuntimeError).")
    debugged = cli("list", cwd=project, env={"PATIENTDOCS_DEBUG": "1"})  # let out, as Python reports it
    assert debugged.returncode == 1
    assert debugged.stderr.startswith("Traceback (most recent call last):")
    assert debugged.stderr.rstrip().endswith("RuntimeError: patient data that must not be shown")

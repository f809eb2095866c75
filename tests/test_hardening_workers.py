"""Worker processes end with the batch that started them: killed outright (kill -9) or crashed,
the run leaves no process behind that waits for work forever."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support import GENERATE, cli_env

ROW = "2026-12-01,{h:02d}:{m:02d},Patient {n},1980-01-{d:02d},W-{n},Sam Patel,en,,packet\n"


def children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            found |= {int(x) for x in (task / "children").read_text().split()}
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux's /proc")
def test_workers_exit_when_the_batch_is_killed(project: Path) -> None:
    rows = "".join(ROW.format(h=8 + n // 12, m=(n % 12) * 5, n=n, d=1 + n % 28) for n in range(60))
    (project / "day.csv").write_text("date,time,patient_name,dob,patient_id,therapist,language,email,documents\n"
                                     + rows, encoding="utf-8")
    env = cli_env()  # a process of its own: its workers are killed with it
    batch = subprocess.Popen([sys.executable, str(GENERATE), "batch", "day.csv", "-o", "day", "--workers", "2"],
                             cwd=project, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers: set[int] = set()
    try:
        deadline = time.monotonic() + 60
        while len(workers) < 2 and time.monotonic() < deadline and batch.poll() is None:
            workers = children(batch.pid)
            time.sleep(0.05)
        assert len(workers) >= 2, "the batch never started its workers"
        batch.send_signal(signal.SIGKILL)
        batch.wait(timeout=10)
        deadline = time.monotonic() + 10
        while any(alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = [w for w in workers if alive(w)]
        assert not left, f"workers still running after the batch was killed: {left}"
    finally:
        batch.kill()
        for worker in workers:
            with contextlib.suppress(OSError):
                os.kill(worker, signal.SIGKILL)

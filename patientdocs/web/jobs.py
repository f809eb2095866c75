"""The day's print run in the background, so the page can show its progress as it goes.

One print run at a time: the batch keeps its worker state per process, and two runs into one
folder would each clear the other's print-all.pdf."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Job:
    owner: str
    done: int = 0
    total: int = 0
    finished: bool = False
    result: Any = None
    error: str | None = None
    audited: bool = False  # its end is in the log of actions
    started: threading.Event = field(default_factory=threading.Event)


class Jobs:
    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._one_run = threading.Lock()

    def start(self, owner: str, work: Callable[[Callable[[int, int], None]], Any]) -> str:
        """Run ``work(progress)`` in a thread; returns the job's id (random, safe in a URL)."""
        job_id = secrets.token_urlsafe(16)
        job = Job(owner)
        with self._lock:
            self._jobs[job_id] = job

        def progress(done: int, total: int) -> None:
            job.done, job.total = done, total

        def run() -> None:
            from patientdocs.errors import PatientDocsError

            with self._one_run:
                try:
                    job.result = work(progress)
                except PatientDocsError as exc:
                    job.error = str(exc)
                except KeyboardInterrupt as exc:
                    job.error = getattr(exc, "message", "Stopped.")
                except Exception as exc:  # the text may hold patient data: only the type is shown
                    job.error = (f"unexpected problem ({type(exc).__name__}). Files already finished are "
                                 "complete; make the print run again to finish it.")
                finally:
                    job.finished = True

        threading.Thread(target=run, name="print-run", daemon=True).start()
        return job_id

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

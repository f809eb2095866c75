"""print-all.pdf joined while the day's files are made, so joining adds little to the run's time.

Workers finish rows out of order: a made file waits (only its outcome, its file is on disk)
until every row before it in the day's order is done, then is copied into the file being
written. The cover sheet lists every row, so it is made last and put first (see
``printrun.Joiner``). The file is written under a temporary name; the caller renames it when
it is whole, or removes it.

A full disk (or any OSError) while joining does not stop the run: the rows are still made,
and ``finish`` raises the error for the caller to report, as it would have joining at the end.
So does a file that cannot be read to join it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from pathlib import Path

from patientdocs.batch.run import Job, Outcome
from patientdocs.deliver import printrun
from patientdocs.deliver.output import remove_quietly
from patientdocs.errors import PatientDocsError


class PrintAll:
    def __init__(self, jobs: list[Job], partial: Path, *, duplex: bool, blank_text: str, seed: str,
                 lang: str) -> None:
        """``jobs`` in the day's order (run.day_order); ``lang``: the cover sheet's language."""
        self.partial = partial
        self._turn = {job.target: i for i, job in enumerate(jobs)}  # targets are unique (run.plan)
        self._waiting: dict[int, Outcome] = {}
        self._next = 0  # the turn of the next row to join
        self._error: OSError | PatientDocsError | None = None
        self._joiner: printrun.Joiner | None = None
        try:
            self._joiner = printrun.Joiner(partial, duplex=duplex, blank_text=blank_text, seed=seed, lang=lang)
        except OSError as exc:
            self._failed(exc)

    @property
    def joined(self) -> int:
        """How many rows' turns have passed: joined, or skipped as not made."""
        return self._next

    def done(self, outcome: Outcome) -> None:
        """A row is done (made, reused or failed): join it, and any waiting for it, when their turn comes."""
        self._waiting[self._turn[outcome.job.target]] = outcome
        while self._next in self._waiting:
            ready = self._waiting.pop(self._next)
            self._next += 1
            if ready.error is None and self._joiner is not None:
                try:
                    self._joiner.add(ready.job.target)
                except (OSError, PatientDocsError) as exc:
                    self._failed(exc)

    def _failed(self, exc: OSError | PatientDocsError) -> None:
        self._error = exc
        with contextlib.suppress(OSError):  # closing flushes, which a full disk refuses too
            self.discard()  # a full disk gets its room back now

    def finish(self, cover: Iterable[printrun.Part]) -> None:
        """Put the cover's parts first and end the file; raises what stopped the join, if anything did."""
        if self._error is not None:
            raise self._error
        if self._joiner is None or self._next != len(self._turn):
            raise RuntimeError("print-all.pdf can only be finished once, after every row is done")
        joiner, self._joiner = self._joiner, None
        try:
            joiner.finish(cover)
        finally:
            joiner.close()  # flushed here: whole on disk before the caller renames it

    def discard(self) -> None:
        """Close and remove the unfinished file (a stopped or failed run)."""
        joiner, self._joiner = self._joiner, None
        try:
            if joiner is not None:
                joiner.close()
        finally:
            remove_quietly(self.partial)

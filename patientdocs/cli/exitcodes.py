"""The exit codes of every command, in one place."""

from __future__ import annotations

from enum import IntEnum


class Exit(IntEnum):
    OK = 0
    SOME_FAILED = 1  # some rows not made, an email not sent, a PDF changed: the reason is shown
    BAD_INPUT = 2  # bad input or settings: nothing was done
    UNEXPECTED = 70  # a bug: reported without patient data
    INTERRUPTED = 130  # Ctrl-C or kill: whole files only were left

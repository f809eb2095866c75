"""The one exception family whose text is what the user reads.

Every problem caused by input (a file, an option, a row) is raised as a PatientDocsError.
The CLI prints ``str(error)`` on one line per problem and exits with ``exit_code``; nothing
else is ever shown to the user, so the message must say what is wrong and where. ``field``
names the one input a message is about ("patient", "dob", "date", "to" ...), so a form can
show it beside that field.
"""

from __future__ import annotations

from pathlib import Path


def where(source: str | Path | None, line: int | None = None) -> str:
    """``file:line`` (or just ``file``) for the start of an error message."""
    if source is None:
        return ""
    return f"{source}:{line}" if line else f"{source}"


def shown(value: str, limit: int = 40) -> str:
    """A value quoted back to the user: one line, invisible characters as escapes (a reversing mark
    would reorder the message), at most ``limit`` characters ("…" marks the cut)."""
    one_line = " ".join(str(value).split())
    visible = "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in one_line)
    return visible if len(visible) <= limit else visible[: limit - 1] + "…"


class PatientDocsError(Exception):
    """A problem the user can fix. ``str()`` is the complete message."""

    exit_code = 2

    def __init__(self, message: str, *, source: str | Path | None = None, line: int | None = None,
                 field: str | None = None):
        self.message = message
        self.source = source
        self.line = line
        self.field = field
        super().__init__(self.__str__())

    def __str__(self) -> str:
        prefix = where(self.source, self.line)
        return f"{prefix}: {self.message}" if prefix else self.message


class ProblemListError(PatientDocsError):
    """Several problems found in one pass over a file, reported together."""

    def __init__(self, problems: list[PatientDocsError]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class UnsupportedCharactersError(PatientDocsError):
    """Text holds characters that none of the bundled fonts can draw."""


class DeliveryError(PatientDocsError):
    """Sending an email failed; nothing was recorded as sent."""

    exit_code = 1
    # True when the server may have the message after all (the connection broke after it was sent).
    maybe_sent = False
    # The passphrase for the patient (usecases.email.Handover) when the message may have gone all the same.
    handover: object = None


class Interrupted(KeyboardInterrupt):
    """Ctrl-C or ``kill`` during long work, with what was finished and what to do now."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

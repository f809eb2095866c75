"""Read a settings or content file as UTF-8 text; every failure is a one-line user error."""

from __future__ import annotations

from pathlib import Path

from patientdocs.errors import PatientDocsError


def read(path: Path) -> tuple[bytes, str]:
    """The file's exact bytes and its text."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise PatientDocsError("file not found", source=path) from None
    except IsADirectoryError:
        raise PatientDocsError("is a folder, not a file", source=path) from None
    except OSError as exc:
        raise PatientDocsError(f"cannot read file ({exc.strerror})", source=path) from None
    try:
        return raw, raw.decode("utf-8")
    except UnicodeDecodeError:
        raise PatientDocsError("not UTF-8 text; save the file as UTF-8", source=path) from None

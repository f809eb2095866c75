"""Read a settings or content file as UTF-8 text; every failure is a one-line user error."""

from __future__ import annotations

from pathlib import Path

from patientdocs.errors import PatientDocsError

# Settings and content files are a few kilobytes: anything far larger is the wrong file, and
# reading it whole would take the memory (a device such as /dev/zero never ends at all).
MAX_BYTES = 10 * 1024 * 1024


def read(path: Path) -> tuple[bytes, str]:
    """The file's exact bytes and its text."""
    try:
        if path.exists() and not path.is_file() and not path.is_dir():
            # A pipe would wait for a writer forever, a device may never end.
            raise PatientDocsError("is not a regular file (a device or a pipe)", source=path)
        with path.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
        if len(raw) > MAX_BYTES:
            raise PatientDocsError(f"is larger than {MAX_BYTES // (1024 * 1024)} MB; is it the right file?",
                                   source=path)
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

"""Writing files: safe names inside the output folder, and never a half-written file."""

from __future__ import annotations

import contextlib
import errno
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from patientdocs.errors import PatientDocsError

# Patient documents, emails and records are for the clinic's own account only: other users of the
# same computer must not read them, whatever the umask (a default of 022 would make them public).
FILE_MODE = 0o600
FOLDER_MODE = 0o700
# Every temporary file this tool makes starts with this: only such files are ever cleared, never
# another program's hidden ".something.part" that happens to sit in the same folder.
TEMP_PREFIX = ".patientdocs-"

# Letters that have no accent-free decomposition, and the Greek and Cyrillic alphabets, so a
# file name still shows who it is for ("Łukasz" -> "lukasz", "Дмитрий" -> "dmitrii").
_LATIN = {"ł": "l", "đ": "d", "ı": "i", "ø": "o", "ß": "ss", "æ": "ae", "œ": "oe", "þ": "th", "ð": "d", "ħ": "h"}
_GREEK = dict(zip("αβγδεζηθικλμνξοπρσςτυφχψω", ["a", "v", "g", "d", "e", "z", "i", "th", "i", "k", "l", "m", "n",
                                                "x", "o", "p", "r", "s", "s", "t", "y", "f", "ch", "ps", "o"],
                  strict=True))
_CYRILLIC = dict(zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюяіїєґ",
                     ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "i", "k", "l", "m", "n", "o", "p", "r", "s",
                      "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya", "i", "i", "ie", "g"],
                     strict=True))
_TRANSLITERATE = str.maketrans({**_LATIN, **_GREEK, **_CYRILLIC})


def slug(text: str, fallback: str = "patient", limit: int = 40) -> str:
    """ASCII letters, digits and hyphens only: safe on every file system and in every shell."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))
    ascii_text = plain.translate(_TRANSLITERATE).encode("ascii", "ignore").decode("ascii")
    cleaned = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return cleaned[:limit].strip("-") or fallback


def inside(folder: Path, name: str) -> Path:
    """``folder/name``, refusing any name that would leave the folder."""
    if not name or name != Path(name).name or name in (".", ".."):
        raise PatientDocsError(f"'{name}' is not a plain file name")
    path = folder / name
    if path.resolve().parent != folder.resolve():
        raise PatientDocsError(f"'{name}' would be written outside {folder}")
    return path


def check_writable(path: Path) -> None:
    """Fail before any work is done if ``path`` cannot be written."""
    folder = path.parent if str(path.parent) else Path(".")
    if str(path) == "-":  # the usual "standard output": a PDF is not written to a terminal
        raise PatientDocsError("cannot write '-': the document is saved as a file; give a file name ending in .pdf")
    if path.is_dir():
        raise PatientDocsError(f"cannot write '{path}': it is a folder; give a file name ending in .pdf")
    if path.exists() and not path.is_file():  # /dev/full, a pipe: replacing it would break the system
        raise PatientDocsError(f"cannot write '{path}': it is not an ordinary file; give a file name ending in .pdf")
    if not folder.exists():
        raise PatientDocsError(f"cannot write '{path}': the folder '{folder}' does not exist")
    if not folder.is_dir():
        raise PatientDocsError(f"cannot write '{path}': '{folder}' is not a folder")
    check_folder_writable(folder, f"cannot write '{path}'")


def check_folder_writable(folder: Path, what: str | None = None) -> None:
    """Really create (and remove) a file in ``folder``: permission bits alone miss read-only disks,
    network shares and root without the right capabilities."""
    try:
        fd, probe = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}write-test.", suffix=".part", dir=folder)
    except OSError as exc:
        reason = "no permission to write there" if isinstance(exc, PermissionError) else exc.strerror
        raise PatientDocsError(f"{what or f'cannot write in {folder}'}: {reason} ('{folder}')") from None
    os.close(fd)
    remove_quietly(Path(probe))


LOCK_NAME = f"{TEMP_PREFIX}run.lock"


@contextlib.contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """Hold the folder's lock for one print run, or refuse at once if another run holds it.

    Two runs into one folder would clear each other's temporary files and half-made print-all.pdf.
    The lock is the kernel's (flock), so a run that is killed or crashes lets go of it by itself.
    The lock file is removed when the run ends; a run that locked a file just removed (the inode
    no longer at the path) takes the new one instead, so two runs never hold two different files."""
    import fcntl

    path = folder / LOCK_NAME
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), FILE_MODE)
        except OSError as exc:
            raise PatientDocsError(f"cannot write in {folder} ({exc.strerror})") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise PatientDocsError(f"another run is making {folder} now; wait until it has finished, or "
                                   "choose another folder with -o") from None
        held = os.fstat(fd)
        try:
            now = os.stat(path)
        except FileNotFoundError:
            now = None
        if now is not None and (now.st_ino, now.st_dev) == (held.st_ino, held.st_dev):
            break
        os.close(fd)
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)  # still holding the lock: see above
        os.close(fd)


def temp_name(path: Path, tag: str) -> Path:
    """A hidden temporary file beside ``path`` with the tool's own prefix (``tag`` keeps it unique)."""
    # Shortened: the prefix and tag must not push a long file name past the file system's limit.
    return path.with_name(f"{TEMP_PREFIX}{path.name[:120]}.{tag}.part")


def open_private(path: Path) -> BinaryIO:
    """``path`` opened for writing (created or emptied), readable by its owner only."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0), FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)  # the mode given to open() passes through the umask, and an old file keeps its own
    except BaseException:
        os.close(fd)
        raise
    return os.fdopen(fd, "wb")


def create_private(path: Path) -> None:
    """Create ``path`` empty and private if it does not exist yet; an existing file is left alone."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), FILE_MODE)
    except FileExistsError:
        return  # already there (perhaps made by another run this very moment): not ours to change
    try:
        os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)


def write_temp(path: Path, data: bytes) -> Path:
    """Write ``data`` to a hidden temporary file beside ``path`` (same disk, so a rename is atomic).

    The file is private (``FILE_MODE``) and keeps that mode when renamed into place."""
    if path.is_dir():
        raise PatientDocsError(f"cannot write '{path}': it is a folder")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{path.name[:120]}.", suffix=".part",
                                   dir=path.parent or ".")
    except OSError as exc:
        raise PatientDocsError(f"cannot write '{path}' ({exc.strerror})") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), FILE_MODE)  # mkstemp's 0600 passes through the umask
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException as exc:
        remove_quietly(Path(tmp))
        if isinstance(exc, OSError):
            raise PatientDocsError(f"cannot write '{path}' ({exc.strerror})") from None
        raise
    return Path(tmp)


def remove_stale_parts(folder: Path, *, older_than: float = 3600) -> None:
    """Hidden temporary files left by a run that was killed outright (kill -9, a power cut).

    They hold a patient's document, so they are not left lying around; a file younger than
    ``older_than`` seconds may belong to a run still going, and is kept. Only this tool's own
    files (``TEMP_PREFIX``) are touched: the folder may be shared with other programs."""
    import time

    cutoff = time.time() - older_than
    for leftover in folder.glob(f"{TEMP_PREFIX}*.part"):
        with contextlib.suppress(OSError):
            if leftover.is_file() and leftover.stat().st_mtime <= cutoff:
                leftover.unlink()


def remove_quietly(path: Path | None) -> None:
    if path is not None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


def atomic_write(path: Path, data: bytes) -> None:
    """Write to a temporary file beside ``path``, then rename: readers never see part of a file."""
    tmp = write_temp(path, data)
    try:
        os.replace(tmp, path)
    except OSError as exc:
        remove_quietly(tmp)
        raise PatientDocsError(f"cannot write '{path}' ({exc.strerror})") from None


def ensure_folder(folder: Path) -> Path:
    """``folder``, created (with any missing parents) if needed.

    A folder made here is private (``FOLDER_MODE``) whatever the umask; one that already exists
    is left as its owner set it up."""
    try:
        missing = []
        level = folder
        while not level.exists() and level != level.parent:  # exists() may raise: no permission to look
            missing.append(level)
            level = level.parent
        for level in reversed(missing):
            try:
                os.mkdir(level, FOLDER_MODE)
            except FileExistsError:
                if level.is_dir():
                    continue  # made by another run at this very moment: not ours to change
                raise
            os.chmod(level, FOLDER_MODE)  # mkdir's mode passes through the umask
        if not folder.is_dir():
            raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST))
    except OSError as exc:
        raise PatientDocsError(f"cannot create the folder '{folder}' ({exc.strerror})") from None
    return folder

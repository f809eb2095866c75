"""What the pages' forms share: the visit as typed, errors beside their fields, uploads kept
privately, and files handed out only from the output folder."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

from flask import abort, g, request, send_file

from patientdocs.errors import PatientDocsError
from patientdocs.usecases.saving import VisitInput

VISIT_FIELDS = ("patient", "dob", "patient_id", "therapist", "date", "language", "treatment")
TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")


def typed(name: str) -> str | None:
    value = request.form.get(name, "")
    return value if value.strip() else None


def visit_from_form(*, aftercare: bool = False) -> VisitInput:
    """The visit exactly as typed: the use case checks every value, as for the command line."""
    areas: tuple[str, ...] = ()
    if aftercare:
        areas = tuple(line.strip() for line in request.form.get("areas", "").splitlines() if line.strip())
    chest = request.form.get("chest_region") if aftercare else None
    return VisitInput(patient=request.form.get("patient", ""), dob=typed("dob"), patient_id=typed("patient_id"),
                      therapist=typed("therapist"), date=typed("date"), language=typed("language"),
                      treatment=typed("treatment"), areas=areas, estim=aftercare and "estim" in request.form,
                      next_visit=typed("next_visit") if aftercare else None,
                      note=typed("note") if aftercare else None,
                      chest_region=chest if chest in ("yes", "no") else None)


def error_place(exc: PatientDocsError, known: tuple[str, ...]) -> tuple[dict[str, str], str | None]:
    """(errors by field, error for the page): beside its field when the form has that field."""
    field = exc.field
    if field == "lang":
        field = "language"
    if field in known:
        return {field: exc.message if exc.source is None else str(exc)}, None
    return {}, str(exc)


# --- uploads -------------------------------------------------------------------------------------------------


UPLOADS_KEPT = 24 * 3600  # a day's list is needed for a day; then it goes (it holds patient data)


def upload_folder(config) -> Path:
    """Uploads of this account, in a private hidden folder of the output folder; any older than a
    day (of any account) are removed first."""
    import shutil
    import time

    from patientdocs.deliver.output import ensure_folder

    ensure_folder(config.output_dir)
    uploads = ensure_folder(config.output_dir / ".uploads")
    for old in uploads.glob("*/*"):
        try:
            if old.is_dir() and time.time() - old.stat().st_mtime > UPLOADS_KEPT:
                shutil.rmtree(old, ignore_errors=True)
        except OSError:
            continue
    return ensure_folder(uploads / g.user)


def forget_upload(config, token: str | None) -> None:
    """Remove an upload of this account that is no longer needed (an earlier day's list)."""
    import shutil

    path = find_upload(config, token)
    if path is not None:
        shutil.rmtree(path.parent, ignore_errors=True)


def keep_upload(config, field: str, suffixes: tuple[str, ...], limit: int) -> tuple[str, Path]:
    """Save an uploaded file privately, under its own (cleaned) name; returns (token, path)."""
    from werkzeug.utils import secure_filename

    from patientdocs.deliver.output import atomic_write, ensure_folder

    upload = request.files.get(field)
    if upload is None or not upload.filename:
        raise PatientDocsError("choose a file first", field=field)
    name = secure_filename(upload.filename) or "upload"
    if not name.lower().endswith(suffixes):
        raise PatientDocsError(f"'{name}' is not a {' or '.join(suffixes)} file", field=field)
    data = upload.stream.read(limit + 1)
    if len(data) > limit:
        raise PatientDocsError(f"'{name}' is larger than {limit // (1024 * 1024)} MB", field=field)
    token = secrets.token_urlsafe(16)
    folder = ensure_folder(upload_folder(config) / token)
    path = folder / name
    atomic_write(path, data)
    return token, path


def private_path_hidden(text: str, path: Path) -> str:
    """A message about an upload names the file as the user chose it, not the private folder."""
    return text.replace(str(path), path.name)


def find_upload(config, token: str | None) -> Path | None:
    """This account's upload with this token, or None (a token of another account is not found)."""
    if not token or not TOKEN.fullmatch(token):
        return None
    folder = config.output_dir / ".uploads" / g.user / token
    files = sorted(folder.glob("*")) if folder.is_dir() else []
    return files[0] if files else None


# --- files from the output folder ----------------------------------------------------------------------------


def relative(config, path: Path) -> str | None:
    """A path as the download form names it: relative to the output folder, or None if outside."""
    try:
        return path.resolve().relative_to(config.output_dir.resolve()).as_posix()
    except (ValueError, OSError):
        return None


def output_file(config, name: str) -> Path:
    """The file ``name`` inside the output folder; anything else is not found (404)."""
    root = config.output_dir.resolve()
    if not name or "\x00" in name or Path(name).is_absolute():
        abort(404)
    try:
        path = (root / name).resolve(strict=True)
        path.relative_to(root)
    except (OSError, ValueError, RuntimeError):
        abort(404)
    parts = path.relative_to(root).parts
    # Only the documents and the print run's report: never an upload or a temporary file.
    if any(part.startswith(".") for part in parts) or path.suffix.lower() not in (".pdf", ".txt"):
        abort(404)
    if not path.is_file():
        abort(404)
    return path


def send_output(path: Path, *, download: bool):
    mimetype = "application/pdf" if path.suffix.lower() == ".pdf" else "text/plain; charset=utf-8"
    return send_file(path, mimetype=mimetype, as_attachment=download, download_name=path.name, max_age=0,
                     conditional=False, etag=False)


def pdf_response(data: bytes, name: str):
    """A PDF made for the screen only (a preview): nothing is saved."""
    from flask import current_app

    response = current_app.response_class(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    return response

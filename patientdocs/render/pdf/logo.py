"""The clinic's logo: checked once, before it is drawn on every page."""

from __future__ import annotations

from pathlib import Path

from patientdocs.errors import PatientDocsError

# Beyond this many pixels a logo is a photograph or a mistake, and would bloat every PDF.
MAX_PIXELS = 25_000_000


def check_logo(path: Path) -> None:
    """Refuse a logo that is not a readable PNG or JPEG picture of a sensible size."""
    from PIL import Image

    def refuse(reason: str) -> PatientDocsError:
        return PatientDocsError(f"clinic.logo: '{path}' {reason}; use a PNG or JPEG picture")

    try:
        with Image.open(path) as image:
            kind, (width, height) = image.format, image.size
            if kind not in ("PNG", "JPEG"):
                raise refuse(f"is a {kind} picture")
            if width * height > MAX_PIXELS:
                raise refuse(f"is {width} x {height} pixels, too large for a logo")
            image.verify()  # a truncated or damaged file fails here, not half-way through a document
    except PatientDocsError:
        raise
    except Image.DecompressionBombError:
        raise refuse("is far too large for a logo") from None
    except (OSError, SyntaxError, ValueError) as exc:
        reason = "is not a picture" if isinstance(exc, Image.UnidentifiedImageError) else "is damaged"
        raise refuse(reason) from None

"""The passphrase slip (``email --slip``): one page to print and hand to the patient.

It holds the one-time passphrase that opens the emailed documents, so it is written readable by
its owner only (mode 0600) and under a name that says nothing about the patient; the sender is
told to delete it once printed. It is the only file the passphrase is ever written to.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
import secrets
import tempfile
from pathlib import Path

from patientdocs.deliver.output import inside, remove_quietly
from patientdocs.errors import PatientDocsError


def render_slip(*, clinic_name: str, clinic_phone: str, brand_colour: str, paper: str, patient: str,
                recipient: str, passphrase: str, day: dt.date, documents: int, large_print: bool = False) -> bytes:
    """The slip as a PDF: who it is for, where the documents went, the passphrase in large letters.

    ``large_print``: like the documents it goes with, 16 pt text with 1.5 line spacing."""
    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from patientdocs.render.pdf import fonts
    from patientdocs.render.pdf.render import PAPER

    fonts.register()
    brand = colors.HexColor(brand_colour)
    text, title = (16, 19) if large_print else (13, 16)
    body = ParagraphStyle("slip", fontName=fonts.MAIN, fontSize=text, leading=text * 1.5 if large_print else 17,
                          spaceAfter=5)
    head = ParagraphStyle("slip_head", parent=body, fontName=fonts.MAIN + "-Bold", fontSize=title,
                          leading=title * 1.25, textColor=brand)
    # Atkinson Hyperlegible tells l, I and 1 apart; large, so it is read and typed without mistakes.
    # On one line, never broken at a hyphen: a long passphrase is set smaller instead.
    from reportlab.pdfbase.pdfmetrics import stringWidth

    room = (150 - 16) * mm
    size = min(24.0, room / stringWidth(passphrase, fonts.MAIN + "-Bold", 1) * 0.98)
    secret = ParagraphStyle("slip_secret", parent=body, fontName=fonts.MAIN + "-Bold", fontSize=size,
                            leading=size * 1.25, spaceBefore=6, spaceAfter=10)
    them = "them" if documents > 1 else "it"
    what = f"{documents} documents" if documents > 1 else "a document"
    on = f"{day.day} {day:%B %Y}"
    story = [
        Paragraph(fonts.inline(" ".join(clinic_name.split())), head),
        Paragraph(fonts.inline(f"Password for {' '.join(patient.split())}"), body),
        Paragraph(fonts.inline(f"On {on} we emailed {what} to {recipient}. To open {them}, type this "
                               "password:"), body),
        Paragraph(fonts.escape(passphrase), secret),
        Paragraph("Type it exactly as shown: small letters, with a hyphen (-) between the words. "
                  f"It works only for the {'documents' if documents > 1 else 'document'} sent that day.", body),
        Paragraph(fonts.inline(f"Keep this slip private. Questions? Call us on {' '.join(clinic_phone.split())}."),
                  body),
    ]
    box = Table([[story]], colWidths=[150 * mm])
    box.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 1.2, brand),
                             ("LEFTPADDING", (0, 0), (-1, -1), 8 * mm), ("RIGHTPADDING", (0, 0), (-1, -1), 8 * mm),
                             ("TOPPADDING", (0, 0), (-1, -1), 6 * mm), ("BOTTOMPADDING", (0, 0), (-1, -1), 4 * mm)]))
    out = io.BytesIO()
    # No patient data in the metadata: a file manager shows it without opening the file.
    doc = SimpleDocTemplate(out, pagesize=PAPER[paper], leftMargin=20 * mm, rightMargin=20 * mm,
                            topMargin=20 * mm, bottomMargin=20 * mm, title="Password slip",
                            author=" ".join(clinic_name.split()), creator="patientdocs", producer="patientdocs",
                            invariant=True)
    doc.build([Spacer(1, 2 * mm), box])
    return out.getvalue()


def write_slip(folder: Path, day: dt.date, data: bytes) -> Path:
    """Save the slip as ``<day>_passphrase-slip-<random>.pdf`` in ``folder``, mode 0600, never
    replacing a file; the path is returned."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=".passphrase-slip.", suffix=".part", dir=folder)  # mode 0600
    except OSError as exc:
        raise PatientDocsError(f"cannot write the passphrase slip in '{folder}' ({exc.strerror})") from None
    part = Path(tmp)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(part, 0o600)
        for _ in range(20):
            # The name is random, not the patient's: anyone may see a folder's file names.
            target = inside(folder, f"{day.isoformat()}_passphrase-slip-{secrets.token_hex(3)}.pdf")
            try:
                # Taking the name first means nothing is ever replaced; the rename then puts the
                # whole slip there at once.
                os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            except FileExistsError:
                continue
            try:
                os.replace(part, target)
            except OSError:
                remove_quietly(target)
                raise
            return target
        raise PatientDocsError(f"cannot find a free name for the passphrase slip in '{folder}'")
    except OSError as exc:
        raise PatientDocsError(f"cannot write the passphrase slip in '{folder}' ({exc.strerror})") from None
    finally:
        with contextlib.suppress(OSError):
            remove_quietly(part)

"""One file for the printer: a cover sheet and every patient's documents, fonts stored once.

Each patient's PDF is made on its own (by a worker process), so a run can stop and resume.
Joining them here keeps only one copy of each identical stream: the fonts, and every page
that holds no patient data (the page's text is byte-identical across patients because font
subset codes are seeded in a fixed order, see ``pdf.fonts.seed_subsets``).
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable
from pathlib import Path

from .errors import PatientDocsError


def _blank_page(pdf, size: tuple[float, float], text: str):
    import pikepdf

    width, height = size
    font = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1,
                                                BaseFont=pikepdf.Name.Helvetica))
    safe = text.encode("latin-1", "replace").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
    x = max(36.0, width / 2 - len(safe) * 2.8)
    stream = b"BT /F1 12 Tf 0.33 g %.1f %.1f Td (%s) Tj ET" % (x, height / 2, safe)
    page = pikepdf.Dictionary(
        Type=pikepdf.Name.Page, MediaBox=[0, 0, width, height],
        Resources=pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font)),
        Contents=pdf.make_stream(stream))
    return pikepdf.Page(pdf.make_indirect(page))


class _Dedupe:
    """Replace each stream by the first stream with the same bytes and dictionary."""

    def __init__(self) -> None:
        self.seen: dict[bytes, object] = {}

    def key(self, stream) -> bytes:
        import pikepdf

        digest = hashlib.sha256(stream.read_raw_bytes())
        for name, value in sorted(stream.stream_dict.items()):
            if name != "/Length":
                digest.update(name.encode() + repr(value if not isinstance(value, pikepdf.Object)
                                                   or not value.is_indirect else value.objgen).encode())
        return digest.digest()

    def stream(self, stream):
        key = self.key(stream)
        return self.seen.setdefault(key, stream)

    def fonts(self, resources) -> None:
        import pikepdf

        fonts = resources.get("/Font")
        if not isinstance(fonts, pikepdf.Dictionary):
            return
        for name in list(fonts.keys()):
            font = fonts[name]
            descriptors = [font]
            if "/DescendantFonts" in font:
                descriptors = list(font.DescendantFonts)
            for item in descriptors:
                descriptor = item.get("/FontDescriptor")
                if descriptor is None:
                    continue
                for key in ("/FontFile2", "/FontFile", "/FontFile3"):
                    if key in descriptor:
                        descriptor[key] = self.stream(descriptor[key])
            if "/ToUnicode" in font:
                font.ToUnicode = self.stream(font.ToUnicode)


def join(parts: Iterable[Path | bytes], *, duplex: bool, blank_text: str) -> bytes:
    """Join PDFs into one, each starting on a front side when ``duplex``; identical streams once."""
    import pikepdf

    out = pikepdf.new()
    dedupe = _Dedupe()
    sources = []
    try:
        for part in parts:
            try:
                src = pikepdf.open(io.BytesIO(part) if isinstance(part, bytes) else part)
            except pikepdf.PdfError as exc:
                raise PatientDocsError(f"cannot read {part if isinstance(part, Path) else 'a document'} "
                                       f"to join it ({exc})") from None
            sources.append(src)
            if duplex and len(out.pages) % 2 == 1:
                box = src.pages[0].mediabox
                out.pages.append(_blank_page(out, (float(box[2]), float(box[3])), blank_text))
            for page in src.pages:
                out.pages.append(page)
                copied = out.pages[-1]
                contents = copied.obj.get("/Contents")
                if isinstance(contents, pikepdf.Stream):
                    copied.obj.Contents = dedupe.stream(contents)
                resources = copied.obj.get("/Resources")
                if resources is not None:
                    dedupe.fonts(resources)
        buffer = io.BytesIO()
        out.save(buffer, deterministic_id=True, compress_streams=True,
                 object_stream_mode=pikepdf.ObjectStreamMode.generate)
        return buffer.getvalue()
    finally:
        for src in sources:
            src.close()
        out.close()

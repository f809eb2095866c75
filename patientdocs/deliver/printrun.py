"""One file for the printer: a cover sheet and every patient's documents, fonts stored once.

Each patient's PDF is made on its own (by a worker process), so a run can stop and resume.
Joining them here writes every object straight to the output file as it is met, and keeps
only one copy of identical objects: the fonts, and every page that holds no patient data
(its text is byte-identical across patients because font subset codes are seeded in a fixed
order, see ``pdf.fonts.seed_subsets``). Memory holds object numbers and content digests, not
the file, so a day of 1,000 appointments needs no more memory than a day of 100.
"""

from __future__ import annotations

import decimal
import hashlib
import io
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from patientdocs.deliver.output import open_private
from patientdocs.errors import PatientDocsError

_CATALOG, _PAGES = 1, 2


class _Writer:
    """A minimal PDF writer: objects are written once, in order, and found again by content."""

    def __init__(self, handle: BinaryIO) -> None:
        self.handle = handle
        self.position = 0
        self.digest = hashlib.sha256()
        self.offsets: list[int] = [0, 0, 0]  # object 0 is the free list's head; 1 and 2 are reserved
        self.seen: dict[bytes, int] = {}  # content digest -> object number
        self.kids: list[int] = []
        self._numbers: dict[tuple[int, int], int] = {}  # per source file: objgen -> object number
        self._keys: dict[tuple[int, int], bytes] = {}  # per source file: objgen -> content digest
        self._emit(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")

    def _emit(self, data: bytes) -> None:
        self.handle.write(data)
        self.digest.update(data)
        self.position += len(data)

    def _object(self, body: bytes, number: int | None = None) -> int:
        if number is None:
            self.offsets.append(0)
            number = len(self.offsets) - 1
        self.offsets[number] = self.position
        self._emit(b"%d 0 obj\n%s\nendobj\n" % (number, body))
        return number

    def next_source(self) -> None:
        self._numbers.clear()
        self._keys.clear()

    # -- content digests, the same for identical objects in any file ---------------------------------

    def key(self, obj) -> bytes:
        import pikepdf

        if isinstance(obj, pikepdf.Stream | pikepdf.Dictionary | pikepdf.Array):
            if obj.is_indirect and obj.objgen in self._keys:
                return self._keys[obj.objgen]
            digest = hashlib.sha256(type(obj).__name__.encode())
            if isinstance(obj, pikepdf.Stream):
                digest.update(obj.read_raw_bytes())
                items = sorted((k, v) for k, v in obj.stream_dict.items() if k != "/Length")
            elif isinstance(obj, pikepdf.Dictionary):
                items = sorted((k, v) for k, v in obj.items() if k != "/Parent")
            else:
                items = list(enumerate(obj))
            for name, value in items:
                digest.update(str(name).encode() + b"\0" + self.key(value) + b"\0")
            key = digest.digest()
            if obj.is_indirect:
                self._keys[obj.objgen] = key
            return key
        return self.value(obj)

    # -- serialising ---------------------------------------------------------------------------------

    def value(self, obj) -> bytes:
        """``obj`` as it is written where it is used (an indirect object as a reference)."""
        import pikepdf

        if isinstance(obj, pikepdf.Stream) or (isinstance(obj, pikepdf.Dictionary | pikepdf.Array)
                                               and obj.is_indirect):
            return b"%d 0 R" % self.number(obj)
        if isinstance(obj, pikepdf.Dictionary):
            return self.dictionary(obj.items())
        if isinstance(obj, pikepdf.Array):
            return b"[" + b" ".join(self.value(item) for item in obj) + b"]"
        if isinstance(obj, pikepdf.Name | pikepdf.String):
            return bytes(obj.unparse())
        if obj is None:
            return b"null"
        if isinstance(obj, bool):
            return b"true" if obj else b"false"
        if isinstance(obj, int):
            return b"%d" % obj
        if isinstance(obj, decimal.Decimal | float):
            return format(decimal.Decimal(str(obj)).normalize(), "f").encode()
        return bytes(pikepdf.Object.unparse(obj))

    def dictionary(self, items, extra: bytes = b"") -> bytes:
        import pikepdf

        parts = [bytes(pikepdf.Name(key).unparse()) + b" " + self.value(value)
                 for key, value in items if key not in ("/Parent", "/Length")]
        return b"<<" + b" ".join(parts) + extra + b">>"

    def number(self, obj) -> int:
        """The object number of an indirect object, written the first time its content is met."""
        import pikepdf

        if obj.objgen in self._numbers:
            return self._numbers[obj.objgen]
        key = self.key(obj)
        number = self.seen.get(key)
        if number is None:
            if isinstance(obj, pikepdf.Stream):
                raw = obj.read_raw_bytes()
                body = (self.dictionary(obj.stream_dict.items(), b" /Length %d" % len(raw))
                        + b"\nstream\n" + raw + b"\nendstream")
            else:
                body = self._direct(obj)
            number = self._object(body)
            self.seen[key] = number
        self._numbers[obj.objgen] = number
        return number

    def _direct(self, obj) -> bytes:
        import pikepdf

        if isinstance(obj, pikepdf.Dictionary):
            return self.dictionary(obj.items())
        return b"[" + b" ".join(self.value(item) for item in obj) + b"]"

    # -- pages ---------------------------------------------------------------------------------------

    def page(self, page_dict) -> None:
        """A page is never shared: the page tree lists each one once."""
        self.kids.append(self._object(self.dictionary(page_dict.items(), b" /Parent %d 0 R" % _PAGES)))

    def blank(self, width: float, height: float, text: str) -> None:
        font = self.seen.get(b"blank-font")
        if font is None:
            font = self._object(b"<</Type /Font /Subtype /Type1 /BaseFont /Helvetica>>")
            self.seen[b"blank-font"] = font
        safe = text.encode("latin-1", "replace").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
        content = b"BT /F1 12 Tf 0.33 g %.1f %.1f Td (%s) Tj ET" % (max(36.0, width / 2 - len(safe) * 2.8),
                                                                      height / 2, safe)
        stream_key = b"blank-" + hashlib.sha256(content + b"%.1f" % width).digest()
        stream = self.seen.get(stream_key)
        if stream is None:
            stream = self._object(b"<</Length %d>>\nstream\n%s\nendstream" % (len(content), content))
            self.seen[stream_key] = stream
        self.kids.append(self._object(
            b"<</Type /Page /Parent %d 0 R /MediaBox [0 0 %.2f %.2f] /Resources <</Font <</F1 %d 0 R>>>> "
            b"/Contents %d 0 R>>" % (_PAGES, width, height, font, stream)))

    def finish(self) -> None:
        kids = b" ".join(b"%d 0 R" % k for k in self.kids)
        self._object(b"<</Type /Pages /Count %d /Kids [%s]>>" % (len(self.kids), kids), _PAGES)
        self._object(b"<</Type /Catalog /Pages %d 0 R>>" % _PAGES, _CATALOG)
        xref = self.position
        lines = [b"xref\n0 %d\n" % len(self.offsets), b"0000000000 65535 f \n"]
        lines += [b"%010d 00000 n \n" % offset for offset in self.offsets[1:]]
        file_id = self.digest.hexdigest()[:32].encode()  # from the content: the same run, the same file
        lines.append(b"trailer\n<</Size %d /Root %d 0 R /ID [<%s> <%s>]>>\nstartxref\n%d\n%%%%EOF\n"
                     % (len(self.offsets), _CATALOG, file_id, file_id, xref))
        self._emit(b"".join(lines))


def join(parts: Iterable[Path | bytes | tuple[Path | bytes, bool]], target: Path, *, duplex: bool,
         blank_text: str) -> None:
    """Join PDFs into ``target``, each starting on a front side when ``duplex``; identical objects once.

    A part given as ``(pdf, False)`` continues the part before it (no blank page between)."""
    import pikepdf

    with open_private(target) as handle:
        writer = _Writer(handle)
        for item in parts:
            part, starts = item if isinstance(item, tuple) else (item, True)
            try:
                src = pikepdf.open(io.BytesIO(part) if isinstance(part, bytes) else part)
            except pikepdf.PdfError as exc:
                raise PatientDocsError(f"cannot read {part if isinstance(part, Path) else 'a document'} "
                                       f"to join it ({exc})") from None
            with src:
                writer.next_source()
                if duplex and starts and len(writer.kids) % 2 == 1:
                    box = src.pages[0].mediabox
                    writer.blank(float(box[2]), float(box[3]), blank_text)
                for page in src.pages:
                    writer.page(page.obj)
        writer.finish()

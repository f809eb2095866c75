"""One file for the printer: a cover sheet and every patient's documents, fonts stored once.

Each patient's PDF is made on its own (by a worker process), so a run can stop and resume.
Joining them here writes every object straight to the output file as it is met, and keeps
only one copy of identical objects: the fonts, and every page that holds no patient data
(its text is byte-identical across patients because font subset codes are seeded in a fixed
order, see ``pdf.fonts.seed_subsets``). Memory holds object numbers (4 bytes an object, some
600 a packet) and content digests, not the file: joining a day of 1,000 appointments needs a
few MB more than a day of 100 (measured: 2 to 3 MB), and nothing of a packet outlives its turn.

The joined file is tagged too: one structure tree whose Document holds a Part per document
(the cover, then each patient's documents, each with the structure it had), with its own
parent tree, written as each file's pages are.

A day's run joins while its workers are still making the packets (``Joiner``): each packet is
copied as soon as it and every packet before it are made, and the cover sheet, which lists
them all and so is made last, is written at the end. Its pages still come first: a PDF's page
order is that of the page tree's /Kids, and the structure tree's that of the Document's /K,
not where the objects sit in the file.
"""

from __future__ import annotations

import decimal
import hashlib
import io
import zlib
from array import array
from collections.abc import Iterable
from pathlib import Path
from typing import Any, BinaryIO

from patientdocs.deliver.output import open_private
from patientdocs.errors import PatientDocsError
from patientdocs.render.pdf.checks import number_tree

_CATALOG, _PAGES, _TREE, _DOCUMENT = 1, 2, 3, 4
_PACKED_32, _PACKED_64 = 1 << 31, 1 << 62  # the flag of an entry in an object stream (see _Writer)


class _Writer:
    """A minimal PDF writer: objects are written once, in order, and found again by content."""

    def __init__(self, handle: BinaryIO) -> None:
        self.handle = handle
        self.position = 0
        self.digest = hashlib.sha256()
        # Object 0 is the free list's head; 1 to 4 are reserved: catalog, pages, structure root, Document.
        # An object's entry: its offset in the file, or (``_packed_bit`` set) its object stream's
        # number * 512 + its index in it. 4 bytes each (8 were 5 MB of a 1,000-packet day's
        # 600,000 objects), widened to 8 should the file pass 2 GB.
        self.offsets = array("I", [0, 0, 0, 0, 0])
        self._packed_bit = _PACKED_32
        self._packed: list[tuple[int, bytes]] = []  # structure objects waiting for an object stream
        # Kept for the whole run, a few entries a page: arrays of machine integers (8 bytes an
        # entry), not lists of Python ints and tuples (up to 100), for memory flat over a long day.
        self.parts = array("q")  # the Part elements under the joined file's Document
        self.parent_tree = array("q")  # by key: the object number of that page's MCID array
        self.lang = ""
        self.title: str | None = None  # the first tagged source's, unless Joiner.finish says otherwise
        self.seen: dict[bytes, int] = {}  # content digest -> object number
        self.kids = array("q")  # the page objects, in order
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
        self._at(number, self.position)
        self._emit(b"%d 0 obj\n%s\nendobj\n" % (number, body))
        return number

    # Structure elements are many small dictionaries (hundreds per packet): packed into compressed
    # object streams they take a tenth of the room.
    _PACK = 500  # under 512: an index takes 9 bits of an entry (see offsets)

    def _packed_object(self, body: bytes, number: int | None = None) -> int:
        if number is None:
            number = self._reserve()
        self._packed.append((number, body))
        if len(self._packed) >= self._PACK:
            self._flush_packed()
        return number

    def _flush_packed(self) -> None:
        if not self._packed:
            return
        stream = self._reserve()
        header, bodies, offset = [], [], 0
        for index, (number, body) in enumerate(self._packed):
            header.append(b"%d %d" % (number, offset))
            bodies.append(body)
            offset += len(body) + 1
            self._in_stream(number, stream, index)
        head = b" ".join(header) + b"\n"
        data = zlib.compress(head + b"\n".join(bodies) + b"\n")
        self._object(b"<</Type /ObjStm /N %d /First %d /Filter /FlateDecode /Length %d>>\nstream\n%s\nendstream"
                     % (len(self._packed), len(head), len(data), data), stream)
        self._packed.clear()

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
                items: list[tuple[object, Any]] = sorted(
                    (k, v) for k, v in obj.stream_dict.items() if k != "/Length")
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

    def _at(self, number: int, offset: int) -> None:
        if offset >= self._packed_bit:
            self._widen()
        self.offsets[number] = offset

    def _in_stream(self, number: int, stream: int, index: int) -> None:
        if (stream << 9 | index) >= self._packed_bit:
            self._widen()
        self.offsets[number] = self._packed_bit | stream << 9 | index

    def _widen(self) -> None:
        if self.offsets.typecode == "q":
            return
        self.offsets = array("q", (e ^ _PACKED_32 | _PACKED_64 if e & _PACKED_32 else e for e in self.offsets))
        self._packed_bit = _PACKED_64

    def _reserve(self) -> int:
        self.offsets.append(0)
        return len(self.offsets) - 1

    def page(self, page_dict) -> int:
        """A page is never shared: the page tree lists each one once. Returns its number."""
        number = self._reserve()
        self._numbers[page_dict.objgen] = number  # structure elements point at their page
        extra = b" /Parent %d 0 R" % _PAGES
        items = [(k, v) for k, v in page_dict.items() if k != "/StructParents"]
        if "/StructParents" in page_dict:
            extra += b" /StructParents %d" % len(self.parent_tree)
            self.parent_tree.append(0)  # its array is written with the structure
        self._object(self.dictionary(items, extra), number)
        self.kids.append(number)
        return number

    # -- the structure tree --------------------------------------------------------------------------

    def structure(self, src, first_key: int) -> None:
        """The structure of ``src``, whose pages were just written: its documents become Parts
        of the joined Document, and its pages' MCID arrays entries of the joined parent tree."""
        import pikepdf

        root = src.Root.get("/StructTreeRoot")
        if root is None:
            return
        lang = str(src.Root.get("/Lang", ""))
        if not self.lang:
            self.lang = lang
        if self.title is None:
            self.title = str(src.docinfo.get("/Title", ""))
        top = root.K
        kids = list(top.K) if isinstance(top.get("/K"), pikepdf.Array) else [top.K]
        parts = kids if kids and all(isinstance(k, pikepdf.Dictionary) and k.get("/S") == "/Part"
                                     for k in kids) else [top]
        numbers: dict[tuple[int, int], int] = {}
        order = []

        for part in parts:
            # Depth first, each element before its kids, with a stack: a nested function calling
            # itself is a reference cycle, which kept every packet's elements (and so the whole
            # source file qpdf had read) alive until the garbage collector's rare full pass; on a
            # day of 1,000 packets that was tens of MB in the main process.
            stack = [part]
            while stack:
                element = stack.pop()
                numbers[element.objgen] = self._reserve()
                order.append(element)
                children = element.get("/K")
                stack.extend(kid for kid in reversed(children if isinstance(children, pikepdf.Array) else [children])
                             if isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") not in ("/MCR", "/OBJR"))
            self.parts.append(numbers[part.objgen])
        tops = {part.objgen for part in parts}

        def ref(obj) -> bytes:
            return b"%d 0 R" % (numbers.get(obj.objgen) or self._numbers[obj.objgen])

        def kid_value(kid) -> bytes:
            if isinstance(kid, pikepdf.Dictionary):
                if kid.get("/Type") == "/MCR":
                    return b"<</Type /MCR /Pg %s /MCID %d>>" % (ref(kid.Pg), int(kid.MCID))
                if kid.get("/Type") == "/OBJR":
                    return b"<</Type /OBJR /Obj %s /Pg %s>>" % (self.value(kid.Obj), ref(kid.Pg))
                return ref(kid)
            return self.value(kid)

        for element in order:
            fields = []
            for key, value in element.items():
                if key == "/P":
                    fields.append(b"/P %d 0 R" % _DOCUMENT if element.objgen in tops else b"/P " + ref(value))
                elif key == "/S" and element.objgen in tops:
                    fields.append(b"/S /Part")
                elif key == "/Pg":
                    fields.append(b"/Pg " + ref(value))
                elif key == "/K":
                    items = value if isinstance(value, pikepdf.Array) else [value]
                    written = b" ".join(kid_value(k) for k in items)
                    # One kid stands alone, as in the source: some readers expect a lone MCID so.
                    fields.append(b"/K " + (written if len(items) == 1 else b"[" + written + b"]"))
                else:
                    fields.append(bytes(pikepdf.Name(key).unparse()) + b" " + self.value(value))
            if element.objgen in tops and lang and lang != self.lang and "/Lang" not in element:
                fields.append(b"/Lang " + bytes(pikepdf.String(lang).unparse()))
            self._packed_object(b"<<" + b" ".join(fields) + b">>", numbers[element.objgen])
        entries: dict[int, object] = {}
        number_tree(root.get("/ParentTree", pikepdf.Dictionary()), entries)
        key = first_key
        for page in src.pages:
            if "/StructParents" not in page.obj:
                continue
            owners = entries.get(int(page.obj.StructParents))
            owners = owners if isinstance(owners, pikepdf.Array) else []
            self.parent_tree[key] = self._packed_object(b"[" + b" ".join(
                ref(o) if isinstance(o, pikepdf.Dictionary) else b"null" for o in owners) + b"]")
            key += 1

    # Rows compressed a block at a time: a day of 1,000 packets has some 600,000 objects, and a
    # list of their rows (a bytes object each) took over 80 MB at the very end of the run, the
    # main process's peak. zlib gives the same bytes however its input is split. The compressed
    # pieces are written one by one too: joined, and again formatted into the object, they were
    # two more copies of 1 to 2 MB at the very end.
    _XREF_BLOCK = 4096

    def _xref_rows(self) -> list[bytes]:
        packer = zlib.compressobj()
        out = [packer.compress(b"\x00\x00\x00\x00\x00\xff\xff")]
        bit = self._packed_bit
        for start in range(1, len(self.offsets), self._XREF_BLOCK):
            block = bytearray()
            for entry in self.offsets[start:start + self._XREF_BLOCK]:
                if entry & bit:
                    entry ^= bit
                    block += b"\x02" + (entry >> 9).to_bytes(4, "big") + (entry & 511).to_bytes(2, "big")
                else:
                    block += b"\x01" + entry.to_bytes(4, "big") + b"\x00\x00"
            out.append(packer.compress(block))
        out.append(packer.flush())
        return out

    def finish(self) -> None:
        import pikepdf

        from patientdocs.render.pdf.structure import xmp

        kids = b" ".join(b"%d 0 R" % k for k in self.kids)
        self._object(b"<</Type /Pages /Count %d /Kids [%s]>>" % (len(self.kids), kids), _PAGES)
        nums = b" ".join(b"%d %d 0 R" % entry for entry in enumerate(self.parent_tree))
        self._object(b"<</Type /StructTreeRoot /K %d 0 R /ParentTree <</Nums [%s]>> /ParentTreeNextKey %d>>"
                     % (_DOCUMENT, nums, len(self.parent_tree)), _TREE)
        self._object(b"<</Type /StructElem /S /Document /P %d 0 R /K [%s]>>"
                     % (_TREE, b" ".join(b"%d 0 R" % p for p in self.parts)), _DOCUMENT)
        title = bytes(pikepdf.String(self.title or "").unparse())
        lang = bytes(pikepdf.String(self.lang or "en").unparse())
        metadata = xmp(self.title or "", "", self.lang or "en").encode("utf-8")
        meta = self._object(b"<</Type /Metadata /Subtype /XML /Length %d>>\nstream\n%s\nendstream"
                            % (len(metadata), metadata))
        self.info = self._object(b"<</Title %s /Producer (patientdocs)>>" % title)
        self._object(b"<</Type /Catalog /Pages %d 0 R /StructTreeRoot %d 0 R /MarkInfo <</Marked true>> /Lang %s "
                     b"/ViewerPreferences <</DisplayDocTitle true>> /Metadata %d 0 R>>"
                     % (_PAGES, _TREE, lang, meta), _CATALOG)
        self._flush_packed()
        # A cross-reference stream, as compressed objects need (PDF 1.5): one row per object,
        # type (0 free, 1 in the file, 2 in an object stream), then offset or stream and index.
        number = self._reserve()
        self._at(number, self.position)
        data = self._xref_rows()
        file_id = self.digest.hexdigest()[:32].encode()  # from the content: the same run, the same file
        self._emit(b"%d 0 obj\n<</Type /XRef /Size %d /W [1 4 2] /Root %d 0 R /Info %d 0 R /ID [<%s> <%s>] "
                   b"/Filter /FlateDecode /Length %d>>\nstream\n"
                   % (number, len(self.offsets), _CATALOG, self.info, file_id, file_id, sum(map(len, data))))
        for piece in data:
            self._emit(piece)
        self._emit(b"\nendstream\nendobj\n")
        self._emit(b"startxref\n%d\n%%%%EOF\n" % self.offsets[number])


Part = Path | bytes | tuple[Path | bytes, bool]


def _page_size(src) -> tuple[float, float]:
    box = src.pages[0].mediabox
    return float(box[2]), float(box[3])


class Joiner:
    """A joined file written while its parts are still being made: ``add`` each part, in order, as
    it is ready; ``finish`` adds the parts that go first but are made last (a print run's cover
    sheet, which lists the others) and puts their pages and structure first.

    In duplex each part that starts (see ``join``) starts on a front side, the sides counted
    from the first page added; the parts ``finish`` puts first are followed by a blank page when
    they leave a back side free, so what is printed is what ``join`` of the parts in page order
    makes. ``lang``: the language of those first parts (the joined file's), needed before they
    come, for a part in another language says so on its Part element as it is written."""

    def __init__(self, target: Path, *, duplex: bool, blank_text: str, seed: str = "", lang: str = "") -> None:
        self._handle = open_private(target)
        try:
            self._writer = _Writer(self._handle)
        except BaseException:
            self._handle.close()
            raise
        self._writer.lang = lang
        self._duplex, self._blank_text, self._seed = duplex, blank_text, seed
        self._blanks: dict[tuple[float, float], Any] = {}  # by page size: a one-page blank PDF
        self._start = 0  # the first page of the pages being laid out: sides count from it
        self._first: tuple[bool, tuple[float, float]] | None = None  # the first part added: starts, size
        self.pages = 0  # pages added so far, blank ones too (for tests and progress)

    def __enter__(self) -> Joiner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def add(self, part: Path | bytes, starts: bool = True) -> None:
        """Copy ``part``'s pages and structure into the file now; nothing of it is kept."""
        import pikepdf

        try:
            src = pikepdf.open(io.BytesIO(part) if isinstance(part, bytes) else part)
        except pikepdf.PdfError as exc:
            raise PatientDocsError(f"cannot read {part if isinstance(part, Path) else 'a document'} "
                                   f"to join it ({exc})") from None
        writer = self._writer
        with src:
            if self._first is None:
                self._first = (starts, _page_size(src))
            if self._duplex and starts and (len(writer.kids) - self._start) % 2 == 1:
                self._blank(_page_size(src))
            writer.next_source()
            first_key = len(writer.parent_tree)
            for page in src.pages:
                writer.page(page.obj)
            writer.structure(src, first_key)
        self.pages = len(writer.kids)

    def _blank(self, size: tuple[float, float]) -> None:
        import pikepdf

        from patientdocs.render.pdf.page import blank_page_pdf

        if size not in self._blanks:
            self._blanks[size] = pikepdf.open(io.BytesIO(blank_page_pdf(self._blank_text, size, self._seed)))
        self._writer.next_source()
        self._writer.page(self._blanks[size].pages[0].obj)

    def finish(self, first: Iterable[Part] = ()) -> None:
        """Add the parts of ``first`` (made now, one by one), put them before every part added so
        far, and end the file."""
        writer = self._writer
        pages, parts, title = len(writer.kids), len(writer.parts), writer.title
        writer.title = None  # the joined file's title is that of its first pages
        self._start = pages
        for item in first:
            part, starts = item if isinstance(item, tuple) else (item, True)
            self.add(part, starts)
        if pages and self._duplex and (len(writer.kids) - pages) % 2 == 1 and self._first is not None:
            if not self._first[0]:  # its sides were counted from a front side it does not start on
                raise ValueError("the first part added must start on a front side when parts are put before it")
            self._blank(self._first[1])  # the first part added starts on a front side, as join would
        if writer.title is None:
            writer.title = title
        writer.kids = writer.kids[pages:] + writer.kids[:pages]
        writer.parts = writer.parts[parts:] + writer.parts[:parts]
        writer.finish()
        self.pages = len(writer.kids)

    def close(self) -> None:
        """Close the file (finished or not) and the blank pages' sources; again does nothing."""
        try:
            self._handle.close()  # flushes: may fail on a full disk
        finally:
            for blank in self._blanks.values():
                blank.close()
            self._blanks.clear()


def join(parts: Iterable[Part], target: Path, *, duplex: bool, blank_text: str, seed: str = "") -> None:
    """Join PDFs into ``target``, each starting on a front side when ``duplex``; identical objects once.

    A part given as ``(pdf, False)`` continues the part before it (no blank page between).
    ``seed``: the font seed of the documents (see fonts.seed_subsets), so the blank pages' font is
    stored once with theirs."""
    with Joiner(target, duplex=duplex, blank_text=blank_text, seed=seed) as joiner:
        for item in parts:
            part, starts = item if isinstance(item, tuple) else (item, True)
            joiner.add(part, starts)
        joiner.finish()

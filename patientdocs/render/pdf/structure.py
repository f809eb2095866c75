"""Tagged PDF, the file side: the structure tree and the catalogue entries, written by reportlab.

The tree recorded while the pages were drawn (see tagging.py) is added to reportlab's own document
just before it is saved: the structure tree root, an element per structure element, the parent
tree (each page's MCIDs, and each form field, back to its element), ``/StructParents`` and
``/Tabs /S`` on the pages, and in the catalogue ``/MarkInfo``, ``/Lang``, ``/ViewerPreferences``
and XMP metadata with ``dc:title`` and ``pdfuaid:part``. Writing it here rather than reopening
the finished file costs a fraction of a millisecond instead of a third of the document's time.
"""

from __future__ import annotations

import functools
import types

from reportlab import rl_config
from reportlab.lib.rl_accel import fp_str
from reportlab.pdfbase import pdfdoc
from reportlab.pdfbase.pdfdoc import PDFArray, PDFDictionary, PDFName, PDFObject, PDFObjectReference, PDFString

from patientdocs.render.pdf import reuse
from patientdocs.render.pdf.tagging import Element, Tagger, mcr

# ---- the tree's objects, formatted quickly ------------------------------------------------------------------
# A sheet has hundreds of structure elements, and reportlab's general formatting of each small
# dictionary was most of the time spent saving a file. These format the values the tree holds
# (names, references, whole numbers, and the dictionaries and arrays below) directly, and hand
# anything else to reportlab, with exactly reportlab's bytes: PATIENTDOCS_REUSE=0 formats them
# reportlab's way, and the tests compare the two (tests/test_reuse.py).

_NAMES: dict[str, bytes] = {}
_pdf_name = functools.cache(PDFName)  # the few names the tree uses, as reportlab spells them


def _name(key: str) -> bytes:
    found = _NAMES.get(key)
    if found is None:
        found = _NAMES[key] = PDFName(key).encode("extpdfdoc")
    return found


def _value(value, document) -> bytes:
    kind = type(value)
    if kind is str:  # a PDFName
        return value.encode("extpdfdoc")
    if kind is PDFObjectReference:
        number, version = document.idToObjectNumberAndVersion[value.name]
        return f"{number} {version} R".encode("extpdfdoc")
    if kind is int:
        return fp_str(value).encode("extpdfdoc")
    if kind is _Dict or kind is _Array:
        return value.format(document)
    return pdfdoc.format(value, document)


class _Dict(PDFDictionary):
    def format(self, document, IND=b"\n "):  # noqa: N803 (reportlab's name)
        entries = self.dict
        if rl_config.pdfMultiLine or type(entries) is not dict or not reuse.enabled():
            return super().format(document, IND)
        out = [_name(key) + b" " + _value(entries[key], document) for key in sorted(entries)]
        for i in reversed(range(6, len(out), 6)):
            out.insert(i, b"\n ")
        return b"<<\n" + b" ".join(out) + b"\n>>"


class _Array(PDFArray):
    def format(self, document, IND=b"\n "):  # noqa: N803 (reportlab's name)
        if rl_config.pdfMultiLine or not reuse.enabled():
            return super().format(document, IND)
        out = [_value(item, document) for item in self.sequence]
        for i in reversed(range(10, len(out), 10)):
            out.insert(i, b"\n ")
        return b"[ " + b" ".join(out) + b" ]"


def escape(text: str) -> str:
    """XML text: &, < and > escaped. (xml.sax.saxutils would import urllib and http: about 20 ms of
    every cold start.)"""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class _Metadata(PDFObject):
    """The XMP packet: an uncompressed stream, so any tool can read the claims in it."""

    __RefOnly__ = 1

    def __init__(self, xml: str):
        self.data = xml.encode("utf-8")

    def format(self, document) -> bytes:
        data = document.encrypt.encode(self.data)
        return (b"<< /Type /Metadata /Subtype /XML /Length %d >>\nstream\n" % len(data)) + data + b"\nendstream\n"


def xmp(title: str, author: str, lang: str) -> str:
    return ('<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
            '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
            '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:pdf="http://ns.adobe.com/pdf/1.3/" xmlns:pdfuaid="http://www.aiim.org/pdfua/ns/id/">\n'
            f'<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{escape(title)}</rdf:li></rdf:Alt></dc:title>\n'
            f'<dc:creator><rdf:Seq><rdf:li>{escape(author)}</rdf:li></rdf:Seq></dc:creator>\n'
            f'<dc:language><rdf:Bag><rdf:li>{escape(lang)}</rdf:li></rdf:Bag></dc:language>\n'
            '<pdf:Producer>patientdocs</pdf:Producer>\n'
            '<pdfuaid:part>1</pdfuaid:part>\n'
            '</rdf:Description>\n</rdf:RDF>\n</x:xmpmeta>\n<?xpacket end="r"?>')


def _page(index: int) -> PDFObjectReference:
    return PDFObjectReference(f"Page{index + 1}")  # reportlab's names for its page objects


def write(canv, tagger: Tagger, *, title: str, author: str, page_annotations: list[list]) -> None:
    """Add the structure tree and the tagged-PDF catalogue entries to ``canv``'s document.

    ``page_annotations``: per page, the references of its annotations (form fields' widgets)."""
    doc = canv._doc
    # Widgets by field name, with the page each is on (reportlab names every widget's page the
    # first one, because this canvas lays pages out before it writes any).
    widgets: dict[str, tuple[PDFObjectReference, PDFDictionary, int]] = {}

    def find_widgets() -> None:
        for index, names in enumerate(page_annotations):
            for ref in names:
                annotation = doc.idToObject.get(ref.name)
                if isinstance(annotation, PDFDictionary) and "T" in annotation:
                    annotation["P"] = _page(index)
                    widgets[str(annotation["T"].s)] = (doc.Reference(annotation), annotation, index)

    if reuse.enabled() and not rl_config.pdfMultiLine and type(doc.encrypt) is pdfdoc.NoEncryption:
        root_ref = _write_tree_fast(doc, tagger, find_widgets, widgets,
                                    keep=not any(page_annotations))
        if rl_config.invariant or not rl_config.pdfComments:  # else reportlab writes a comment per object
            doc.format = types.MethodType(_format_document, doc)
    else:
        root_ref = _write_tree(doc, tagger, find_widgets, widgets)

    for index, page in enumerate(doc.Pages.pages):
        extra = ["Tabs"] + (["StructParents"] if index < len(tagger.pages) else [])
        page.__NoDefault__ = [*type(page).__NoDefault__, *extra]
        page.Tabs = _pdf_name("S")
        if index < len(tagger.pages):
            page.StructParents = index

    catalog = doc.Catalog
    catalog.StructTreeRoot = root_ref
    catalog.MarkInfo = PDFDictionary({"Marked": "true"})
    catalog.Lang = PDFString(tagger.lang)
    catalog.Metadata = _Metadata(xmp(title, author, tagger.lang))
    canv.setViewerPreference("DisplayDocTitle", "true")


def _write_tree(doc, tagger: Tagger, find_widgets, widgets) -> PDFObjectReference:
    """The tree as reportlab objects, formatted when the file is written (PATIENTDOCS_REUSE=0)."""
    refs: dict[int, PDFObjectReference] = {}
    dicts: list[tuple[Element, PDFDictionary]] = []

    def register(element: Element) -> None:
        entry = _Dict({"Type": _pdf_name("StructElem"), "S": _pdf_name(element.role)})
        refs[id(element)] = doc.Reference(entry)
        dicts.append((element, entry))
        for kid in element.kids:
            if isinstance(kid, Element):
                register(kid)

    register(tagger.root)
    root = _Dict({"Type": _pdf_name("StructTreeRoot"), "K": refs[id(tagger.root)]})
    root_ref = doc.Reference(root)
    find_widgets()

    next_key = len(tagger.pages)
    field_parents: list[tuple[int, PDFObjectReference]] = []
    for element, entry in dicts:
        entry["P"] = refs[id(element.parent)] if element.parent is not None else root_ref
        first_page = next((mcr(kid)[0] for kid in element.kids if type(kid) is int), None)
        if first_page is not None:
            entry["Pg"] = _page(first_page)
        kids: list = []
        for kid in element.kids:
            if isinstance(kid, Element):
                kids.append(refs[id(kid)])
            else:
                page, mcid = mcr(kid)
                if page == first_page:
                    kids.append(mcid)
                else:
                    kids.append(_Dict({"Type": _pdf_name("MCR"), "Pg": _page(page), "MCID": mcid}))
        if element.field is not None and element.field in widgets:
            widget_ref, widget, index = widgets[element.field]
            widget["StructParent"] = next_key
            field_parents.append((next_key, refs[id(element)]))
            next_key += 1
            kids.append(_Dict({"Type": _pdf_name("OBJR"), "Obj": widget_ref, "Pg": _page(index)}))
        if kids:
            entry["K"] = kids[0] if len(kids) == 1 else _Array(kids)
        if element.alt is not None:
            entry["Alt"] = PDFString(element.alt)
        if element.lang is not None:
            entry["Lang"] = PDFString(element.lang)
        if element.attributes:
            entry["A"] = _Dict({k: _pdf_name(v) for k, v in element.attributes.items()})

    nums: list = []
    for index, numbers in enumerate(tagger.pages):
        nums += [index, _Array([refs[id(element)] for element in numbers])]
    for key, ref in field_parents:
        nums += [key, ref]
    root["ParentTree"] = doc.Reference(_Dict({"Nums": _Array(nums)}))
    root["ParentTreeNextKey"] = next_key
    return root_ref


# ---- the same bytes, formatted once while the tree is written ------------------------------------------------
# reportlab formats each object when the file is written, looking every reference up and
# dispatching on every value's type; the tree's ~300 objects were most of what tagging added to
# saving a file. Here every object number is known when the tree is written (the pages were laid
# out first), so each element's dictionary is put together from pre-formatted pieces, exactly as
# _Dict and _Array above would write it (tests/test_reuse.py compares the two).


class _Formatted(PDFObject):
    """An object whose bytes are already known. ``run``, on the first object of a tree kept: every
    object of that tree as written in the file, with their offsets (see ``_KeptTree``)."""

    __slots__ = ("__InternalName__", "data", "run")

    def __init__(self, data: bytes = b""):
        self.data = data
        self.run: tuple[bytes, list[int], list[str]] | None = None

    def format(self, document) -> bytes:
        return self.data


def _broken(items: list[bytes], every: int) -> list[bytes]:
    """reportlab's line breaks inside an array (every 10 items) or a dictionary (every 6 entries)."""
    if len(items) <= every:
        return items
    items = list(items)
    for i in reversed(range(every, len(items), every)):
        items.insert(i, b"\n ")
    return items


def _array(items: list[bytes]) -> bytes:
    return b"[ " + b" ".join(_broken(items, 10)) + b" ]"


def _dict(entries: list[bytes]) -> bytes:
    """``entries``: b"/Key value", in the order of their keys."""
    return b"<<\n" + b" ".join(_broken(entries, 6)) + b"\n>>"


@functools.cache
def _role(role: str) -> bytes:
    return b"/S " + _name(role)


@functools.cache
def _attributes(items: tuple[tuple[str, str], ...]) -> bytes:
    return b"/A " + _dict([_name(k) + b" " + _pdf_name(v).encode("extpdfdoc") for k, v in sorted(items)])


def _register(doc, obj: _Formatted) -> int:
    """``doc.Reference(obj)`` for a new object, without its general checks; returns its number."""
    number = doc.objectcounter + 1
    name = "R" + repr(number)
    if name in doc.idToObject:  # not expected: let reportlab say what is wrong
        doc.Reference(obj)
        return doc.idToObjectNumberAndVersion[name][0]
    doc.objectcounter = number
    obj.__InternalName__ = name
    doc.idToObjectNumberAndVersion[name] = (number, 0)
    doc.numberToId[number] = name
    doc.idToObject[name] = obj
    return number


def _format_document(doc) -> bytes:
    """reportlab's PDFDocument.format (reportlab 5.1), line for line, but an object already
    formatted (the tree's ~300) is written straight out instead of through PDFIndirectObject,
    the general format() and PDFFile.add: the same bytes and offsets."""
    doc.encrypt.prepare(doc)
    cat = doc.Catalog
    info = doc.info
    doc.Reference(cat)
    doc.Reference(info)
    encryptref = None
    encryptinfo = doc.encrypt.info()
    if encryptinfo:
        encryptref = doc.Reference(encryptinfo)
    counter = 0
    ids = []
    numbertoid = doc.numberToId
    id_to_object = doc.idToObject
    id_to_offset = doc.idToOffset
    doc.__accum__ = file = pdfdoc.PDFFile(doc._pdfVersion)
    write = file.write
    while True:
        counter += 1
        if counter not in numbertoid:
            break
        oid = numbertoid[counter]
        obj = id_to_object[oid]
        if type(obj) is _Formatted:  # numbered by _register: version 0, and no encryption
            run = obj.run
            # A run's objects were numbered together, one after the other (_KeptTree, _write_kept).
            if run is not None and numbertoid.get(counter + len(run[2]) - 1) == run[2][-1]:
                chunk, offsets, names = run
                start = file.offset
                for name, offset in zip(names, offsets, strict=True):
                    id_to_offset[name] = start + offset
                file.offset += len(chunk)
                write(chunk)
                ids += names
                counter += len(names) - 1
                continue
            formatted = b"%d 0 obj\n" % counter + obj.data + b"\nendobj\n"
            id_to_offset[oid] = file.offset
            file.offset += len(formatted)
            write(formatted)
        else:
            id_to_offset[oid] = file.add(pdfdoc.PDFIndirectObject(oid, obj).format(doc))
        ids.append(oid)
    del doc.__accum__
    lno = len(numbertoid)
    if counter - 1 != lno:
        raise ValueError(f"counter {counter} doesn't match number to id dictionary {lno}")
    xrefoffset = file.add(_xref(doc, ids))
    trailer = pdfdoc.PDFTrailer(startxref=xrefoffset, Size=lno + 1, Root=doc.Reference(cat),
                                Info=doc.Reference(info), Encrypt=encryptref, ID=doc.ID())
    file.add(trailer.format(doc))
    for ds in getattr(doc, "_digiSigs", []):
        ds.sign(file)
    return file.format(doc)


class _KeptTree:
    """A tree written before, as the objects registered for it: shared by every document whose
    tree was made the same way (the Tagger's trace), with the same first object number and page
    objects (reuse.py keeps them)."""

    __slots__ = ("names_by_number", "next_key", "numbers", "objects", "parent_tree")

    def __init__(self, doc, objects: list[_Formatted], parent_tree: _Formatted, next_key: int):
        self.objects = {obj.__InternalName__: obj for obj in objects}  # in the order numbered: the root first
        self.numbers = {name: doc.idToObjectNumberAndVersion[name] for name in self.objects}
        self.names_by_number = {number: name for name, (number, _) in self.numbers.items()}
        numbers = list(self.names_by_number)
        if numbers == list(range(numbers[0], numbers[0] + len(numbers))):  # written one after the other
            chunks = [b"%d 0 obj\n" % number + obj.data + b"\nendobj\n"
                      for number, obj in zip(numbers, objects, strict=True)]
            offsets = [0]
            for chunk in chunks[:-1]:
                offsets.append(offsets[-1] + len(chunk))
            objects[0].run = (b"".join(chunks), offsets, list(self.objects))
        self.parent_tree = (parent_tree, doc.idToObjectNumberAndVersion[parent_tree.__InternalName__][0])
        self.next_key = next_key


def _write_kept(doc, kept: _KeptTree, find_widgets) -> PDFObjectReference | None:
    """``_write_tree_fast``'s registrations, from a tree kept: None if its names are taken."""
    if not kept.objects.keys().isdisjoint(doc.idToObject):
        return None
    doc.objectcounter += len(kept.objects)
    doc.idToObject.update(kept.objects)
    doc.idToObjectNumberAndVersion.update(kept.numbers)
    doc.numberToId.update(kept.names_by_number)
    root = _Dict({"Type": _pdf_name("StructTreeRoot"), "K": PDFObjectReference(next(iter(kept.objects)))})
    root_ref = doc.Reference(root)
    find_widgets()
    parent_tree, number = kept.parent_tree
    if _register(doc, parent_tree) != number:  # not expected: the key holds the first object's number
        raise ValueError("the structure tree kept does not fit this document")
    root["ParentTree"] = PDFObjectReference(parent_tree.__InternalName__)
    root["ParentTreeNextKey"] = kept.next_key
    return root_ref


def _xref(doc, ids: list[str]) -> bytes:
    """reportlab's PDFCrossReferenceTable with one section from object 0, for ``ids`` numbered 1, 2, ...
    in order (as ``_format_document`` writes them): the same bytes, a line each, without its checks."""
    numbers = doc.idToObjectNumberAndVersion
    offsets = doc.idToOffset
    lines = [b"xref\n0 %d\n0000000000 65535 f \n" % (len(ids) + 1)]
    lines += [b"%010d %05d n \n" % (offsets[oid], numbers[oid][1]) for oid in ids]
    return b"".join(lines)


def _write_tree_fast(doc, tagger: Tagger, find_widgets, widgets, *, keep: bool = False) -> PDFObjectReference:
    """``keep``: the document has no form fields, so its tree may be kept and reused (reuse.py)."""
    numbers = doc.idToObjectNumberAndVersion
    tree_key = None
    if keep:
        pages_key = tuple(numbers[f"Page{i + 1}"] for i in range(len(doc.Pages.pages)))
        # The trace says everything the tree's objects are made of but their numbers (tagging.py).
        tree_key = (doc.objectcounter, pages_key, len(tagger.pages), tuple(tagger.trace))
        kept = reuse.kept_tree(tree_key)
        if kept is not None:
            root_ref = _write_kept(doc, kept, find_widgets)
            if root_ref is not None:
                return root_ref
            tree_key = None
    objects: list[tuple[Element, _Formatted]] = []
    refs: dict[int, bytes] = {}
    stack = [tagger.root]
    while stack:  # the order of reportlab's: each element before its kids, the kids in order
        element = stack.pop()
        obj = _Formatted()
        refs[id(element)] = b"%d 0 R" % _register(doc, obj)
        objects.append((element, obj))
        stack.extend(reversed([kid for kid in element.kids if isinstance(kid, Element)]))
    root = _Dict({"Type": _pdf_name("StructTreeRoot"), "K": PDFObjectReference(objects[0][1].__InternalName__)})
    root_ref = doc.Reference(root)
    root_bytes = b"%d %d R" % numbers[root_ref.name]
    find_widgets()
    pages = [b"%d %d R" % numbers[f"Page{i + 1}"] for i in range(len(doc.Pages.pages))]

    next_key = len(tagger.pages)
    field_parents: list[tuple[int, bytes]] = []
    for element, obj in objects:
        kids: list[bytes] = []
        first_page = None
        for kid in element.kids:
            if type(kid) is int:
                page, mcid = kid >> 16, kid & 0xFFFF  # mcr(kid), for every MCID of the tree
                if first_page is None:
                    first_page = page
                if page == first_page:
                    kids.append(b"%d" % mcid)
                else:
                    kids.append(b"<<\n/MCID %d /Pg %s /Type /MCR\n>>" % (mcid, pages[page]))
            else:
                kids.append(refs[id(kid)])
        if element.field is not None and element.field in widgets:
            widget_ref, widget, index = widgets[element.field]
            widget["StructParent"] = next_key
            field_parents.append((next_key, refs[id(element)]))
            next_key += 1
            kids.append(b"<<\n/Obj %d %d R /Pg %s /Type /OBJR\n>>" % (*numbers[widget_ref.name], pages[index]))
        entries = []
        if element.attributes:
            entries.append(_attributes(tuple(element.attributes.items())))
        if element.alt is not None:
            entries.append(b"/Alt " + PDFString(element.alt).format(doc))
        if kids:
            entries.append(b"/K " + (kids[0] if len(kids) == 1 else _array(kids)))
        if element.lang is not None:
            entries.append(b"/Lang " + PDFString(element.lang).format(doc))
        entries.append(b"/P " + (refs[id(element.parent)] if element.parent is not None else root_bytes))
        if first_page is not None:
            entries.append(b"/Pg " + pages[first_page])
        entries.append(_role(element.role))
        entries.append(b"/Type /StructElem")
        obj.data = _dict(entries)

    nums: list[bytes] = []
    for index, elements in enumerate(tagger.pages):
        nums += [b"%d" % index, _array([refs[id(element)] for element in elements])]
    for key, ref in field_parents:
        nums += [b"%d" % key, ref]
    parent_tree = _Formatted(_dict([b"/Nums " + _array(nums)]))
    root["ParentTree"] = PDFObjectReference(f"R{_register(doc, parent_tree)}")
    root["ParentTreeNextKey"] = next_key
    if tree_key is not None:
        reuse.keep_tree(tree_key, _KeptTree(doc, [obj for _, obj in objects], parent_tree, next_key))
    return root_ref

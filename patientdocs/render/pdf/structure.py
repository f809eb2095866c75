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

from reportlab import rl_config
from reportlab.lib.rl_accel import fp_str
from reportlab.pdfbase import pdfdoc
from reportlab.pdfbase.pdfdoc import PDFArray, PDFDictionary, PDFName, PDFObject, PDFObjectReference, PDFString

from patientdocs.render.pdf import reuse
from patientdocs.render.pdf.tagging import Element, Tagger

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

    # Widgets by field name, with the page each is on (reportlab names every widget's page the
    # first one, because this canvas lays pages out before it writes any).
    widgets: dict[str, tuple[PDFObjectReference, PDFDictionary, int]] = {}
    for index, names in enumerate(page_annotations):
        for ref in names:
            annotation = doc.idToObject.get(ref.name)
            if isinstance(annotation, PDFDictionary) and "T" in annotation:
                annotation["P"] = _page(index)
                widgets[str(annotation["T"].s)] = (doc.Reference(annotation), annotation, index)

    next_key = len(tagger.pages)
    field_parents: list[tuple[int, PDFObjectReference]] = []
    for element, entry in dicts:
        entry["P"] = refs[id(element.parent)] if element.parent is not None else root_ref
        first_page = next((kid[0] for kid in element.kids if isinstance(kid, tuple)), None)
        if first_page is not None:
            entry["Pg"] = _page(first_page)
        kids: list = []
        for kid in element.kids:
            if isinstance(kid, Element):
                kids.append(refs[id(kid)])
            elif kid[0] == first_page:
                kids.append(kid[1])
            else:
                kids.append(_Dict({"Type": _pdf_name("MCR"), "Pg": _page(kid[0]), "MCID": kid[1]}))
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

"""Accessibility checks on a finished PDF: what ``validate`` reports and the tests assert.

No PDF/UA validator can be installed here, so these are the machine-checkable parts that matter
most for a screen reader, checked on the file itself (read with pikepdf):

- the structure tree exists, and ``/MarkInfo``, ``/Lang``, ``/DisplayDocTitle``, a title in the
  Info dictionary and in XMP (``dc:title``) and ``pdfuaid:part`` are set;
- every text-showing operator (``Tj``, ``TJ``, ``'``, ``"``) on every page is inside an artifact, or
  inside a marked-content sequence whose MCID the parent tree maps to a structure element that
  lists it;
- every font used on the pages and in form fields' appearances is embedded;
- every form field has a tooltip (``/TU``), a place in the structure (``/StructParent``), and its
  page has ``/Tabs /S``.

This is not a PDF/UA conformance check (veraPDF checks over a hundred rules); it is what this
project promises and tests.
"""

from __future__ import annotations

import io
import re
from typing import Any

TEXT_OPERATORS = frozenset({"Tj", "TJ", "'", '"'})


def number_tree(node, out: dict[int, object]) -> None:
    """Every entry of a PDF number tree (a parent tree), leaves and kids alike, into ``out``."""
    nums = node.get("/Nums")
    if nums is not None:
        for i in range(0, len(nums) - 1, 2):
            out[int(nums[i])] = nums[i + 1]
    for kid in node.get("/Kids", []):
        number_tree(kid, out)


def _mcids(element, page_objgen) -> set[int]:
    """The MCIDs on one page that ``element`` lists as its own content."""
    import pikepdf

    own_page = element.get("/Pg")
    kids = element.get("/K")
    items = list(kids) if isinstance(kids, pikepdf.Array) else [kids]
    found = set()
    for kid in items:
        if isinstance(kid, int) or (isinstance(kid, pikepdf.Object) and kid._type_code == pikepdf.ObjectType.integer):
            if own_page is not None and own_page.objgen == page_objgen:
                found.add(int(kid))
        elif isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/MCR":
            page = kid.get("/Pg", own_page)
            if page is not None and page.objgen == page_objgen:
                found.add(int(kid.MCID))
    return found


def untagged_text(pdf) -> list[str]:
    """Text-showing operators that are in neither the structure tree nor an artifact, per page."""
    import pikepdf

    root = pdf.Root.get("/StructTreeRoot")
    parents: dict[int, Any] = {}
    if root is not None and "/ParentTree" in root:
        number_tree(root.ParentTree, parents)
    problems = []
    for number, page in enumerate(pdf.pages, start=1):
        key = page.obj.get("/StructParents")
        owners = parents.get(int(key)) if key is not None else None
        stack: list[tuple[str, int | None]] = []  # (kind, mcid) of each open sequence
        bad = 0
        # Any: pikepdf's stubs do not say that an instruction unpacks to (operands, operator).
        instructions: list[Any] = pikepdf.parse_content_stream(page)
        for operands, operator in instructions:
            op = str(operator)
            if op in ("BDC", "BMC"):
                tag = str(operands[0])
                mcid = None
                if op == "BDC" and isinstance(operands[1], pikepdf.Dictionary) and "/MCID" in operands[1]:
                    mcid = int(operands[1].MCID)
                stack.append(("artifact" if tag == "/Artifact" else "tag", mcid))
            elif op == "EMC":
                if stack:
                    stack.pop()
            elif op in TEXT_OPERATORS:
                if any(kind == "artifact" for kind, _ in stack):
                    continue
                mcid = next((m for _, m in reversed(stack) if m is not None), None)
                owner = owners[mcid] if owners is not None and mcid is not None and mcid < len(owners) else None
                if not isinstance(owner, pikepdf.Dictionary) or mcid not in _mcids(owner, page.obj.objgen):
                    bad += 1
        if bad:
            problems.append(f"page {number}: {bad} piece(s) of text neither tagged nor marked as an artifact")
    return problems


def _font_problems(resources, where: str, seen: set) -> list[str]:
    import pikepdf

    problems: list[str] = []
    if not isinstance(resources, pikepdf.Dictionary):
        return problems
    for name, font in resources.get("/Font", {}).items():
        if font.objgen in seen and font.objgen != (0, 0):
            continue
        seen.add(font.objgen)
        target = font.DescendantFonts[0] if font.get("/Subtype") == "/Type0" else font
        descriptor = target.get("/FontDescriptor")
        embedded = descriptor is not None and any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
        if not embedded and font.get("/Subtype") != "/Type3":
            problems.append(f"{where}: font {font.get('/BaseFont', name)} is not embedded")
    for xobject in resources.get("/XObject", {}).values():
        if xobject.get("/Subtype") == "/Form":
            problems += _font_problems(xobject.get("/Resources"), where, seen)
    return problems


def font_problems(pdf) -> list[str]:
    """Fonts used on pages, in form XObjects and in annotations' appearances that are not embedded."""
    import pikepdf

    problems: list[str] = []
    seen: set = set()
    for number, page in enumerate(pdf.pages, start=1):
        problems += _font_problems(page.obj.get("/Resources"), f"page {number}", seen)
        for annotation in page.obj.get("/Annots", []):
            for appearance in annotation.get("/AP", {}).values():
                streams = [appearance] if isinstance(appearance, pikepdf.Stream) else list(appearance.values())
                for stream in streams:
                    problems += _font_problems(stream.get("/Resources"), f"page {number} field", seen)
    acro = pdf.Root.get("/AcroForm")
    if acro is not None:
        problems += _font_problems(acro.get("/DR"), "form fields' default font", seen)
    return sorted(set(problems), key=problems.index)


def field_problems(pdf) -> list[str]:
    problems = []
    for number, page in enumerate(pdf.pages, start=1):
        widgets = [a for a in page.obj.get("/Annots", []) if a.get("/Subtype") == "/Widget"]
        if widgets and page.obj.get("/Tabs") != "/S":
            problems.append(f"page {number}: form fields are not in the structure's tab order (/Tabs /S)")
        for widget in widgets:
            name = str(widget.get("/T", "?"))
            if not str(widget.get("/TU", "")).strip():
                problems.append(f"page {number}: field {name} has no tooltip (/TU)")
            if "/StructParent" not in widget:
                problems.append(f"page {number}: field {name} is not in the structure tree")
    return problems


def catalogue_problems(pdf) -> list[str]:
    import pikepdf

    problems = []
    root = pdf.Root
    if "/StructTreeRoot" not in root:
        problems.append("no structure tree (the PDF is not tagged)")
    mark = root.get("/MarkInfo")
    if not isinstance(mark, pikepdf.Dictionary) or not bool(mark.get("/Marked", False)):
        problems.append("/MarkInfo /Marked is not true")
    if not str(root.get("/Lang", "")).strip():
        problems.append("no document language (/Lang)")
    prefs = root.get("/ViewerPreferences")
    if not isinstance(prefs, pikepdf.Dictionary) or not bool(prefs.get("/DisplayDocTitle", False)):
        problems.append("/ViewerPreferences /DisplayDocTitle is not true")
    if not str(pdf.docinfo.get("/Title", "")).strip():
        problems.append("no title in the document information")
    metadata = root.get("/Metadata")
    xml = metadata.read_bytes().decode("utf-8", "replace") if metadata is not None else ""
    if not re.search(r"<dc:title>.*?<rdf:li[^>]*>[^<]+</rdf:li>", xml, re.S):
        problems.append("no dc:title in the XMP metadata")
    if "<pdfuaid:part>1</pdfuaid:part>" not in xml:
        problems.append("no pdfuaid:part 1 in the XMP metadata")
    return problems


def accessibility_problems(data: bytes, password: str = "") -> list[str]:
    """Everything this project checks about a tagged PDF; an empty list means it passed."""
    import pikepdf

    with pikepdf.open(io.BytesIO(data), password=password) as pdf:
        return catalogue_problems(pdf) + untagged_text(pdf) + font_problems(pdf) + field_problems(pdf)

"""Form parts: tick boxes and signature lines, printed empty or as real fillable fields.

Printed forms stay clean (empty boxes and lines). With ``fillable`` the same boxes become
AcroForm fields, so a patient can fill the form in a PDF reader and send it back.
"""

from __future__ import annotations

from reportlab.lib import colors
from reportlab.platypus import Flowable

from patientdocs.render.pdf import fonts

# reportlab writes AcroForm fields with one of the standard 14 fonts only; sign_fields then
# replaces it by the embedded body font (see embed_field_font).
FIELD_FONT = "Helvetica"
FIELD_FONT_SIZE = 11


class TickBox(Flowable):
    """A square to tick, with its label to the right (to the left in a right-to-left document)."""

    def __init__(self, label: str, name: str, size: float, fillable: bool, label_size: float, tooltip: str = "",
                 ticked: bool = False, *, rtl: bool = False):
        super().__init__()
        self.ticked = ticked  # answered on a tablet: printed with its tick
        self.rtl = rtl
        self.label = label
        self.tooltip = tooltip or label
        self.name = name
        self.size = size
        self.fillable = fillable
        self.label_size = label_size

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        self.width = self.size + 4 + self.label_size * 0.6 * max(3, len(self.label))
        self.height = self.size
        return self.width, self.height

    def draw(self) -> None:
        canv = self.canv
        canv.setFont(fonts.MAIN, self.label_size)
        canv.setFillColor(colors.black)
        if self.rtl:
            # Mirrored: the label against the right edge, read first, and the box on its left.
            from patientdocs.render.pdf import bidi, shaping

            label_w = shaping.draw_line(canv, self.label, self.width, self.size * 0.2, fonts.MAIN, self.label_size,
                                        anchor="end", base=bidi.RTL) if self.label else 0.0
            x = self.width - label_w - 4 - self.size
        else:
            canv.drawString(0, self.size * 0.2, self.label)
            x = canv.stringWidth(self.label, fonts.MAIN, self.label_size) + 4
        if self.fillable:
            canv.acroForm.checkbox(name=self.name, tooltip=self.tooltip, x=x, y=0, size=self.size,
                                   buttonStyle="check", borderColor=colors.black, fillColor=colors.white, fieldFlags="",
                                   textColor=colors.black, borderWidth=1, forceBorder=True, relative=True)
        else:
            canv.setStrokeColor(colors.black)
            canv.setLineWidth(1)
            canv.rect(x, 0, self.size, self.size, stroke=1, fill=0)
            if self.ticked:
                s = self.size
                canv.setLineWidth(max(1.2, s / 8))
                path = canv.beginPath()
                path.moveTo(x + s * 0.18, s * 0.5)
                path.lineTo(x + s * 0.42, s * 0.2)
                path.lineTo(x + s * 0.85, s * 0.85)
                canv.drawPath(path, stroke=1, fill=0)


class WriteLine(Flowable):
    """A line to write on (a signature, a name, a date), or a fillable text field."""

    def __init__(self, width: float, height: float, name: str, fillable: bool, signature: bool = False,
                 tooltip: str = "", value: str | bytes | None = None, style: object = None):
        super().__init__()
        # Given on a tablet: a drawn signature (PNG bytes) or typed text, printed on the line.
        self.value = value
        self.style = style
        self.tooltip = tooltip or name
        self.width = width
        self.height = height
        self.name = name
        self.fillable = fillable
        self.signature = signature

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        self.width = min(self.width, avail_width)
        return self.width, self.height

    def draw(self) -> None:
        canv = self.canv
        if self.fillable:
            # Signatures become real /Sig fields after rendering (see sign_fields); a text
            # field marks the spot because reportlab has no signature field type.
            canv.acroForm.textfield(name=self.name, tooltip=self.tooltip, x=0, y=0, width=self.width,
                                    height=self.height, fontName=FIELD_FONT, fontSize=FIELD_FONT_SIZE,
                                    borderColor=colors.HexColor("#555555"), fillColor=colors.white,
                                    textColor=colors.black, borderWidth=1, forceBorder=True, relative=True)
        else:
            if self.signature:
                canv.setStrokeColor(colors.HexColor("#777777"))
                canv.setLineWidth(0.6)
                canv.rect(0, 0, self.width, self.height, stroke=1, fill=0)
            canv.setStrokeColor(colors.black)
            canv.setLineWidth(0.9)
            canv.line(0, 1, self.width, 1)
            if isinstance(self.value, bytes):
                self._draw_image(self.value)
            elif self.value:
                self._draw_text(self.value)

    def _draw_image(self, png: bytes) -> None:
        import io

        from reportlab.lib.utils import ImageReader

        image = ImageReader(io.BytesIO(png))
        iw, ih = image.getSize()
        scale = min((self.width - 4) / iw, (self.height - 3) / ih)
        # A right-to-left form is signed from the right end of the line, where its text starts.
        rtl = getattr(self.style, "wordWrap", None) == "RTL"
        x = self.width - 2 - iw * scale if rtl else 2
        self.canv.drawImage(image, x, 2, width=iw * scale, height=ih * scale, mask="auto")

    def _draw_text(self, text: str) -> None:
        from patientdocs.render.pdf.flowables import paragraph

        para = paragraph(fonts.inline(text), self.style)  # escaped once, there
        para.wrapOn(self.canv, self.width - 4, self.height)
        para.drawOn(self.canv, 2, 3)


SIGNATURE_PREFIX = "signature_"


def _field_font(doc):
    """The body font, whole (not a subset: the patient types letters nobody knows in advance),
    as a simple TrueType font with the Windows Latin encoding that form fields use."""
    import pikepdf
    from reportlab.pdfbase import pdfmetrics

    fonts.register()
    face = pdfmetrics.getFont(fonts.MAIN).face
    data = (fonts.FONT_DIR / "AtkinsonHyperlegible-Regular.ttf").read_bytes()
    widths = []
    for code in range(32, 256):
        try:
            char = ord(bytes([code]).decode("cp1252"))
        except UnicodeDecodeError:
            char = None
        widths.append(face.charWidths.get(char, face.defaultWidth) if char is not None else 0)
    file = pikepdf.Stream(doc, data)
    file.Length1 = len(data)
    descriptor = pikepdf.Dictionary(
        Type=pikepdf.Name.FontDescriptor, FontName=pikepdf.Name("/" + face.name.decode()), Flags=32,
        FontBBox=face.bbox, ItalicAngle=face.italicAngle, Ascent=face.ascent, Descent=face.descent,
        CapHeight=face.capHeight, StemV=face.stemV, FontFile2=file)
    return doc.make_indirect(pikepdf.Dictionary(
        Type=pikepdf.Name.Font, Subtype=pikepdf.Name.TrueType, BaseFont=pikepdf.Name("/" + face.name.decode()),
        FirstChar=32, LastChar=255, Widths=widths, Encoding=pikepdf.Name.WinAnsiEncoding,
        FontDescriptor=doc.make_indirect(descriptor)))


def embed_field_font(doc) -> None:
    """Text fields write with the embedded body font instead of Helvetica, which is not embedded.

    A reader types the patient's answers in this font (its Latin letters; a reader falls back to
    a font of its own for other scripts). Tick boxes draw their tick as a shape and need no font."""
    import pikepdf

    acro = doc.Root.get("/AcroForm")
    if acro is None:
        return
    font = _field_font(doc)
    fonts_dict = pikepdf.Dictionary(FieldFont=font)
    acro.DR = pikepdf.Dictionary(Font=fonts_dict)
    acro.DA = pikepdf.String("/FieldFont 0 Tf 0 g")
    for field in acro.Fields:
        if field.get("/FT") != "/Tx":
            continue
        field.DA = pikepdf.String(f"/FieldFont {FIELD_FONT_SIZE} Tf 0 g")
        normal = field.get("/AP", {}).get("/N")
        if isinstance(normal, pikepdf.Stream):
            resources = normal.get("/Resources")
            if resources is None:
                resources = normal.Resources = pikepdf.Dictionary()
            resources.Font = fonts_dict


def sign_fields(pdf: bytes) -> bytes:
    """Turn the signature placeholders into empty /Sig fields that PDF readers let people sign;
    the text fields get an embedded font."""
    import io

    import pikepdf

    with pikepdf.open(io.BytesIO(pdf)) as doc:
        acro = doc.Root.get("/AcroForm")
        if acro is None:
            return pdf
        embed_field_font(doc)
        for field in acro.Fields:
            name = str(field.get("/T", ""))
            if name.startswith(SIGNATURE_PREFIX):
                field.FT = pikepdf.Name.Sig
                for key in ("/V", "/DV", "/DA", "/MaxLen", "/Ff"):
                    if key in field:
                        del field[key]
        out = io.BytesIO()
        doc.save(out, deterministic_id=True, compress_streams=True)
        return out.getvalue()

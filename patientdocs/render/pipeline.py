"""The pipeline from inputs to PDF bytes: config, content, context, template, blocks, PDF.

No file is written here; the CLI and ``output`` do that.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from patientdocs import kinds as kinds_mod
from patientdocs import language as language_mod
from patientdocs.errors import PatientDocsError
from patientdocs.frozen import frozen
from patientdocs.load import content as content_mod
from patientdocs.load.config import Config
from patientdocs.load.content import LoadedContent
from patientdocs.load.visit import Visit, today
from patientdocs.render import markup, templating
from patientdocs.render.context import build_context

if TYPE_CHECKING:
    import jinja2

    from patientdocs.render.pdf.styles import Theme

# The settings that cannot change a PDF: where files go, how mail is sent, how an appointment
# list is read (its values reach the document as patient data), and document.duplex, only the
# default of --duplex (the value used is passed to render). Every other setting, present or added
# later, is part of the fingerprint: a forgotten one would let a document made with the old
# emergency number pass as current.
NOT_PRINTED = frozenset({"paths", "email", "batch", "source", "document.duplex"})


def translation_note(content: content_mod.Content) -> str:
    """The footer's second line on a translated document (one with ``translated_from``): who
    reviewed the translation, or, while nobody has, that it is not reviewed, in its language.
    Nothing on the original language's documents, and never a review that did not happen."""
    if not content.translated_from:
        return ""
    labels = content.labels
    if content.reviewed_by:
        return labels.get("reviewed_translation", "Translation reviewed by {name}.").replace(
            "{name}", content.reviewed_by)
    return labels.get("unreviewed", "This translation has not been reviewed by a health professional.")


@frozen
class Rendered:
    """A finished PDF and the facts the record keeps about it."""

    pdf: bytes
    pages: int
    kinds: tuple[str, ...]
    treatment: str
    language: str
    version: str
    fingerprint: str
    review_by: dt.date


class Pipeline:
    """Holds what every document of a run shares: config, template environment, content."""

    def __init__(self, config: Config, *, allow_expired: bool = False, on_date: dt.date | None = None,
                 shared_fonts: bool = False):
        self.config = config
        # For a print run: every document embeds identical font subsets, so they join into one.
        self.shared_fonts = shared_fonts
        self.allow_expired = allow_expired
        self.today = on_date or today()
        self.kinds = kinds_mod.for_config(config)
        self.env = templating.make_environment(config.templates_dir)
        self._envs: dict[tuple[str, str], jinja2.Environment] = {("en", "ltr"): self.env}
        self._content: dict[tuple[str, str], LoadedContent] = {}
        self._templates_digest: str | None = None
        self._settings_digest: str | None = None
        self._seeds: dict[tuple[str, int], str] = {}
        self._checked: set[object] = set()  # the logo, and each content's characters: checked once

    def content(self, treatment: str, language: str) -> LoadedContent:
        key = (treatment, language)
        if key not in self._content:
            self._content[key] = content_mod.load_content(self.config.handouts_dir, treatment, language,
                                                          self.kinds.content_sections(),
                                                          locale=self.config.clinic.locale)
        return self._content[key]

    @staticmethod
    def direction(loaded: LoadedContent) -> str:
        """"rtl" for content in a right-to-left language (or marked ``direction: rtl``)."""
        return language_mod.direction(loaded.data.language, loaded.data.direction)

    def env_for(self, loaded: LoadedContent) -> jinja2.Environment:
        """The template environment for the content's language and direction (one per pair)."""
        key = (loaded.data.language, self.direction(loaded))
        if key not in self._envs:
            self._envs[key] = templating.make_environment(self.config.templates_dir, *key)
        return self._envs[key]

    def _template_digest(self) -> str:
        if self._templates_digest is None:
            digest = hashlib.sha256()
            for path in sorted(Path(self.config.templates_dir).glob("*.j2")):
                digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
            self._templates_digest = digest.hexdigest()
        return self._templates_digest

    def font_seed(self, loaded: LoadedContent) -> str:
        """The content's and clinic's non-ASCII characters, in a fixed order (see fonts.seed_subsets)."""
        key = ("seed", id(loaded))
        if key not in self._seeds:
            clinic = {c for c in repr(dataclasses.asdict(self.config.clinic)) if ord(c) > 126}
            # Typographic marks the templates and the page footer print, then the content's own.
            self._seeds[key] = "·•–—‘’“”…" + "".join(sorted(clinic.union(loaded.chars)))
        return self._seeds[key]

    def settings_digest(self) -> str:
        """Digest of every setting that is printed or shapes the page, and of the logo's bytes."""
        if self._settings_digest is None:
            settings = {section: {key: value for key, value in values.items()
                                  if f"{section}.{key}" not in NOT_PRINTED} if isinstance(values, dict) else values
                        for section, values in dataclasses.asdict(self.config).items() if section not in NOT_PRINTED}
            # The logo's pixels matter, not where the file lies.
            logo = self.logo()
            try:
                settings["clinic"]["logo"] = hashlib.sha256(logo.read_bytes()).hexdigest() if logo else None
            except OSError as exc:
                raise PatientDocsError(f"clinic.logo: cannot read '{logo}' ({exc.strerror})",
                                       source=self.config.source) from None
            self._settings_digest = hashlib.sha256(repr(settings).encode("utf-8")).hexdigest()
        return self._settings_digest

    def fingerprint(self, loaded: LoadedContent, large_print: bool = False) -> str:
        """Short digest of the exact content, templates and clinic settings a document was made from,
        and of its print size: a large-print copy of the same content has a fingerprint of its own."""
        size = "\0large-print" if large_print else ""
        return hashlib.sha256((loaded.digest + self._template_digest() + self.settings_digest() + size).encode()
                              ).hexdigest()[:12]

    def large_print(self, wanted: bool | None) -> bool:
        """Whether a document is in large print: as asked, else the clinic's document.large_print."""
        return self.config.document.large(wanted)

    def theme(self, large_print: bool) -> Theme:
        from patientdocs.render.pdf.styles import theme_for

        document = self.config.document
        return theme_for(document.font_size, self.config.clinic.brand_colour, large_print=large_print,
                         large_size=document.large_print_size)

    def check_current(self, loaded: LoadedContent) -> bool:
        """True when the content is past its review date (allowed only with allow_expired)."""
        expired = loaded.expired(self.today)
        if expired and not self.allow_expired:
            raise PatientDocsError(
                f"content version {loaded.data.version} was due for review by {loaded.data.review_by.isoformat()}; "
                "ask for it to be reviewed, or use --allow-expired to print it with a warning",
                source=loaded.path)
        return expired

    def render_xml(self, kind: kinds_mod.Kind, loaded: LoadedContent, visit: Visit, *, expired: bool = False,
                   extra: dict | None = None, large_print: bool = False) -> str:
        context = build_context(kind, self.config, loaded, visit, fingerprint=self.fingerprint(loaded, large_print),
                                today=self.today, expired=expired)
        if extra:
            context.update(extra)
        return templating.render(self.env_for(loaded), kind.template, context)

    def other_languages(self, loaded: LoadedContent) -> list[dict[str, str]]:
        """On an English document, one line per other language the clinic has this treatment in,
        written in that language (its ``labels.also_available``): the list is the content files
        that exist. The label is read from the file's line alone, so an English document never
        loads (or waits for) another language's content; validate checks that file in full."""
        content = loaded.data
        if not language_mod.is_english(content.language) or content.translated_from:
            return []
        found = []
        for language in content_mod.available(self.config.handouts_dir).get(content.treatment, []):
            if language_mod.is_english(language):
                continue
            text = content_mod.label_of(self.config.handouts_dir / content.treatment / f"{language}.yaml",
                                        "also_available")
            if text:
                found.append({"language": language, "text": text})
        return found

    def part(self, name: str, visit: Visit, treatment: str, language: str, *, copy_label: str = "",
             extra: dict | None = None, large_print: bool = False):
        from patientdocs.render.pdf.page import PageMeta
        from patientdocs.render.pdf.render import Part

        kind = self.kinds.get(name)
        loaded = self.content(treatment, language)
        if loaded.data.section(kind.content_section) is None:
            raise PatientDocsError(f"the {treatment} content has no '{kind.content_section}' section",
                                   source=loaded.path)
        self.check_content_printable(loaded)
        expired = self.check_current(loaded)
        xml = self.render_xml(kind, loaded, visit, expired=expired, extra=extra, large_print=large_print)
        tree = markup.parse(xml, f"templates/{kind.template}")
        labels = loaded.data.labels
        clinic = self.config.clinic
        footer = (f"{labels.get('version', 'Version')} {loaded.data.version} · "
                  f"{labels.get('review_by', 'Review by')} "
                  f"{templating.date_words(loaded.data.review_by, labels, language)} · "
                  f"{labels.get('reference', 'Ref')} {self.fingerprint(loaded, large_print)}")
        meta = PageMeta(
            clinic_name=clinic.name,
            clinic_lines=(", ".join(clinic.address), " · ".join(x for x in (clinic.phone, clinic.email,
                                                                           clinic.website) if x)),
            brand=clinic.brand_colour,
            footer_left=footer,
            footer_note=translation_note(loaded.data),
            languages=tuple((other["language"], other["text"]) for other in self.other_languages(loaded)),
            page_word=labels.get("page", "Page"),
            of_word=labels.get("of", "of"),
            copy_label=copy_label,
            label_size=self.theme(True).font_size if large_print else 12,
            large_print=large_print,
            banner=labels.get("expired_warning", "Warning: this content is past its review date.")
            if expired else "",
            logo=self.logo(),
            blank_text=labels.get("intentionally_blank", "This page is intentionally blank."),
            rtl=self.direction(loaded) == language_mod.RTL,
        )
        return Part(tree, meta, f"templates/{kind.template}", prose=kind.prose)

    def logo(self) -> Path | None:
        """The clinic's logo, checked the first time it is needed."""
        path = self.config.logo_path
        if path is not None and "logo" not in self._checked:
            from patientdocs.load.config import line_of
            from patientdocs.render.pdf.logo import check_logo

            try:
                check_logo(path)
            except PatientDocsError as exc:  # the line is looked up only now: it means reading YAML
                raise PatientDocsError(exc.message, source=self.config.source,
                                       line=line_of(self.config.source, ("clinic", "logo"))) from None
            self._checked.add("logo")
        return path

    def check_content_printable(self, loaded: LoadedContent) -> None:
        """The clinic's details and the content must print too: characters no bundled font has
        would come out as empty boxes, so they are refused like a patient's name."""
        from patientdocs.errors import UnsupportedCharactersError
        from patientdocs.render.pdf import fonts

        if id(loaded) in self._checked:
            return
        checks = [(f"clinic.{key}", text, self.config.source) for key, value in self.config.clinic_dict().items()
                  for text in (value if isinstance(value, list) else [value]) if isinstance(text, str)]
        checks.append(("the content", loaded.chars, loaded.path))
        rtl = self.direction(loaded) == language_mod.RTL
        for what, text, source in checks:
            try:
                # A clinic's name may be in any script. Content with right-to-left letters needs
                # its pages laid out right to left: its language (or ``direction: rtl``) says so.
                fonts.check(text, what, allow_rtl=rtl or what != "the content")
            except UnsupportedCharactersError as exc:
                raise UnsupportedCharactersError(exc.message, source=source) from None
        if "header" not in self._checked:
            self.check_header()
            self._checked.add("header")
        self._checked.add(id(loaded))

    def check_header(self) -> None:
        """The clinic's name and its two lines of details must fit across the page header (beside
        the logo and a copy's label): drawn on one line each, a longer one runs off the page."""
        from reportlab.lib.units import mm

        from patientdocs.load.config import line_of
        from patientdocs.render.pdf import fonts, shaping
        from patientdocs.render.pdf.page import MARGIN
        from patientdocs.render.pdf.render import PAPER

        fonts.register()
        clinic = self.config.clinic
        across = PAPER[self.config.document.paper][0] - 2 * MARGIN
        if self.config.logo_path is not None:
            across -= 36 * mm
        details = " · ".join(x for x in (clinic.phone, clinic.email, clinic.website) if x)
        # The name shares its line with a copy's label ("Clinic copy", up to 40 mm).
        for key, text, font, size, room in (("name", clinic.name, fonts.MAIN + "-Bold", 14, across - 40 * mm),
                                            ("address", ", ".join(clinic.address), fonts.MAIN, 9.5, across),
                                            ("phone", details, fonts.MAIN, 9.5, across)):
            wide = shaping.line_width(text, font, size)
            if wide > room:
                what = {"name": "clinic.name", "address": "clinic.address (printed on one line)",
                        "phone": "clinic.phone, email and website (printed on one line)"}[key]
                raise PatientDocsError(f"{what} is too long for the page header: {wide / mm:.0f} mm wide, and "
                                       f"{room / mm:.0f} mm fit on {self.config.document.paper} paper; shorten it",
                                       source=self.config.source,
                                       line=line_of(self.config.source, ("clinic", key)))

    def check_printable(self, visit: Visit) -> None:
        from patientdocs.render.pdf import fonts

        for what, field, text in (("patient name", "patient", visit.patient),
                                  ("patient id", "patient_id", visit.patient_id),
                                  ("therapist", "therapist", visit.therapist), ("note", "note", visit.note),
                                  ("interpreter", "interpreter", visit.interpreter),
                                  *(("area treated", "areas", a) for a in visit.areas)):
            if text:
                try:
                    fonts.check(text, what)
                except PatientDocsError as exc:
                    exc.field = exc.field or field
                    raise

    def render(self, sections: Sequence[tuple[str, str]], visit: Visit, *, treatment: str, language: str,
               duplex: bool = False, fillable: bool = False, request: str = "",
               large_print: bool | None = None, filled: Mapping[str, str | bytes] | None = None,
               extra: Mapping[str, object] | None = None) -> Rendered:
        """One PDF from ``(kind, copy)`` sections, e.g. a consent form's patient and clinic copies.

        ``copy`` is "" or a name such as "patient"; its printed label comes from the content.
        ``large_print``: None for the clinic's setting (document.large_print)."""
        from patientdocs.render.pdf.forms import sign_fields
        from patientdocs.render.pdf.render import PdfInfo, render_pdf

        self.check_printable(visit)
        large = self.large_print(large_print)
        labels = self.content(treatment, language).data.labels
        parts = [self.part(kind, visit, treatment, language,
                           copy_label=labels.get(f"{copy}_copy", copy.capitalize() + " copy") if copy else "",
                           large_print=large, extra={**(extra or {}), "copy": copy})
                 for kind, copy in sections]
        kinds = tuple(dict.fromkeys(kind for kind, _ in sections))
        loaded = self.content(treatment, language)
        fingerprint = self.fingerprint(loaded, large)
        version, review_by = loaded.data.version, loaded.data.review_by.isoformat()
        titles = []
        for k in kinds:
            section = loaded.data.section(self.kinds.get(k).content_section)
            assert section is not None  # self.part() above refused a missing section
            titles.append(section.title)
        info = PdfInfo(
            title=" + ".join(titles),
            author=self.config.clinic.name,
            subject=f"{loaded.data.name}: {', '.join(kinds)}",
            keywords=f"content version {version}; review by {review_by}; fingerprint {fingerprint}",
            custom=(("ContentVersion", version), ("ReviewBy", review_by), ("Fingerprint", fingerprint),
                    ("DocumentKinds", "+".join(kinds)), ("Treatment", treatment), ("Language", language),
                    *((("LargePrint", "yes"),) if large else ()), *((("Request", request),) if request else ())),
            lang=language,
            direction=self.direction(loaded),
        )
        pdf, pages = render_pdf(parts, paper=self.config.document.paper, theme=self.theme(large),
                                info=info, duplex=duplex, fillable=fillable, seed=self.font_seed(loaded),
                                shared_fonts=self.shared_fonts, filled=filled)
        if fillable:
            pdf = sign_fields(pdf)
        return Rendered(pdf, pages, kinds, treatment, language, version, fingerprint, loaded.data.review_by)

    def render_cover(self, run_date: dt.date, rows: list[dict], problems: list[str], *, treatment: str,
                     language: str, first: bool = True, page_offset: int = 0,
                     page_total: int | None = None, total_rows: int | None = None,
                     last_date: dt.date | None = None) -> tuple[bytes, int]:
        """(A part of) the cover sheet of a print run: a checklist of every patient's documents.

        A long day's cover is made in parts (see cover_parts), so its size in memory does not
        grow with the list; ``page_offset`` and ``page_total`` keep "Page X of Y" right."""
        from patientdocs.render.pdf.page import PageMeta
        from patientdocs.render.pdf.render import Part, PdfInfo, render_pdf
        from patientdocs.render.pdf.styles import Theme

        loaded = self.content(treatment, language)
        # A kind's name on the checklist is its label doc_<kind> in the content, else its title.
        labels = {**{f"doc_{kind.name}": section.title for kind in self.kinds.all()
                     if (section := loaded.data.section(kind.content_section)) is not None},
                  **loaded.data.labels}
        # A list that spans several days: the cover gives the range, and each row its date.
        last = last_date if last_date is not None and last_date != run_date else None
        context = {"labels": labels, "clinic": self.config.clinic_dict(), "run_date": run_date, "rows": rows,
                   "problems": problems, "first": first, "last_date": last,
                   "total_rows": len(rows) if total_rows is None else total_rows,
                   "language": loaded.data.language, "direction": self.direction(loaded)}
        xml = templating.render(self.env_for(loaded), "cover.xml.j2", context)
        clinic = self.config.clinic
        meta = PageMeta(clinic_name=clinic.name, clinic_lines=(", ".join(clinic.address), clinic.phone),
                        brand=clinic.brand_colour, footer_left=f"{labels.get('cover_title', 'Print run')} "
                        f"{templating.date_words(run_date, labels, language)}",
                        page_word=labels.get("page", "Page"), of_word=labels.get("of", "of"),
                        page_offset=page_offset, page_total=page_total,
                        rtl=self.direction(loaded) == language_mod.RTL)
        info = PdfInfo(title=f"{labels.get('cover_title', 'Print run')} {run_date.isoformat()}",
                       author=clinic.name, subject="print run", keywords="", lang=language,
                       direction=self.direction(loaded))
        return render_pdf([Part(markup.parse(xml, "templates/cover.xml.j2"), meta, "templates/cover.xml.j2")],
                          paper=self.config.document.paper,
                          theme=Theme(self.config.document.font_size, clinic.brand_colour), info=info,
                          seed=self.font_seed(loaded), shared_fonts=self.shared_fonts)

    def cover_parts(self, run_date: dt.date, rows: list[dict], problems: list[str], *, treatment: str,
                    language: str, rows_per_part: int = 60, last_date: dt.date | None = None) -> Iterator[bytes]:
        """The cover sheet, a part at a time: laid out once to count its pages, then made."""
        chunks = [rows[i:i + rows_per_part] for i in range(0, len(rows), rows_per_part)] or [[]]

        def part(i: int, offset: int = 0, total: int | None = None) -> tuple[bytes, int]:
            import gc

            from patientdocs.render.pdf import reuse

            with reuse.keeping_nothing():
                made = self.render_cover(run_date, chunks[i], problems if i == len(chunks) - 1 else [],
                                         treatment=treatment, language=language, first=i == 0,
                                         page_offset=offset, page_total=total, total_rows=len(rows),
                                         last_date=last_date)
            # A made document is a web of reference cycles (reportlab's canvas, templates and
            # flowables): freed now, not at the garbage collector's rare full pass, so that a long
            # day's 2 x 17 parts do not pile up in the main process (issue 16).
            gc.collect()
            return made

        if len(chunks) == 1:
            yield part(0)[0]
            return
        pages = [part(i)[1] for i in range(len(chunks))]
        for i in range(len(chunks)):
            yield part(i, sum(pages[:i]), sum(pages))[0]

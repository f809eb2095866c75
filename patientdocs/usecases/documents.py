"""Make one document for one patient (or the front-desk packet): render it, save it, record it."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

from patientdocs.errors import PatientDocsError
from patientdocs.frozen import frozen
from patientdocs.usecases.saving import (
    VisitInput,
    build_visit,
    chest_hints,
    save_document,
    treatment_and_language,
)

if TYPE_CHECKING:
    from patientdocs.load.config import Config
    from patientdocs.render.pipeline import Rendered

__all__ = ["DocumentRequest", "Saved", "VisitInput", "document_hints", "make_document", "preview_document"]


@frozen
class DocumentRequest:
    kind: str  # a name from the kinds registry, or "packet"
    visit: VisitInput
    output: Path | None = None  # None: a safe name in the output folder
    duplex: bool | None = None  # None: the clinic's setting (document.duplex)
    fillable: bool = False  # boxes to fill in on a computer (the consent form)
    allow_expired: bool = False  # print content past its review date, with a warning on it


@frozen
class Saved:
    path: Path
    pages: int
    kinds: tuple[str, ...]
    sha256: str
    content_version: str
    fingerprint: str
    language: str
    treatment: str = ""
    hints: tuple[str, ...] = ()  # for the screen, e.g. a question about the chest region


class _Prepared:
    """A request checked and ready to render: the pipeline, the visit, the parts of the file."""

    def __init__(self, config: Config, request: DocumentRequest):
        from patientdocs.render.pipeline import Pipeline

        if request.fillable and request.duplex:
            raise PatientDocsError("--fillable makes a form to fill in on a computer; it is not printed, "
                                   "so it cannot be combined with --duplex", field="duplex")
        self.pipeline = Pipeline(config, allow_expired=request.allow_expired)
        self.sections = self.pipeline.kinds.sections([request.kind], fillable=request.fillable)
        self.visit = build_visit(config, request.visit, self.pipeline.today)
        if request.output is not None:
            from patientdocs.deliver.output import check_writable

            try:
                check_writable(request.output)
            except PatientDocsError as exc:
                exc.field = "output"
                raise
        self.treatment, self.language = treatment_and_language(config, request.visit)
        self.duplex = False if request.fillable else (config.document.duplex if request.duplex is None
                                                      else request.duplex)
        self.fillable = request.fillable
        self.large_print = request.visit.large_print  # None: the clinic's setting

    def hints(self) -> tuple[str, ...]:
        """Notes for the person making the document (an aftercare sheet's chest region)."""
        if not any(kind == "aftercare" for kind, _ in self.sections):
            return ()
        care = self.pipeline.content(self.treatment, self.language).data.aftercare
        return chest_hints(self.visit, care.chest_areas) if care is not None else ()

    def render(self) -> Rendered:
        return self.pipeline.render(self.sections, self.visit, treatment=self.treatment, language=self.language,
                                    duplex=self.duplex, fillable=self.fillable, large_print=self.large_print)


def make_document(config: Config, request: DocumentRequest, *, user: str | None = None) -> Saved:
    """Render one PDF for one visit, then save it and its records together."""
    from patientdocs.deliver.output import remove_stale_parts
    from patientdocs.records.store import Records

    prepared = _Prepared(config, request)
    sealer = None
    if config.seal is not None and config.seal.seals("printed"):
        from patientdocs.deliver.seal import load_sealer

        sealer = load_sealer(config, prepared.pipeline.today)  # a bad key stops us before any work
    records = Records(config.records_path)  # a bad records file stops us before any work
    try:
        rendered = prepared.render()
        target, _ = save_document(config, prepared.pipeline.kinds, records, rendered, prepared.visit,
                                  output=request.output, channel="printed", sealer=sealer,
                                  username=user)
    finally:
        records.close()
    remove_stale_parts(target.parent)
    digest = hashlib.sha256(target.read_bytes()).hexdigest() if sealer else hashlib.sha256(rendered.pdf).hexdigest()
    return Saved(target, rendered.pages, rendered.kinds, digest, rendered.version,
                 rendered.fingerprint, rendered.language, rendered.treatment, prepared.hints())


def preview_document(config: Config, request: DocumentRequest) -> bytes:
    """The PDF only: nothing is written or recorded (a web page shows it before printing)."""
    return _Prepared(config, request).render().pdf


def document_hints(config: Config, request: DocumentRequest) -> tuple[str, ...]:
    """What the screen should ask before the document is made (the chest region of an aftercare
    sheet), as ``Saved.hints`` will say after: a web page shows it beside the preview."""
    return _Prepared(config, request).hints()

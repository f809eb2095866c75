"""What the forms offer: kinds of document, treatments and languages, the clinic's defaults."""

from __future__ import annotations

from patientdocs.frozen import frozen


@frozen
class Choices:
    kinds: tuple[tuple[str, str], ...]  # (name, label)
    treatments: tuple[tuple[str, str], ...]  # (name, name)
    languages: tuple[tuple[str, str], ...]  # (code, name)
    default_treatment: str
    default_language: str
    default_therapist: str
    today: str


def choices(config) -> Choices:
    from patientdocs.load.visit import today
    from patientdocs.usecases.status import available_documents, content_status

    status = content_status(config)
    kinds = tuple((kind.name, kind.label) for kind in available_documents(config))
    languages = tuple(dict.fromkeys((s.language, s.language_name or s.language) for s in status))
    return Choices(kinds=(*kinds, ("packet", "the packet (information sheet and consent form)")),
                   treatments=tuple((t, t) for t in dict.fromkeys(s.treatment for s in status)), languages=languages,
                   default_treatment=config.defaults.treatment, default_language=config.defaults.language,
                   default_therapist=config.defaults.therapist or "", today=today().isoformat())

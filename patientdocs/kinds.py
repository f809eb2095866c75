"""The kinds of document: one registry that every command, the batch and the email read.

A kind is its template, the content section it prints, the copies one file holds (a consent
form has a patient and a clinic copy), whether it is in the front-desk packet, and its label in
``list``. A clinic adds a kind of its own under ``kinds:`` in config.yaml (see ``for_config``):
with its template and its content section that is all it needs; no code changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from patientdocs.errors import PatientDocsError
from patientdocs.frozen import frozen

if TYPE_CHECKING:
    from patientdocs.load.config import Config, KindSettings

PACKET = "packet"
PACKET_LABEL = "the information sheet and the consent form together, for the front desk"


@frozen
class Kind:
    name: str
    template: str  # file name in the templates folder
    content_section: str  # the key of its section in the content file
    copies: tuple[str, ...] = ()  # the copies one file holds, e.g. ("patient", "clinic"); () = one, unlabelled
    in_packet: bool = False
    label: str = ""  # what ``list`` says it is
    cites_risks: bool = False  # prints the risk tables, so their sources are cited too
    fillable_copy: str | None = None  # the copy made with --fillable (None: cannot be made fillable)
    # Reading text: lines of about 70 characters and 1.45 line spacing. A form (the consent form,
    # which must keep to two pages) uses the full width and 1.3, except for the reading text its
    # template puts in a <beside> block (see README, "The consent form").
    prose: bool = True

    def sections(self, *, fillable: bool = False, first_copy_only: bool = False) -> list[tuple[str, str]]:
        """``(kind, copy)`` parts of one file; an email holds one copy, the patient's."""
        if fillable:
            if self.fillable_copy is None:
                raise PatientDocsError(f"the {self.name} document cannot be made fillable "
                                       "(--fillable is for the consent form)", field="fillable")
            return [(self.name, self.fillable_copy)]
        copies = self.copies or ("",)
        return [(self.name, copy) for copy in (copies[:1] if first_copy_only else copies)]


BUILT_IN = (
    Kind("info", "info.xml.j2", "info", in_packet=True, label="the information sheet about the treatment",
         cites_risks=True),
    Kind("consent", "consent.xml.j2", "consent", copies=("patient", "clinic"), in_packet=True,
         label="the consent form", fillable_copy="return", prose=False),
    Kind("aftercare", "aftercare.xml.j2", "aftercare", label="the aftercare sheet for after a session"),
)


class Registry:
    """Kinds by name, in the order they were registered (which is the order they print in)."""

    def __init__(self, kinds: Iterable[Kind] = ()):
        self._kinds: dict[str, Kind] = {}
        for kind in kinds:
            self.register(kind)

    def register(self, kind: Kind) -> Kind:
        if kind.name == PACKET or kind.name in self._kinds:
            raise PatientDocsError(f"a kind of document named '{kind.name}' already exists; choose another name")
        self._kinds[kind.name] = kind
        return kind

    def get(self, name: str, *, packet: bool = False) -> Kind:
        try:
            return self._kinds[name]
        except KeyError:
            known = ", ".join(f"'{n}'" for n in self.names(with_packet=packet))
            raise PatientDocsError(f"unknown document: '{name}' is not one of {known}", field="kind") from None

    def all(self) -> tuple[Kind, ...]:
        return tuple(self._kinds.values())

    def names(self, *, with_packet: bool = False) -> tuple[str, ...]:
        names = tuple(self._kinds)
        return (*names, PACKET) if with_packet and self.packet() else names

    def __contains__(self, name: object) -> bool:
        return name in self._kinds

    def packet(self) -> tuple[str, ...]:
        """The kinds of the front-desk packet, in order."""
        return tuple(k.name for k in self._kinds.values() if k.in_packet)

    def expand(self, names: Iterable[str]) -> tuple[str, ...]:
        """Kind names with ``packet`` spelled out, duplicates dropped, in the registry's order."""
        wanted: list[str] = []
        for name in names:
            wanted.extend(self.packet() if name == PACKET else (self.get(name, packet=True).name,))
        order = {name: i for i, name in enumerate(self._kinds)}
        return tuple(sorted(dict.fromkeys(wanted), key=order.__getitem__))

    def sections(self, names: Iterable[str], *, fillable: bool = False) -> list[tuple[str, str]]:
        """Every ``(kind, copy)`` part of one file holding the documents ``names`` (``packet`` allowed)."""
        return [part for name in self.expand(names) for part in self.get(name).sections(fillable=fillable)]

    def file_label(self, kinds: Iterable[str]) -> str:
        """How a file's name says what it holds: ``packet`` for the packet (and more), else the kinds."""
        kinds = tuple(kinds)
        packet = self.packet()
        return PACKET if packet and set(kinds) >= set(packet) else "-".join(kinds)

    def content_sections(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(k.content_section for k in self._kinds.values()))

    def extended(self, more: Iterable[Kind]) -> Registry:
        return Registry((*self.all(), *more))


KINDS = Registry(BUILT_IN)


def from_settings(name: str, settings: KindSettings) -> Kind:
    """A clinic's own kind, from its ``kinds:`` entry in config.yaml."""
    return Kind(name=name, template=settings.template or f"{name}.xml.j2",
                content_section=settings.content_section or name, copies=tuple(settings.copies),
                in_packet=settings.in_packet, label=settings.label, cites_risks=settings.cites_risks)


def for_config(config: Config) -> Registry:
    """The built-in kinds and the clinic's own (``kinds:`` in config.yaml), in that order."""
    if not config.kinds:
        return KINDS
    return KINDS.extended(from_settings(name, settings) for name, settings in config.kinds.items())

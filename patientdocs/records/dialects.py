"""A migration step written for each records backend, where their SQL differs (see base.MIGRATIONS)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Dialects:
    sqlite: str
    postgresql: str

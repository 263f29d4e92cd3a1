"""Sections of the administration area; each feature registers its own."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Section:
    endpoint: str
    label: object  # lazy string
    description: object  # lazy string
    order: int


_SECTIONS: dict[str, Section] = {}


def register(endpoint: str, label, description, order: int) -> None:
    _SECTIONS[endpoint] = Section(endpoint, label, description, order)


def sections() -> list[Section]:
    return sorted(_SECTIONS.values(), key=lambda s: s.order)

"""The deck as plain data: what a deck file says, after validation.

A deck file holds *entries* (``[[cards]]`` in TOML), each with a stable id.
Most entries are studied as one card; a cloze entry is studied once per
deletion number, so the unit of scheduling is the pair (entry id, ordinal):
ordinal 1 for basic and vignette entries, ``n`` for the deletion ``{{cn::...}}``.
Nothing here reads files, the clock or a database.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path

from osteo_learn.core import cloze


class Kind(enum.StrEnum):
    BASIC = "basic"
    CLOZE = "cloze"
    VIGNETTE = "vignette"


@dataclass(frozen=True)
class Basic:
    front: str
    back: str


@dataclass(frozen=True)
class Cloze:
    text: str
    extra: str = ""

    def numbers(self) -> tuple[int, ...]:
        """The deletion numbers in the text, ascending: one card each."""
        return cloze.numbers(self.text)


@dataclass(frozen=True)
class Vignette:
    stem: str
    question: str
    options: tuple[str, ...]
    answer: str
    explanation: str

    @property
    def answer_index(self) -> int:
        return self.options.index(self.answer)


Content = Basic | Cloze | Vignette

_KIND_OF = {Basic: Kind.BASIC, Cloze: Kind.CLOZE, Vignette: Kind.VIGNETTE}


@dataclass(frozen=True)
class Card:
    """One entry of a deck file; ``line`` is where it starts and ``field_lines``
    where each of its fields does, for messages (neither counts in equality)."""

    id: str
    tags: tuple[str, ...]
    source: str
    content: Content
    line: int = field(default=0, compare=False)
    field_lines: tuple[tuple[str, int], ...] = field(default=(), compare=False)

    def line_of(self, name: str) -> int:
        """The line of field ``name``, else where the card starts."""
        return dict(self.field_lines).get(name, self.line)

    @property
    def kind(self) -> Kind:
        return _KIND_OF[type(self.content)]

    def ordinals(self) -> tuple[int, ...]:
        """The cards this entry is studied as (cloze numbers, else just 1)."""
        if isinstance(self.content, Cloze):
            return self.content.numbers()
        return (1,)


@dataclass(frozen=True)
class SourceDocument:
    """The text a deck was written from, kept beside the deck file."""

    title: str
    path: Path
    text: str


@dataclass(frozen=True)
class Deck:
    id: str
    title: str
    description: str
    source: SourceDocument
    cards: tuple[Card, ...]
    path: Path

    def card(self, card_id: str) -> Card:
        for card in self.cards:
            if card.id == card_id:
                return card
        raise KeyError(card_id)

    def count_by_kind(self) -> dict[Kind, int]:
        """Studied cards by kind (a cloze entry counts once per deletion)."""
        counts = dict.fromkeys(Kind, 0)
        for card in self.cards:
            counts[card.kind] += len(card.ordinals())
        return counts

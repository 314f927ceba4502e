"""Finding cards by their text: case- and accent-insensitive, over everything a card shows.

A card's searchable text is every text it shows: a basic card's front and
back, a cloze's text with its deletions filled in and its extra, a
vignette's case, question, options and explanation; and the source
excerpt. Both the query and the text are *folded* (:func:`fold`): Unicode
compatibility forms, accents removed, case folded, spaces collapsed; so
"Sciatica" finds "sciática" and "SCIATICA". Pure.
"""

from __future__ import annotations

import unicodedata

from osteo_learn.core import cloze
from osteo_learn.core.cards import Basic, Card, Cloze, Vignette


def fold(text: str) -> str:
    """``text`` for comparing: accents removed, case folded, whitespace collapsed."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.casefold().split())


def prompt(card: Card, ordinal: int = 1) -> str:
    """What the card asks, on one line: a front, a cloze with its deletion hidden, a case's question."""
    content = card.content
    if isinstance(content, Basic):
        text = content.front
    elif isinstance(content, Cloze):
        text = cloze.render(content.text, ordinal, reveal=False)
    else:
        text = content.question
    return " ".join(text.split())


def searchable(card: Card, ordinal: int = 1) -> str:
    """Every text the card shows, folded."""
    content = card.content
    if isinstance(content, Basic):
        parts = [content.front, content.back]
    elif isinstance(content, Cloze):
        parts = [cloze.render(content.text, ordinal, reveal=True), content.extra]
    elif isinstance(content, Vignette):
        parts = [content.stem, content.question, *content.options, content.explanation]
    else:  # pragma: no cover - every kind is handled above
        parts = []
    return fold(" ".join([*parts, card.source]))


def matches(query: str, card: Card, ordinal: int = 1) -> bool:
    """Whether the folded ``query`` occurs in the card's text (an empty query matches all)."""
    return fold(query) in searchable(card, ordinal)

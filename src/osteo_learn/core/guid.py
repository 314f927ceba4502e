"""A card's note GUID in Anki: from its deck id and card id only, never from its text.

The very string ``genanki.guid_for(deck_id, card_id)`` gives: the first 8
bytes of the SHA-256 of ``"<deck id>__<card id>"``, written in Anki's base 91
from the first nonzero digit. Editing a card's wording keeps its GUID, so
Anki updates the note instead of adding a copy, and an import from Anki finds
the card again by it.
"""

from __future__ import annotations

import functools
import hashlib

# Anki's base-91 digits, in value order (genanki.util.BASE91_TABLE).
BASE91 = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&()*+,-./:;<=>?@[]^_`{|}~"


def note_guid(deck_id: str, card_id: str) -> str:
    """The GUID of the note of the deck entry ``card_id`` of the deck ``deck_id``,
    computed two base-91 digits at a time."""
    number = int.from_bytes(hashlib.sha256(f"{deck_id}__{card_id}".encode()).digest()[:8], "big")
    pairs = _base91_pairs()
    # 91**10 > 2**64: five pairs of digits hold any 8 bytes.
    rest, e = divmod(number, 8281)
    rest, d = divmod(rest, 8281)
    rest, c = divmod(rest, 8281)
    a, b = divmod(rest, 8281)
    # Anki's form starts at the first nonzero digit ("a" is zero).
    return (pairs[a] + pairs[b] + pairs[c] + pairs[d] + pairs[e]).lstrip("a")


@functools.cache
def _base91_pairs() -> tuple[str, ...]:
    """Every two-digit number in base 91, as text, by value (91 * 91 = 8281)."""
    return tuple(high + low for high in BASE91 for low in BASE91)

"""A shuffle seeded from data, never from a random generator: the order of a vignette's options.

A case vignette's options are shown in an order of their own each study
day, so a case is answered from the case and not from a remembered letter;
within one study day the order stays the same, so a same-day repeat, an
undo and a session started again show the letters the student saw. The
order is a Fisher-Yates shuffle driven by SHA-256 of the card and the day:
the same card on the same day always gives the same order, on any machine.
Pure: no clock, no randomness.
"""

from __future__ import annotations

from datetime import date


def option_order(deck_id: str, card_id: str, day: date, count: int) -> tuple[int, ...]:
    """The options' indexes (as in the deck file) in the order to show them."""
    import hashlib  # only when a case is shown: kept off the review's start-up

    order = list(range(count))
    seed = f"{deck_id}\x1f{card_id}\x1f{day.isoformat()}".encode()
    for i in range(count - 1, 0, -1):
        digest = hashlib.sha256(seed + b"\x1f" + str(i).encode()).digest()
        j = int.from_bytes(digest[:8], "big") % (i + 1)
        order[i], order[j] = order[j], order[i]
    return tuple(order)

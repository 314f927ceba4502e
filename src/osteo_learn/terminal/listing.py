"""Cards found by ``osteo-learn cards --search`` (and its filters), laid out for a terminal.

Each card takes a few lines: its name as the card commands take it, its
kind, state and due date; then its text, wrapped; then what card control
says of it (suspended, a leech, buried, flagged with its note).
"""

from __future__ import annotations

from collections.abc import Iterable

from osteo_learn.core.text import clean
from osteo_learn.terminal.layout import wrap


def found_cards(rows: Iterable[dict], width: int) -> list[str]:
    """The lines for the cards found (rows as ``cards --json`` gives them)."""
    width = max(40, min(width, 100))
    lines: list[str] = []
    count = 0
    for row in rows:
        count += 1
        due = f"due {row['due']}" if row["due"] else "never studied"
        lines.append(f"{row['ref']}  {row['kind']} · {row['state']} · {due}")
        lines.append(wrap(clean(row["text"]), width, "  "))
        held = []
        if row["leech"]:
            held.append("leech: suspended for lapsing too often; rewrite it, then osteo-learn unsuspend " + row["ref"])
        elif row["suspended"]:
            held.append("suspended: osteo-learn unsuspend " + row["ref"] + " brings it back")
        if row["buried"]:
            held.append("buried until tomorrow")
        if row["flagged"]:
            held.append("flagged" + (f": {clean(row['flag_note'])}" if row["flag_note"] else ""))
        for text in held:
            lines.append(wrap(text, width, "  "))
    lines.append(f"{count} card{'' if count == 1 else 's'} found.")
    return lines

"""Control over cards from the command line: ``suspend``, ``unsuspend``, ``flag``, ``unflag``.

Each names cards as ``deck-id/card-id`` (every deletion of a cloze) or
``deck-id/card-id#N`` (one deletion); every name is checked before anything
is written, and all the changes are one transaction, logged as events
(:mod:`osteo_learn.store.control`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from osteo_learn.commands.common import Command, db_option, open_study
from osteo_learn.errors import OsteoError

if TYPE_CHECKING:
    from pathlib import Path

    from osteo_learn.store import Store
    from osteo_learn.store.rows import StoredCard


def resolve(store: Store, names: tuple[str, ...]) -> list[StoredCard]:
    """The cards named, in the order named (each once); an error names the first unknown one."""
    from osteo_learn.core.control import parse_ref

    decks = store.decks.ids()
    found: dict[int, StoredCard] = {}
    for name in names:
        ref = parse_ref(name)
        if ref.deck_id not in decks:
            raise OsteoError(f"{ref}: no deck '{ref.deck_id}' (decks: {', '.join(decks) or 'none'})")
        entry = [c for c in store.cards.entry(ref.deck_id, ref.card_id) if not c.retired]
        if not entry:
            raise OsteoError(f"{ref}: no card '{ref.card_id}' in deck '{ref.deck_id}' (see osteo-learn cards --deck {ref.deck_id})")
        if ref.ordinal is not None:
            if entry[0].kind != "cloze":
                raise OsteoError(f"{ref}: '{ref.card_id}' is a {entry[0].kind} card, not a cloze; name it without #{ref.ordinal}")
            picked = [c for c in entry if c.ordinal == ref.ordinal]
            if not picked:
                numbers = ", ".join(f"#{c.ordinal}" for c in entry)
                raise OsteoError(f"{ref}: '{ref.card_id}' has no deletion #{ref.ordinal} (it has {numbers})")
            entry = picked
        for card in entry:
            found.setdefault(card.pk, card)
    return list(found.values())


def _change(db_path: Path | None, names: tuple[str, ...], action: str, note: str = "") -> None:
    from osteo_learn.core.control import Action, Origin

    action = Action(action)
    store, _, now, today = open_study(db_path)
    with store:
        cards = resolve(store, names)
        already = {
            Action.SUSPEND: lambda c: c.suspended,
            Action.UNSUSPEND: lambda c: not c.suspended,
            Action.FLAG: lambda c: c.flagged and c.flag_note == note,
            Action.UNFLAG: lambda c: not c.flagged,
        }[action]
        todo = [c for c in cards if not already(c)]
        if todo:
            store.check_writable()
            store.control.record([c.pk for c in todo], action, now, today, note=note, origin=Origin.COMMAND)
    done = {Action.SUSPEND: "Suspended", Action.UNSUSPEND: "Unsuspended", Action.FLAG: "Flagged", Action.UNFLAG: "Unflagged"}[action]
    state = {Action.SUSPEND: "suspended", Action.UNSUSPEND: "not suspended", Action.FLAG: "flagged so", Action.UNFLAG: "not flagged"}[action]
    for card in cards:
        if card in todo:
            extra = " (it was a leech: it is studied again from its next due date)" if action is Action.UNSUSPEND and card.leech else ""
            click.echo(f"{done} {card.ref}{extra}.")
        else:
            click.echo(f"{card.ref} was already {state}; nothing changed.")


_CARDS = click.argument("names", nargs=-1, required=True, metavar="CARD...")
_EPILOG = "CARD is deck-id/card-id (every deletion of a cloze) or deck-id/card-id#N (one deletion); see osteo-learn cards --search TEXT."


@click.command(cls=Command, epilog=_EPILOG)
@db_option
@_CARDS
def suspend(db_path: Path | None, names: tuple[str, ...]) -> None:
    """Take cards out of review until unsuspended; their schedule is kept."""
    _change(db_path, names, "suspend")


@click.command(cls=Command, epilog=_EPILOG)
@db_option
@_CARDS
def unsuspend(db_path: Path | None, names: tuple[str, ...]) -> None:
    """Put suspended cards (leeches too) back into review, on their kept schedule."""
    _change(db_path, names, "unsuspend")


@click.command(cls=Command, epilog=_EPILOG)
@db_option
@click.option("--note", default="", metavar="TEXT", help="What is wrong or unclear (one line).")
@_CARDS
def flag(db_path: Path | None, note: str, names: tuple[str, ...]) -> None:
    """Mark cards as wrong or unclear, with an optional note; they are still studied."""
    from osteo_learn.core.control import clean_note

    _change(db_path, names, "flag", clean_note(note))


@click.command(cls=Command, epilog=_EPILOG)
@db_option
@_CARDS
def unflag(db_path: Path | None, names: tuple[str, ...]) -> None:
    """Take the flag (and its note) off cards."""
    _change(db_path, names, "unflag")

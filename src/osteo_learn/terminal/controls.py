"""The card-control keys of the review: bury, suspend, flag, and edit a card where it lives.

A mixin of :class:`osteo_learn.terminal.session.Session`, kept apart
because it is a job of its own. Each key writes one event to the card
event log (:mod:`osteo_learn.store.control`) before the screen says it is
done, and each can be undone with ``u``, as an answer can:

===  =====================================================================
``-``  bury: not today; back tomorrow, the schedule unchanged
``!``  suspend: out of review until ``osteo-learn unsuspend CARD``
``f``  flag as wrong or unclear, with an optional one-line note typed there
       and then (``f`` on a flagged card takes the flag off)
``o``  open the card's deck file in ``$VISUAL`` or ``$EDITOR`` at the
       card's line (``EDITOR +LINE FILE``), for a deck the student added;
       on return the deck is read again (its problems shown, nothing lost)
       and the card drawn anew. The bundled deck is not the student's
       file: ``o`` there says to flag the card instead.
===  =====================================================================
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from osteo_learn.core.control import NOTE_LIMIT, Action, Origin
from osteo_learn.core.queue import Entry
from osteo_learn.errors import OsteoError
from osteo_learn.store.control import CardEvent
from osteo_learn.store.rows import StoredCard
from osteo_learn.terminal.keys import BACKSPACE, ENTER, EOF, ESCAPE, INTERRUPT, RESIZE, SUSPEND

CONTROL_KEYS = ("-", "!", "f", "o")


class Skipped(Exception):
    """The card on screen left the queue (buried, suspended, gone from its file)."""


@dataclass
class Controlled:
    """A card-control event of this session, for undo; ``removed``: it took the card off the queue."""

    event: CardEvent
    entry: Entry[StoredCard]
    removed: bool


class ControlKeys:
    """Bury, suspend, flag and edit, as keys of the review session (a mixin)."""

    def control_key(self, key: str) -> None:
        entry = self.queue.current
        if entry is None:
            return
        if key == "-":
            self.hold(entry, Action.BURY)
        elif key == "!":
            self.hold(entry, Action.SUSPEND)
        elif key == "f":
            self.toggle_flag(entry)
        else:
            self.edit(entry)

    def _record(self, entry: Entry[StoredCard], action: Action, note: str = "") -> CardEvent:
        instant, day = self.day_now()
        [event] = self.store.control.record([entry.card.pk], action, instant, day, note=note, origin=Origin.SESSION)
        return event

    def hold(self, entry: Entry[StoredCard], action: Action) -> None:
        """Bury or suspend the card on screen: it leaves the queue, its schedule as it was."""
        event = self._record(entry, action)
        # Committed: only now take it off the queue and say so.
        self.queue.skip()
        self.actions.append(Controlled(event, entry, removed=True))
        ref = entry.card.ref
        if action is Action.BURY:
            self.say(f"{self.style.yellow('Buried')} {ref}: back tomorrow, its schedule unchanged (u takes it back).")
        else:
            self.say(f"{self.style.yellow('Suspended')} {ref}: out of review until osteo-learn unsuspend {ref} (u takes it back).")
        raise Skipped()

    def toggle_flag(self, entry: Entry[StoredCard]) -> None:
        card = self.fresh(entry.card)
        if card.flagged:
            event = self._record(entry, Action.UNFLAG)
            self.actions.append(Controlled(event, entry, removed=False))
            self.say(f"{self.style.yellow('Unflagged')} {card.ref}.")
            return
        note = self.read_note()
        if note is None:
            self.say("Not flagged.")
            return
        event = self._record(entry, Action.FLAG, note)
        self.actions.append(Controlled(event, entry, removed=False))
        said = f": {event.note}" if event.note else ""
        self.say(f"{self.style.yellow('Flagged')} {card.ref}{said}. See them all with osteo-learn cards --flagged.")

    def fresh(self, card: StoredCard) -> StoredCard:
        """The card as the store has it now (its flag may have changed in this session)."""
        return self.store.cards.get(card.pk)

    def read_note(self) -> str | None:
        """A one-line note typed for a flag; ``None`` when the student cancels."""
        ask = "Flag note, what is wrong or unclear (Enter to flag, Esc to cancel):"
        if not self.keys.single_key:
            self.line(ask + " (one line; an empty line flags without a note)")
            text = self.keys.read_line()
            if text in (EOF, INTERRUPT):
                return None
            return text
        text = ""
        while True:
            self.prompt_note(ask, text)
            key = self.keys.read()
            if key == RESIZE:
                self.resized()
            elif key == SUSPEND:
                self.suspend()
            elif key == ENTER:
                return text
            elif key in (INTERRUPT, EOF, ESCAPE):
                return None
            elif key in BACKSPACE:
                text = text[:-1]
            elif key.isprintable() and not key.startswith(ESCAPE) and len(text) < NOTE_LIMIT:
                text += key

    # -- edit ------------------------------------------------------------------

    def edit(self, entry: Entry[StoredCard]) -> None:
        card = entry.card
        record = next((r for r in self.store.decks.records() if r.id == card.deck_id), None)
        if record is None or record.bundled:
            self.complain("This card is from the bundled deck, not a file of yours: press f to flag it, with a note of what to fix.")
            return
        editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
        if not editor:
            self.complain(f"Set $VISUAL or $EDITOR to edit cards here; the card is on line {card_line(Path(record.file), card.card_id)} of {record.file}.")
            return
        path = Path(record.file)
        line = card_line(path, card.card_id)
        self.hand_over_terminal(lambda: _run_editor(editor, line, path))
        self.reread(entry, path)

    def reread(self, entry: Entry[StoredCard], path: Path) -> None:
        """Read the edited deck again and draw the card anew; a deck with problems changes nothing."""
        from osteo_learn.store import library

        files = [f for f in library.deck_files(self.store) if f.path == path]
        try:
            problems = library.sync_decks(self.store, files)
        except OsteoError as error:
            problems = [str(error)]
        if problems:
            listed = "\n".join("\n".join(problems).splitlines()[:6])
            self.complain(f"The deck file has problems, so nothing changed (the card is as it was; fix them with o):\n{listed}")
            return
        fresh = self.store.cards.get(entry.card.pk)
        self.titles = self.store.decks.titles()
        if fresh.retired:
            self.queue.drop(lambda c: c.pk == fresh.pk)
            self.say(f"{fresh.ref} is gone from its deck file: retired, its history kept.")
            raise Skipped()
        self.queue.replace(lambda c: c.pk == fresh.pk, fresh)
        self.view.entry = Entry(fresh, entry.kind)
        self.say(f"Edited {fresh.ref}: the deck was read again.")

    def undo_control(self, done: Controlled) -> None:
        instant, _ = self.day_now()
        self.store.control.undo(done.event.id, instant)
        what = {"bury": "the bury of", "suspend": "the suspension of", "flag": "the flag of", "unflag": "the unflag of"}[done.event.action]
        self.say(f"{self.style.yellow('Undone')}: {what} {done.entry.card.ref}.")
        if done.removed:
            self.queue.undo()


def card_line(path: Path, card_id: str) -> int:
    """The line of a card's ``id = "..."`` in its deck file (1 when it cannot be found)."""
    pattern = re.compile(r"""^\s*id\s*=\s*["']""" + re.escape(card_id) + r"""["']\s*(#.*)?$""")
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return 1
    for number, line in enumerate(text.split("\n"), start=1):
        if pattern.match(line):
            return number
    return 1


def _run_editor(editor: str, line: int, path: Path) -> None:
    import shlex
    import subprocess

    try:
        subprocess.run([*shlex.split(editor), f"+{line}", str(path)], check=False)
    except OSError as error:
        raise OsteoError(f"cannot run the editor {editor!r}: {error.strerror}") from None

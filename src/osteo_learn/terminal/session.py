"""The daily review: one card at a time in the terminal, every answer saved at once.

The command reads the clock once (``now`` and the study day ``today``) and
hands them in; the time of each answer is ``now`` plus the monotonic time
elapsed since (:func:`osteo_learn.system.clock.elapsed`). A session that
runs past the day-start hour moves on with the clock: the first answer
after it counts for the new study day, and the session says that a new
study day began and plans that day's cards (its own new-card quota, its due
reviews).

Each grade is written with ``store.log.record``, which commits before it
returns; only then is the answer acknowledged on screen and the next card
shown, so an answer the student saw acknowledged survives a crash. ``u``
takes the last answer back with ``store.log.undo`` (one transaction; the log
keeps the row, marked undone) and shows that card again; it takes back a
bury, suspend or flag the same way (:mod:`.controls`).

On a terminal (stdin and stdout both) the review is full-screen
(:mod:`.screen`): the alternate screen, a card taller than the window
scrolled with keys, a resize redrawn at once, Ctrl-Z stopping with the
terminal restored and ``fg`` redrawing. Elsewhere it is a transcript, one
key per line in.

Keys (the README has the table; ``?`` shows them):

==========  ==============================================================
space/Enter  show the answer (never grades)
A-E          pick an option of a case vignette (shuffled per study day)
0-5          grade, once the answer is shown (0-2 after a wrong pick, 3-5
             after the right one)
s            show the source passage, once the answer is shown
- ! f o      bury, suspend, flag, edit (:mod:`.controls`)
u            undo the last answer, bury, suspend or flag of this session
↑ ↓ j k      scroll a tall card (also Page Up and Page Down)
q            end the session (exit code 0; so does end of input)
Ctrl-C       end the session (exit code 130)
Ctrl-Z       stop; ``fg`` comes back
?            help
==========  ==============================================================
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TextIO

from osteo_learn.core import queue, sm2
from osteo_learn.core.cards import Vignette
from osteo_learn.core.days import study_day
from osteo_learn.core.queue import Entry
from osteo_learn.core.settings import Settings
from osteo_learn.core.shuffle import option_order
from osteo_learn.errors import OsteoError
from osteo_learn.store import Store
from osteo_learn.store.log import UndoConflict
from osteo_learn.store.rows import Review, StoredCard
from osteo_learn.system import clock
from osteo_learn.terminal import keys as key_module
from osteo_learn.terminal import plans, summary
from osteo_learn.terminal.card_screen import CardView, allowed_grades, when
from osteo_learn.terminal.controls import CONTROL_KEYS, ControlKeys, Controlled, Skipped
from osteo_learn.terminal.display import Display
from osteo_learn.terminal.display import End as _End
from osteo_learn.terminal.keys import ENTER, Keys
from osteo_learn.terminal.layout import terminal_width
from osteo_learn.terminal.screen import Hint, Screen, help_text
from osteo_learn.terminal.style import Style, colour_wanted, is_terminal
from osteo_learn.terminal.summary import Options

EXIT_INTERRUPTED = 130
"""Exit code after Ctrl-C (128 + SIGINT), so a calling script can tell; ``q`` exits 0."""

MAX_WIDTH = 90
"""Text is wrapped to the terminal's width, but no wider than this, to stay readable."""


class _Undone(Exception):
    """The last answer was taken back; the queue shows that card again."""


def run(
    store: Store,
    settings: Settings,
    now: datetime,
    today: date,
    options: Options = Options(),
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    notices: Sequence[str] = (),
) -> int:
    """Run a review session; return the exit code (0, or 130 after Ctrl-C)."""
    stdin = stdin if stdin is not None else sys.stdin
    stdout = stdout if stdout is not None else sys.stdout
    with key_module.keys(stdin) as reader:
        return Session(store, settings, now, today, options, reader, stdout, notices=notices).run()


@dataclass
class _Answered:
    review: Review
    entry: Entry[StoredCard]


class Session(Display, ControlKeys):
    """One review session: the queue, the keys, the screen and the answers given."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        now: datetime,
        today: date,
        options: Options,
        keys: Keys,
        out: TextIO,
        *,
        notices: Sequence[str] = (),
        elapsed: Callable[[], float] = clock.elapsed,
    ):
        self.store = store
        self.settings = settings
        self.now = now
        self.today = today
        self.options = options
        self.keys = keys
        self.out = out
        self.notices = list(notices)
        self.elapsed = elapsed
        self.style = Style(colour_wanted(out))
        self.tty = is_terminal(out)
        self.fullscreen = is_terminal(out) and keys.single_key
        self.screen = Screen(out, MAX_WIDTH)
        self.width = self.screen.width if self.fullscreen else min(terminal_width(out), MAX_WIDTH)
        self.started = elapsed()
        self.actions: list[_Answered | Controlled] = []
        self.answers: list[Review] = []
        self.leeches: list[str] = []
        self.states: dict[int, sm2.CardState] = {}
        self.status = ""
        self.notice = ""
        self.hint = ""
        self.titles: dict[str, str] = {}
        self.bundled: set[str] = set()
        self.plan: queue.Plan | None = None
        self.extra = False
        self.queue: queue.Queue[StoredCard] = queue.Queue(())
        self.view: CardView | None = None
        self.scope = summary.Scope(store, settings, options, today, self.style)

    def run(self) -> int:
        interrupted = False
        try:
            try:
                self.titles = self.store.decks.titles()
                self.bundled = {r.id for r in self.store.decks.records() if r.bundled}
                for notice in self.notices:
                    self.line(self.fit(notice))
                self.plan = plans.day_plan(self.store, self.settings, self.options, self.today)
                if not self.plan.entries:
                    self.plan = self.nothing_to_study()
                    if self.plan is None:
                        return 0
                self.queue = queue.Queue(self.plan.entries)
                self.status = self.opening()
                if self.fullscreen:
                    self.screen.enter()
                while self.queue.current is not None:
                    if self.studied_elsewhere(self.queue.current):
                        continue
                    try:
                        self.study(self.queue.current)
                    except (_Undone, Skipped):
                        continue
            finally:
                self.screen.leave()
        except _End as end:
            interrupted = end.interrupted
        except KeyboardInterrupt:
            interrupted = True
        except OsteoError:
            # An answer could not be saved (a full disk, a read-only file):
            # the ones before it are. Sum them up; the command then reports
            # the error and exits 1.
            try:
                self.end(interrupted=False)
                self.line(self.style.dim("  Stopped by the error below; every answer above is saved."))
            except Exception:
                pass  # the error to report is the first one
            raise
        self.end(interrupted)
        return EXIT_INTERRUPTED if interrupted else 0

    def studied_elsewhere(self, entry: Entry[StoredCard]) -> bool:
        """Read the card's schedule afresh (answers merged from Anki, or given in
        another session, may have changed it since the queue was planned); a card
        planned as new or for review whose schedule changed meanwhile was studied
        elsewhere: it leaves the queue (True)."""
        state = self.store.cards.get(entry.card.pk).state
        self.states[entry.card.pk] = state
        elsewhere = entry.kind is not queue.Kind.REPEAT and state != entry.card.state
        if elsewhere:
            self.queue.drop(lambda card: card.pk == entry.card.pk)
        return elsewhere

    def study(self, entry: Entry[StoredCard]) -> None:
        content = entry.card.card.content
        order = ()
        if isinstance(content, Vignette):
            order = option_order(entry.card.deck_id, entry.card.card_id, self.today, len(content.options))
        view = self.view = CardView(entry, order=order)
        self.screen.scroll = 0
        shown_at = self.elapsed()
        self.show()
        # The card is up: check the database for damage while the student reads it
        # (the answer's write waits for the verdict; started once, not before the first card).
        self.store.check_soon()
        if isinstance(content, Vignette):
            letters = "ABCDE"[: len(content.options)]
            primary = Hint(f"{letters[0]}-{letters[-1]}", "choose an answer", 0)
            while True:
                key = self.read_key(self.hints(primary))
                if key.upper() in letters and len(key) == 1:
                    view.choice = view.option_at(key.upper())
                    break
                self.common_key(key, before_reveal=True)
        else:
            primary = Hint("space", "show the answer", 0)
            while True:
                key = self.read_key(self.hints(primary))
                if key in (" ", ENTER):
                    break
                self.common_key(key, before_reveal=True)
        view.revealed = True
        self.show()
        allowed = allowed_grades(view)
        hint = self.hints(Hint(f"{allowed[0]}-{allowed[-1]}", "grade", 0), Hint("s", "source", 4))
        while True:
            key = self.read_key(hint)
            if len(key) == 1 and key in "012345":
                grade = sm2.Grade(int(key))
                if grade in allowed:
                    break
                if view.choice == content.answer_index:  # type: ignore[union-attr]
                    self.complain("Your pick was right: grade 3, 4 or 5.")
                else:
                    self.complain("Your pick was wrong, a failed recall: grade 0, 1 or 2.")
                continue
            if key.lower() == "s":
                view.show_source = True
                self.show()
                continue
            if key in (" ", ENTER):
                self.complain(f"Enter does not grade: press a grade from {allowed[0]} to {allowed[-1]}.")
                continue
            self.common_key(key, before_reveal=False)
        self.answer(entry, grade, shown_at)

    def common_key(self, key: str, *, before_reveal: bool) -> None:
        """Keys that mean the same on both sides of a card: u, q, ?, card control, and wrong ones."""
        if key in ("q", "Q"):
            raise _End(interrupted=False)
        if key in ("u", "U"):
            self.undo()
            return
        if key == "?":
            if self.fullscreen:
                self.notice = lambda: help_text(self.style, self.width)  # drawn at the width of the moment
            else:
                self.line(help_text(self.style, self.width))
            return
        if key in CONTROL_KEYS:
            self.control_key(key)
            self.show()
            return
        if before_reveal and len(key) == 1 and key in "012345":
            self.complain("Look at the answer before grading.")
            return
        if before_reveal and key.lower() == "s":
            self.complain("The source is shown with the answer.")
            return
        if key == " " or key == ENTER:
            shown = "Enter" if key == ENTER else "Space"
        else:
            shown = repr(key) if key.isprintable() and len(key) == 1 else "That key"
        self.complain(f"{shown} does nothing here (? for help).")

    # -- answering ------------------------------------------------------------------

    def instant(self) -> datetime:
        return self.now + timedelta(seconds=self.elapsed() - self.started)

    def day_now(self) -> tuple[datetime, date]:
        """The instant, and the study day it counts for (never before the session's)."""
        instant = self.instant()
        return instant, max(self.today, study_day(instant, self.settings.day_start_hour))

    def state_of(self, card: StoredCard) -> sm2.CardState:
        return self.states.get(card.pk, card.state)

    def answer(self, entry: Entry[StoredCard], grade: sm2.Grade, shown_at: float) -> None:
        card = entry.card
        duration_ms = int((self.elapsed() - shown_at) * 1000)
        instant, day = self.day_now()
        content = card.card.content
        view = self.view
        chosen = content.options[view.choice] if isinstance(content, Vignette) and view and view.choice is not None else None
        review = self.store.log.record(
            card.pk, grade, instant, day, duration_ms, chosen=chosen, leech_lapses=self.settings.leech_lapses
        )
        # Committed: only now acknowledge it and move on.
        self.actions.append(_Answered(review, entry))
        self.answers.append(review)
        self.states[card.pk] = review.after
        self.queue.answer(grade, again=not review.made_leech)
        status = self.acknowledgement(review, day)
        if review.made_leech:
            self.leeches.append(card.ref)
            status += (
                f" {self.style.red('Leech')}: {review.after.lapses} lapse{'' if review.after.lapses == 1 else 's'},"
                " so it is suspended. "
                f"Rewrite it{' (o)' if self.editable_card(card) else ''}, then osteo-learn unsuspend {card.ref}."
            )
        if day != self.today:
            status += " " + self.new_day(day)
        self.status = status
        if not self.fullscreen:
            self.line(self.fit(status))

    def editable_card(self, card: StoredCard) -> bool:
        return card.deck_id not in self.bundled

    def new_day(self, day: date) -> str:
        """The clock passed the day-start hour: plan the new study day; say so."""
        self.today = self.scope.today = day
        if not self.options.custom:
            self.plan = plans.day_plan(self.store, self.settings, self.options, day)
            self.queue = queue.Queue(self.plan.entries)
            self.actions.clear()  # the new day's queue has nothing to take back
            self.extra = False
        counts = self.queue.counts()
        return (
            f"A new study day began ({day.isoformat()}, at {self.settings.day_start_hour}:00): that answer counts for it; "
            f"today's queue is {counts.review} due, {counts.new} new, {counts.repeat} repeat."
        )

    def acknowledgement(self, review: Review, day: date) -> str:
        st = self.style
        after = review.after
        due = after.due if after.due is not None else day
        if review.kind == "repeat":
            schedule = f"schedule unchanged, due {when(due, day)}"
        else:
            schedule = f"next review {when(due, day)}"
        again = "; again later today" if review.grade < queue.REPEAT_BELOW and not review.made_leech else ""
        return st.green("Saved") + f": grade {int(review.grade)}, {schedule}{again}."

    def undo(self) -> None:
        if not self.actions:
            self.complain("Nothing to undo in this session.")
            return
        last = self.actions[-1]
        if isinstance(last, Controlled):
            self.actions.pop()
            self.undo_control(last)
            if last.removed:
                raise _Undone()
            return
        instant, _ = self.day_now()
        try:
            self.store.log.undo(last.review.id, instant)
        except UndoConflict:
            # Another session answered this card since: its answer builds on
            # this one, which therefore stays; the session goes on.
            self.complain(
                f"Cannot undo grade {int(last.review.grade)} of {last.entry.card.label}: another session answered "
                "this card since, so this answer stays saved."
            )
            return
        self.actions.pop()
        # Committed: put the queue back and show the card again.
        self.answers.remove(last.review)
        if last.entry.card.ref in self.leeches and last.review.made_leech:
            self.leeches.remove(last.entry.card.ref)
        self.states[last.entry.card.pk] = last.review.before
        self.queue.undo()
        self.say(self.style.yellow("Undone") + f": grade {int(last.review.grade)} of {last.entry.card.label}; answer it again.")
        raise _Undone()

    # -- drawing ---------------------------------------------------------------------

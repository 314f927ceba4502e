"""The daily review: one card at a time in the terminal, every answer saved at once.

The command reads the clock once (``now`` and the study day ``today``) and
hands them in; the time of each answer is ``now`` plus the monotonic time
elapsed since (:func:`osteo_learn.system.clock.elapsed`), so a session that runs
past the day-start hour still counts for the day it began.

Each grade is written with ``store.log.record``, which commits before it
returns; only then is the answer acknowledged on screen and the next card
shown, so an answer the student saw acknowledged survives a crash. ``u``
takes the last answer back with ``store.log.undo`` (one transaction; the log
keeps the row, marked undone) and shows that card again.

Keys (one press on a terminal; one answer per line from a pipe):

==========  ==============================================================
space/Enter  show the answer (never grades)
A-E          pick an option of a case vignette
0-5          grade, once the answer is shown (0-2 after a wrong pick, 3-5
             after the right one)
s            show the source passage, once the answer is shown
u            undo the last answer of this session
q            end the session (exit code 0; so does end of input)
Ctrl-C       end the session (exit code 130)
?            help
==========  ==============================================================
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TextIO

from osteo_learn.core import queue, sm2
from osteo_learn.core.cards import Vignette
from osteo_learn.core.queue import Entry
from osteo_learn.core.settings import Settings
from osteo_learn.errors import OsteoError
from osteo_learn.store import Store
from osteo_learn.store.log import UndoConflict
from osteo_learn.store.rows import Review, StoredCard
from osteo_learn.system import clock
from osteo_learn.terminal import summary
from osteo_learn.terminal.card_screen import CardScreen, CardView, allowed_grades, when
from osteo_learn.terminal.keys import ENTER, EOF, INTERRUPT, Keys
from osteo_learn.terminal.keys import keys as key_reader
from osteo_learn.terminal.layout import terminal_width
from osteo_learn.terminal.style import Style, colour_wanted, is_terminal
from osteo_learn.terminal.summary import Options

EXIT_INTERRUPTED = 130
"""Exit code after Ctrl-C (128 + SIGINT), so a calling script can tell; ``q`` exits 0."""

MAX_WIDTH = 90
"""Text is wrapped to the terminal's width, but no wider than this, to stay readable."""

_CLEAR = "\x1b[H\x1b[2J"
_ERASE_LINE = "\r\x1b[K"


class _End(Exception):
    """The student ended the session (``q``, Ctrl-C or end of input)."""

    def __init__(self, interrupted: bool):
        self.interrupted = interrupted


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
) -> int:
    """Run a review session; return the exit code (0, or 130 after Ctrl-C)."""
    stdin = stdin if stdin is not None else sys.stdin
    stdout = stdout if stdout is not None else sys.stdout
    with key_reader(stdin) as reader:
        return Session(store, settings, now, today, options, reader, stdout).run()


@dataclass
class _Answered:
    review: Review
    entry: Entry[StoredCard]


class Session:
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
    ):
        self.store = store
        self.settings = settings
        self.now = now
        self.today = today
        self.options = options
        self.keys = keys
        self.out = out
        self.style = Style(colour_wanted(out))
        self.screen = is_terminal(out)
        self.width = min(terminal_width(out), MAX_WIDTH)
        self.started = clock.elapsed()
        self.answers: list[_Answered] = []
        self.states: dict[int, sm2.CardState] = {}
        self.status = ""
        self.titles: dict[str, str] = {}
        self.plan: queue.Plan | None = None
        self.queue: queue.Queue[StoredCard] = queue.Queue(())
        self.view: CardView | None = None
        self.scope = summary.Scope(store, settings, options, today, self.style)

    # -- output -----------------------------------------------------------------

    def write(self, text: str) -> None:
        self.out.write(text)
        self.out.flush()

    def line(self, text: str = "") -> None:
        self.write(text + "\n")

    # -- the session ------------------------------------------------------------

    def run(self) -> int:
        interrupted = False
        try:
            self.titles = self.store.decks.titles()
            self.plan = self.build()
            if not self.plan.entries:
                self.plan = self.nothing_to_study()
                if self.plan is None:
                    return 0
            self.queue = queue.Queue(self.plan.entries)
            while self.queue.current is not None:
                if self.studied_elsewhere(self.queue.current):
                    self.queue.skip()
                    continue
                try:
                    self.study(self.queue.current)
                except _Undone:
                    continue
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

    def end(self, interrupted: bool) -> None:
        # On a terminal the summary takes the place of the key hint.
        self.write(_ERASE_LINE if self.screen else "\n")
        lines = summary.summary(
            self.scope,
            [a.review for a in self.answers],
            self.plan,
            self.queue.counts(),
            finished=self.queue.current is None,
            seconds=clock.elapsed() - self.started,
            interrupted=interrupted,
        )
        for text in lines:
            self.line(text)

    def build(self) -> queue.Plan:
        o, s = self.options, self.settings
        # The daily limits count what earlier sessions of the day studied.
        review_limit = max(0, s.reviews_per_day - self.store.queue.reviews_answered(self.today)) if o.review_limit is None else o.review_limit
        new_limit = max(0, s.new_per_day - self.store.queue.new_introduced(self.today)) if o.new_limit is None else o.new_limit
        # Streams: the plan reads only as many cards as it takes (buried
        # siblings are replaced by the next ones).
        # (Read even at a limit of 0: the plan notes that due cards were held back.)
        due = self.store.queue.due(self.today, o.deck_ids, o.tags)
        new = self.store.queue.new(o.deck_ids, o.tags) if new_limit else []
        return queue.plan(
            due,
            new,
            repeats=self.store.queue.repeats_owed(self.today, o.deck_ids, o.tags),
            studied_siblings=self.store.queue.studied_siblings(self.today),
            review_limit=review_limit,
            new_limit=new_limit,
        )

    def nothing_to_study(self) -> queue.Plan | None:
        """Say why nothing is due and when the next card is; offer new cards ahead."""
        o = self.options
        assert self.plan is not None
        for text in summary.nothing_due(self.scope, self.plan):
            self.line(text)
        remaining = self.store.queue.count_new(o.deck_ids, o.tags)
        if not remaining:
            return None
        introduced = self.store.queue.new_introduced(self.today)
        limit_reached = o.new_limit is None and introduced >= self.settings.new_per_day
        if not limit_reached:
            return None
        ahead = min(remaining, self.settings.new_per_day or 10)
        self.line(
            f"Today's new cards are done ({introduced} of {self.settings.new_per_day}); "
            f"{remaining} new card{'' if remaining == 1 else 's'} remain."
        )
        self.write(f"Learn {ahead} more now? [y/N] ")
        key = self.keys.read()
        if self.keys.single_key:
            self.line(key if key.isprintable() else "")
        if key == INTERRUPT:
            raise _End(interrupted=True)
        if key.lower() not in ("y", "yes"):
            self.line(f"Tomorrow, or now with: osteo-learn review --new {ahead}")
            return None
        return queue.plan(
            [],
            self.store.queue.new(o.deck_ids, o.tags),
            studied_siblings=self.store.queue.studied_siblings(self.today),
            review_limit=0,
            new_limit=ahead,
        )

    # -- one card -------------------------------------------------------------------

    def studied_elsewhere(self, entry: Entry[StoredCard]) -> bool:
        """Read the card's schedule afresh (answers merged from Anki, or given in
        another session, may have changed it since the queue was planned); a card
        planned as new that is no longer new, or as due that is no longer due,
        was studied elsewhere meanwhile and is left out."""
        state = self.store.cards.get(entry.card.pk).state
        self.states[entry.card.pk] = state
        if entry.kind is queue.Kind.NEW:
            return not isinstance(state, sm2.NewCard)
        if entry.kind is queue.Kind.REVIEW:
            return state.due is None or state.due > self.today
        return False

    def study(self, entry: Entry[StoredCard]) -> None:
        view = self.view = CardView(entry)
        content = entry.card.card.content
        shown_at = clock.elapsed()
        self.draw(view)
        if isinstance(content, Vignette):
            letters = "ABCDE"[: len(content.options)]
            hint = f"{letters[0]}-{letters[-1]} choose an answer · u undo · q quit · ? help"
            while True:
                key = self.read_key(hint)
                if key.upper() in letters and len(key) == 1:
                    view.choice = letters.index(key.upper())
                    break
                self.common_key(key, hint, before_reveal=True)
        else:
            hint = "space show the answer · u undo · q quit · ? help"
            while True:
                key = self.read_key(hint)
                if key in (" ", ENTER):
                    break
                self.common_key(key, hint, before_reveal=True)
        view.revealed = True
        self.draw(view)
        allowed = allowed_grades(view)
        hint = f"{allowed[0]}-{allowed[-1]} grade · s source · u undo · q quit · ? help"
        while True:
            key = self.read_key(hint)
            if len(key) == 1 and key in "012345":
                grade = sm2.Grade(int(key))
                if grade in allowed:
                    break
                if view.choice == content.answer_index:  # type: ignore[union-attr]
                    self.complain("Your pick was right: grade 3, 4 or 5.", hint)
                else:
                    self.complain("Your pick was wrong, a failed recall: grade 0, 1 or 2.", hint)
                continue
            if key.lower() == "s":
                view.show_source = True
                self.draw(view)
                continue
            if key in (" ", ENTER):
                self.complain(f"Enter does not grade: press a grade from {allowed[0]} to {allowed[-1]}.", hint)
                continue
            self.common_key(key, hint, before_reveal=False)
        self.answer(entry, grade, shown_at)

    def read_key(self, hint: str) -> str:
        self.prompt(hint)
        key = self.keys.read()
        if key in (INTERRUPT, EOF):
            raise _End(interrupted=key == INTERRUPT)
        return key

    def prompt(self, hint: str) -> None:
        if self.screen:
            self.write(_ERASE_LINE + self.style.dim(hint))
        else:
            self.line(self.style.dim(hint))

    def notify(self, notice: str) -> None:
        """Show a notice below the card until the next key (redrawn on a terminal)."""
        if self.screen and self.view is not None:
            self.view.notice = notice
            self.draw(self.view)
            self.view.notice = ""
        else:
            self.line(notice)

    def complain(self, message: str, hint: str = "") -> None:
        self.notify(self.style.yellow(message))

    def common_key(self, key: str, hint: str, *, before_reveal: bool) -> None:
        """Keys that mean the same on both sides of a card: u, q, ?, and wrong ones."""
        if key in ("q", "Q"):
            raise _End(interrupted=False)
        if key in ("u", "U"):
            self.undo()
            return
        if key == "?":
            self.help()
            return
        if before_reveal and len(key) == 1 and key in "012345":
            self.complain("Look at the answer before grading.", hint)
            return
        if before_reveal and key.lower() == "s":
            self.complain("The source is shown with the answer.", hint)
            return
        if key == " " or key == ENTER:
            shown = "Enter" if key == ENTER else "Space"
        else:
            shown = repr(key) if key.isprintable() and len(key) == 1 else "That key"
        self.complain(f"{shown} does nothing here (? for help).", hint)

    def help(self) -> None:
        st = self.style
        rows = [
            ("space, Enter", "show the answer (never grades)"),
            ("A-E", "pick an answer of a case"),
            ("0-5", "grade your recall, once the answer is shown:"),
            ("", "0-2 failed (the card comes back tomorrow),"),
            ("", "3-5 recalled; below 4 it also comes back later today"),
            ("s", "show the passage of the article the card comes from"),
            ("u", "undo the last answer and see that card again"),
            ("q, Ctrl-C", "end the session; every answer so far is saved"),
        ]
        self.notify("\n".join(f"  {st.key(key.ljust(12))} {meaning}" for key, meaning in rows))

    # -- answering ------------------------------------------------------------------

    def instant(self) -> datetime:
        return self.now + timedelta(seconds=clock.elapsed() - self.started)

    def state_of(self, card: StoredCard) -> sm2.CardState:
        return self.states.get(card.pk, card.state)

    def answer(self, entry: Entry[StoredCard], grade: sm2.Grade, shown_at: float) -> None:
        card = entry.card
        duration_ms = int((clock.elapsed() - shown_at) * 1000)
        review = self.store.log.record(card.pk, grade, self.instant(), self.today, duration_ms)
        # Committed: only now acknowledge it and move on.
        self.answers.append(_Answered(review, entry))
        self.states[card.pk] = review.after
        self.queue.answer(grade)
        self.status = self.acknowledgement(review)
        if self.screen:
            self.write(_ERASE_LINE + self.status + "\n")
        else:
            self.line(self.status)

    def acknowledgement(self, review: Review) -> str:
        st = self.style
        after = review.after
        due = after.due if after.due is not None else self.today
        if review.kind == "repeat":
            schedule = f"schedule unchanged, due {when(due, self.today)}"
        else:
            schedule = f"next review {when(due, self.today)}"
        again = "; again later today" if review.grade < queue.REPEAT_BELOW else ""
        return st.green("Saved") + f": grade {int(review.grade)}, {schedule}{again}."

    def undo(self) -> None:
        if not self.answers:
            self.complain("Nothing to undo in this session.", "")
            return
        last = self.answers[-1]
        try:
            self.store.log.undo(last.review.id, self.instant())
        except UndoConflict:
            # Another session answered this card since: its answer builds on
            # this one, which therefore stays; the session goes on.
            self.complain(
                f"Cannot undo grade {int(last.review.grade)} of {last.entry.card.label}: another session answered "
                "this card since, so this answer stays saved.",
                "",
            )
            return
        self.answers.pop()
        # Committed: put the queue back and show the card again.
        self.states[last.entry.card.pk] = last.review.before
        self.queue.undo()
        self.status = self.style.yellow("Undone") + f": grade {int(last.review.grade)} of {last.entry.card.label}; answer it again."
        if not self.screen:
            self.line(self.status)
        raise _Undone()

    # -- drawing ---------------------------------------------------------------------

    def draw(self, view: CardView) -> None:
        if self.screen:
            # Follow the terminal if it was resized.
            self.width = min(terminal_width(self.out), MAX_WIDTH)
        stored = view.entry.card
        painter = CardScreen(self.style, self.width, screen=self.screen, today=self.today)
        header = painter.header(
            self.queue.position,
            self.queue.counts(),
            self.titles.get(stored.deck_id, stored.deck_id),
            self.status if self.screen else "",
        )
        source = self.store.decks.source_document(stored.deck_id) if view.show_source else None
        blocks = painter.blocks(view, header, self.state_of(stored), source)
        if self.screen:
            shown = blocks + [view.notice] if view.notice else blocks
            self.write(_CLEAR + "\n\n".join(shown) + "\n\n")
        else:
            new = blocks[view.blocks_printed :]
            if new:
                self.write("\n\n".join(new) + "\n\n")
        view.blocks_printed = len(blocks)

"""The daily review: one card at a time in the terminal, every answer saved at once.

The command reads the clock once (``now`` and the study day ``today``) and
hands them in; the time of each answer is ``now`` plus the monotonic time
elapsed since (:func:`osteo_learn.clock.elapsed`), so a session that runs
past the day-start hour still counts for the day it began.

Each grade is written with :meth:`Store.record`, which commits before it
returns; only then is the answer acknowledged on screen and the next card
shown, so an answer the student saw acknowledged survives a crash. ``u``
takes the last answer back with :meth:`Store.undo` (one transaction; the log
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

from osteo_learn import clock, queue, sm2, terminal
from osteo_learn.card_screen import CardScreen, CardView, allowed_grades, when
from osteo_learn.cards import Vignette
from osteo_learn.errors import OsteoError
from osteo_learn.queue import Entry
from osteo_learn.settings import Settings
from osteo_learn.store import Review, Store, StoredCard
from osteo_learn.terminal import ENTER, EOF, INTERRUPT

EXIT_INTERRUPTED = 130
"""Exit code after Ctrl-C (128 + SIGINT), so a calling script can tell; ``q`` exits 0."""

MAX_WIDTH = 90
"""Text is wrapped to the terminal's width, but no wider than this, to stay readable."""

_CLEAR = "\x1b[H\x1b[2J"
_ERASE_LINE = "\r\x1b[K"


@dataclass(frozen=True)
class Options:
    """What the student narrowed or changed for this one session."""

    deck_ids: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    new_limit: int | None = None
    review_limit: int | None = None


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
    with terminal.keys(stdin) as keys:
        return Session(store, settings, now, today, options, keys, stdout).run()


def describe_duration(seconds: float) -> str:
    """Time spent, as the summary says it: 48 s, 6 min 12 s, 1 h 5 min."""
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


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
        keys: terminal.Keys,
        out: TextIO,
    ):
        self.store = store
        self.settings = settings
        self.now = now
        self.today = today
        self.options = options
        self.keys = keys
        self.out = out
        self.style = terminal.Style(terminal.colour_wanted(out))
        self.screen = terminal.is_terminal(out)
        self.width = min(terminal.terminal_width(out), MAX_WIDTH)
        self.started = clock.elapsed()
        self.answers: list[_Answered] = []
        self.states: dict[int, sm2.CardState] = {}
        self.status = ""
        self.titles: dict[str, str] = {}
        self.plan: queue.Plan | None = None
        self.queue: queue.Queue[StoredCard] = queue.Queue(())
        self.view: CardView | None = None

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
            self.titles = self.store.deck_titles()
            self.plan = self.build()
            if not self.plan.entries:
                self.plan = self.nothing_to_study()
                if self.plan is None:
                    return 0
            self.queue = queue.Queue(self.plan.entries)
            while self.queue.current is not None:
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
                self.summary(interrupted=False)
                self.line(self.style.dim("  Stopped by the error below; every answer above is saved."))
            except Exception:
                pass  # the error to report is the first one
            raise
        self.summary(interrupted)
        return EXIT_INTERRUPTED if interrupted else 0

    def build(self) -> queue.Plan:
        o, s = self.options, self.settings
        # The daily limits count what earlier sessions of the day studied.
        review_limit = max(0, s.reviews_per_day - self.store.reviews_answered(self.today)) if o.review_limit is None else o.review_limit
        new_limit = max(0, s.new_per_day - self.store.new_introduced(self.today)) if o.new_limit is None else o.new_limit
        # Streams: the plan reads only as many cards as it takes (buried
        # siblings are replaced by the next ones).
        # (Read even at a limit of 0: the plan notes that due cards were held back.)
        due = self.store.each_due(self.today, o.deck_ids, o.tags)
        new = self.store.each_new(o.deck_ids, o.tags) if new_limit else []
        return queue.plan(
            due,
            new,
            repeats=self.store.repeats_owed(self.today, o.deck_ids, o.tags),
            studied_siblings=self.store.reviewed_siblings(self.today),
            review_limit=review_limit,
            new_limit=new_limit,
        )

    def scope(self) -> str:
        parts = []
        if self.options.deck_ids:
            parts.append("in " + ", ".join(self.options.deck_ids))
        if self.options.tags:
            parts.append("tagged " + ", ".join(self.options.tags))
        return (" " + " ".join(parts)) if parts else ""

    def nothing_to_study(self) -> queue.Plan | None:
        """Say why nothing is due and when the next card is; offer new cards ahead."""
        o, st = self.options, self.style
        self.line(st.bold(f"Nothing to review now{self.scope()}."))
        self.say_reviews_held_back(0)
        next_due = self.store.next_due(self.today, o.deck_ids, o.tags)
        if next_due is not None:
            count = self.store.count_due(next_due, o.deck_ids, o.tags) - self.store.count_due(self.today, o.deck_ids, o.tags)
            self.line(f"Next review: {when(next_due, self.today)}, {count} card{_s(count)}.")
        assert self.plan is not None
        if self.plan.buried:
            n = self.plan.buried
            self.line(f"{n} card{_s(n)} wait for another day, because a sibling (another deletion of the same cloze) was studied today.")
        remaining = self.store.count_new(o.deck_ids, o.tags)
        if not remaining:
            if next_due is None:
                self.line("No cards to study.")
            return None
        introduced = self.store.new_introduced(self.today)
        limit_reached = o.new_limit is None and introduced >= self.settings.new_per_day
        if not limit_reached:
            return None
        ahead = min(remaining, self.settings.new_per_day or 10)
        self.line(
            f"Today's new cards are done ({introduced} of {self.settings.new_per_day}); "
            f"{remaining} new card{_s(remaining)} remain."
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
            self.store.each_new(o.deck_ids, o.tags),
            studied_siblings=self.store.reviewed_siblings(self.today),
            review_limit=0,
            new_limit=ahead,
        )

    # -- one card -------------------------------------------------------------------

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
        review = self.store.record(card.pk, grade, self.instant(), self.today, duration_ms)
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
        last = self.answers.pop()
        self.store.undo(last.review.id, self.instant())
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
            self.width = min(terminal.terminal_width(self.out), MAX_WIDTH)
        stored = view.entry.card
        painter = CardScreen(self.style, self.width, screen=self.screen, today=self.today)
        header = painter.header(
            self.queue.position,
            self.queue.counts(),
            self.titles.get(stored.deck_id, stored.deck_id),
            self.status if self.screen else "",
        )
        source = self.store.source_document(stored.deck_id) if view.show_source else None
        blocks = painter.blocks(view, header, self.state_of(stored), source)
        if self.screen:
            shown = blocks + [view.notice] if view.notice else blocks
            self.write(_CLEAR + "\n\n".join(shown) + "\n\n")
        else:
            new = blocks[view.blocks_printed :]
            if new:
                self.write("\n\n".join(new) + "\n\n")
        view.blocks_printed = len(blocks)

    # -- the end ----------------------------------------------------------------------

    def say_reviews_held_back(self, queued: int, indent: str = "") -> None:
        """Say how many due reviews the daily (or ``--limit``) limit keeps out of
        today's sessions; ``queued`` reviews are still in this session's queue."""
        if self.plan is None or not self.plan.reviews_over_limit:
            return
        o = self.options
        due = self.store.count_due(self.today, o.deck_ids, o.tags)
        held = due - queued
        if held <= 0:
            return
        limit = f"--limit {o.review_limit}" if o.review_limit is not None else f"reviews-per-day ({self.settings.reviews_per_day})"
        self.line(f"{indent}{held} more due review{_s(held)} held back by {limit}; for all: osteo-learn review --limit {due}")

    def summary(self, interrupted: bool) -> None:
        st, o = self.style, self.options
        # On a terminal the summary takes the place of the key hint.
        self.write(_ERASE_LINE if self.screen else "\n")
        answers = [a.review for a in self.answers]
        if not answers:
            self.line("No cards answered in this session.")
        else:
            cards = len({r.card_pk for r in answers})
            new = sum(r.kind == "new" for r in answers)
            reviews = sum(r.kind == "review" for r in answers)
            repeats = sum(r.kind == "repeat" for r in answers)
            first = [r for r in answers if r.kind != "repeat"]
            recalled = sum(r.grade.passed for r in first)
            elapsed = describe_duration(clock.elapsed() - self.started)
            self.line(st.bold("Session over.") if self.queue.current is None else st.bold("Session ended."))
            self.line(
                f"  Studied {cards} card{_s(cards)} in {elapsed}: {new} new learned, "
                f"{reviews} review{_s(reviews)}, {repeats} same-day repeat{_s(repeats)}."
            )
            if first:
                self.line(f"  Recalled (grade 3 or more): {recalled} of {len(first)}, {round(100 * recalled / len(first))}%.")
        left = self.queue.counts().total
        if left:
            self.line(f"  {left} card{_s(left)} left for today; run osteo-learn review again to go on.")
        self.say_reviews_held_back(self.queue.counts().review, indent="  ")
        tomorrow = self.store.count_due(self.today + timedelta(days=1), o.deck_ids, o.tags)
        week = self.store.count_due(self.today + timedelta(days=7), o.deck_ids, o.tags)
        self.line(f"  Due tomorrow: {tomorrow} card{_s(tomorrow)}; within a week: {week}.")
        if interrupted:
            self.line(st.dim("  Interrupted; every answer above is saved."))


def _s(count: int) -> str:
    return "" if count == 1 else "s"

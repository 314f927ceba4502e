"""What a review session says around the cards: when nothing is due, and when it ends.

Text only: each function returns the lines to print, read from the store
and from what the session did, so the words can be checked without a
terminal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from osteo_learn.core import queue
from osteo_learn.core.settings import Settings
from osteo_learn.store import Store
from osteo_learn.store.rows import Review
from osteo_learn.terminal.card_screen import when
from osteo_learn.terminal.style import Style


@dataclass(frozen=True)
class Options:
    """What the student narrowed or changed for this one session."""

    deck_ids: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    new_limit: int | None = None
    review_limit: int | None = None
    kinds: tuple[str, ...] = ()
    ahead: int | None = None
    """Study reviews due within this many days now (``--ahead N``)."""
    failed: int | None = None
    """Study again the cards failed on the last this many study days (``--failed [DAYS]``)."""

    @property
    def custom(self) -> bool:
        """Ahead or failed: a study asked for, not the day's."""
        return self.ahead is not None or self.failed is not None

    def command(self) -> str:
        """The command that starts this study again."""
        parts = ["osteo-learn review"]
        parts += [f"--deck {d}" for d in self.deck_ids] + [f"--tag {t}" for t in self.tags] + [f"--kind {k}" for k in self.kinds]
        if self.ahead is not None:
            parts.append(f"--ahead {self.ahead}")
        if self.failed is not None:
            parts.append(f"--failed {self.failed}")
        return " ".join(parts)


@dataclass
class Scope:
    """A session's store, settings, options and study day: what its words are about.

    ``today`` moves on when a session runs past the day-start hour.
    """

    store: Store
    settings: Settings
    options: Options
    today: date
    style: Style

    @property
    def filters(self) -> tuple:
        o = self.options
        return (o.deck_ids, o.tags, o.kinds)

    def count_due(self, day: date) -> int:
        return self.store.queue.count_due(day, *self.filters)

    def falling_due(self, days: int) -> int:
        """Cards falling due in the next ``days`` days (not today's unfinished ones)."""
        return self.store.queue.count_falling_due(
            self.today, self.today + timedelta(days=1), self.today + timedelta(days=days), *self.filters
        )

    def narrowed(self) -> str:
        """`` in DECK tagged TAG`` for a narrowed session, else ""."""
        parts = []
        if self.options.deck_ids:
            parts.append("in " + ", ".join(self.options.deck_ids))
        if self.options.tags:
            parts.append("tagged " + ", ".join(self.options.tags))
        if self.options.kinds:
            parts.append("of kind " + ", ".join(self.options.kinds))
        return (" " + " ".join(parts)) if parts else ""


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


def reviews_held_back(scope: Scope, plan: queue.Plan | None, queued: int, indent: str = "") -> list[str]:
    """How many due reviews the daily (or ``--limit``) limit keeps out of
    today's sessions; ``queued`` reviews are still in this session's queue."""
    if plan is None or not plan.reviews_over_limit:
        return []
    o = scope.options
    due = scope.count_due(scope.today)
    held = due - queued
    if held <= 0:
        return []
    limit = f"--limit {o.review_limit}" if o.review_limit is not None else f"reviews-per-day ({scope.settings.reviews_per_day})"
    return [f"{indent}{held} more due review{_s(held)} held back by {limit}; for all: osteo-learn review --limit {due}"]


def nothing_due(scope: Scope, plan: queue.Plan) -> list[str]:
    """Why nothing is due, and when the next card is."""
    o, st = scope.options, scope.style
    if o.failed is not None:
        days = "today" if o.failed <= 1 else f"on the last {o.failed} study days"
        return [st.bold(f"No card{scope.narrowed()} was failed {days}."), "Nothing to study again."]
    if o.ahead is not None:
        until = scope.today + timedelta(days=o.ahead)
        lines = [st.bold(f"Nothing due by {until.isoformat()}{scope.narrowed()}.")]
    else:
        lines = [st.bold(f"Nothing to review now{scope.narrowed()}.")]
    held = reviews_held_back(scope, plan, 0)
    lines += held
    next_due = scope.store.queue.next_due(scope.today, *scope.filters)
    # While due cards are held back, the next review is not tomorrow: it is now, past the limit.
    if next_due is not None and not held:
        count = scope.store.queue.count_falling_due(scope.today, next_due, next_due, *scope.filters)
        lines.append(f"Next review: {when(next_due, scope.today)}, {count} card{_s(count)}.")
    if plan.buried:
        n = plan.buried
        lines.append(f"{n} card{_s(n)} wait for another day, because a sibling (another deletion of the same cloze) was studied today.")
    if next_due is None and not held and not scope.store.queue.count_new(*scope.filters, today=scope.today):
        lines.append("No cards to study.")
    return lines


def summary(
    scope: Scope,
    answers: Sequence[Review],
    plan: queue.Plan | None,
    left: queue.Counts,
    *,
    finished: bool,
    seconds: float,
    interrupted: bool,
    extra: bool = False,
    leeches: Sequence[str] = (),
) -> list[str]:
    """The end of a session: what was studied and recalled, what is left, what comes next.

    ``left`` counts the cards still in the session's queue; ``finished``
    says the queue was worked through; ``extra`` that the queue held new
    cards past the day's limit (which no other session of the day shows);
    ``leeches`` names the cards that became leeches.
    """
    st = scope.style
    lines = []
    if not answers:
        lines.append("No cards answered in this session.")
    else:
        cards = len({r.card_pk for r in answers})
        new = sum(r.kind == "new" for r in answers)
        reviews = sum(r.kind == "review" for r in answers)
        repeats = sum(r.kind == "repeat" for r in answers)
        first = [r for r in answers if r.kind != "repeat"]
        recalled = sum(r.grade.passed for r in first)
        lines.append(st.bold("Session over.") if finished else st.bold("Session ended."))
        lines.append(
            f"  Studied {cards} card{_s(cards)} in {describe_duration(seconds)}: {new} new learned, "
            f"{reviews} review{_s(reviews)}, {repeats} same-day repeat{_s(repeats)}."
        )
        if first:
            lines.append(f"  Recalled (grade 3 or more): {recalled} of {len(first)}, {round(100 * recalled / len(first))}%.")
    o = scope.options
    if left.total and o.custom:
        lines.append(f"  {left.total} card{_s(left.total)} of this study left; {o.command()} goes on.")
    elif extra:
        # New cards past the day's limit: a new session would not show them, so none are "left".
        if left.new:
            lines.append(f"  {left.new} of the extra new cards not studied; they stay new.")
        if left.review + left.repeat:
            n = left.review + left.repeat
            lines.append(f"  {n} card{_s(n)} left for today; run osteo-learn review again to go on.")
    elif left.total:
        lines.append(f"  {left.total} card{_s(left.total)} left for today; run osteo-learn review again to go on.")
    if not o.custom:
        lines += reviews_held_back(scope, plan, left.review, indent="  ")
    for ref in leeches:
        lines.append(f"  Leech: {ref} is suspended; rewrite it, or osteo-learn unsuspend {ref}.")
    tomorrow = scope.falling_due(1)
    week = scope.falling_due(7)
    lines.append(f"  Due tomorrow: {tomorrow} card{_s(tomorrow)}; within a week: {week}.")
    if interrupted:
        lines.append(st.dim("  Interrupted; every answer above is saved."))
    return lines


def _s(count: int) -> str:
    return "" if count == 1 else "s"

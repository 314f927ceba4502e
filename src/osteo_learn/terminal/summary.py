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


@dataclass(frozen=True)
class Scope:
    """A session's store, settings, options and study day: what its words are about."""

    store: Store
    settings: Settings
    options: Options
    today: date
    style: Style

    def count_due(self, day: date) -> int:
        return self.store.queue.count_due(day, self.options.deck_ids, self.options.tags)

    def narrowed(self) -> str:
        """`` in DECK tagged TAG`` for a narrowed session, else ""."""
        parts = []
        if self.options.deck_ids:
            parts.append("in " + ", ".join(self.options.deck_ids))
        if self.options.tags:
            parts.append("tagged " + ", ".join(self.options.tags))
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
    lines = [st.bold(f"Nothing to review now{scope.narrowed()}.")]
    lines += reviews_held_back(scope, plan, 0)
    next_due = scope.store.queue.next_due(scope.today, o.deck_ids, o.tags)
    if next_due is not None:
        count = scope.count_due(next_due) - scope.count_due(scope.today)
        lines.append(f"Next review: {when(next_due, scope.today)}, {count} card{_s(count)}.")
    if plan.buried:
        n = plan.buried
        lines.append(f"{n} card{_s(n)} wait for another day, because a sibling (another deletion of the same cloze) was studied today.")
    if next_due is None and not scope.store.queue.count_new(o.deck_ids, o.tags):
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
) -> list[str]:
    """The end of a session: what was studied and recalled, what is left, what comes next.

    ``left`` counts the cards still in the session's queue; ``finished``
    says the queue was worked through.
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
    if left.total:
        lines.append(f"  {left.total} card{_s(left.total)} left for today; run osteo-learn review again to go on.")
    lines += reviews_held_back(scope, plan, left.review, indent="  ")
    tomorrow = scope.count_due(scope.today + timedelta(days=1))
    week = scope.count_due(scope.today + timedelta(days=7))
    lines.append(f"  Due tomorrow: {tomorrow} card{_s(tomorrow)}; within a week: {week}.")
    if interrupted:
        lines.append(st.dim("  Interrupted; every answer above is saved."))
    return lines


def _s(count: int) -> str:
    return "" if count == 1 else "s"

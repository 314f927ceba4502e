"""Which cards a session starts with, for each way of studying: the day's, ahead, failed, extra new.

The rules of the queue are in :mod:`osteo_learn.core.queue`; this module
reads what they need from the store for the options the student gave:

- **the day's study** (``osteo-learn review``): repeats owed, due reviews up
  to what is left of ``reviews-per-day``, new cards interleaved deck by deck
  up to what is left of ``new-per-day`` and of each deck's own limit;
- **ahead** (``--ahead N``): reviews due within the next N days, soonest
  due first, and no new cards unless ``--new`` asks for some. SM-2 takes an
  early review as if on time: the next interval follows the scheduled one;
- **failed** (``--failed [DAYS]``): cards graded below 3 on the last DAYS
  study days, in the order they were failed;
- **extra new cards** (after "Learn N more now?"): new cards past the day's
  limit, interleaved deck by deck.

A daily limit counts every session of the study day; ``--new`` and
``--limit`` set this session's own. Ahead and failed are asked for
explicitly, so the daily review limit does not hold them back.
"""

from __future__ import annotations

from datetime import date, timedelta

from osteo_learn.core import queue
from osteo_learn.core.settings import Settings
from osteo_learn.store import Store
from osteo_learn.terminal.summary import Options


def new_limits(store: Store, settings: Settings, options: Options, today: date) -> tuple[int, dict[str, int]]:
    """What is left today of the global new-card limit, and of each deck's own."""
    if options.new_limit is not None:
        return options.new_limit, {}
    introduced = store.queue.new_introduced_by_deck(today)
    left = max(0, settings.new_per_day - sum(introduced.values()))
    per_deck = {deck: max(0, limit - introduced.get(deck, 0)) for deck, limit in settings.deck_new_per_day}
    return left, per_deck


def day_plan(store: Store, settings: Settings, options: Options, today: date) -> queue.Plan:
    """The plan of a session for the day's study, or ahead, or failed cards."""
    o, q = options, store.queue
    scope = (o.deck_ids, o.tags, o.kinds)
    if o.failed is not None:
        since = today - timedelta(days=max(1, o.failed) - 1)
        return queue.plan(q.failed(today, since, *scope), [], review_limit=10**9, new_limit=0, key=lambda card: card.pk)
    if o.review_limit is not None:
        review_limit = o.review_limit
    elif o.ahead is not None:
        review_limit = 10**9
    else:
        review_limit = max(0, settings.reviews_per_day - q.reviews_answered(today))
    if o.ahead is not None:
        new_limit, deck_limits = (o.new_limit or 0), {}
    else:
        new_limit, deck_limits = new_limits(store, settings, options, today)
    until = today + timedelta(days=o.ahead) if o.ahead is not None else None
    # Streams: the plan reads only as many cards as it takes (buried
    # siblings are replaced by the next ones). Due cards are read even at a
    # limit of 0: the plan notes that due cards were held back.
    due = q.due(today, *scope, until=until)
    streams = q.new_by_deck(*scope, today=today) if new_limit else []
    return queue.plan(
        due,
        [],
        repeats=q.repeats_owed(today, *scope),
        studied_siblings=q.studied_siblings(today),
        review_limit=review_limit,
        new_limit=new_limit,
        new_by_deck=streams,
        deck_new_limits=deck_limits,
    )


def extra_new_plan(store: Store, options: Options, today: date, count: int) -> queue.Plan:
    """``count`` new cards past the day's limit, interleaved deck by deck."""
    scope = (options.deck_ids, options.tags, options.kinds)
    return queue.plan(
        [],
        [],
        studied_siblings=store.queue.studied_siblings(today),
        review_limit=0,
        new_limit=count,
        new_by_deck=store.queue.new_by_deck(*scope, today=today),
    )

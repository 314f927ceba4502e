"""The store's reads for statistics.

Each a few aggregate queries over covering indexes (schema migration 0002),
with the log read only inside a window of days, so they stay fast on long
histories.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from itertools import islice

from osteo_learn.core import sm2
from osteo_learn.store.connection import Database
from osteo_learn.store.rows import StoredCard, card_filters, log_filter, select_cards, stored_day

MATURE_INTERVAL = 21
"""A card is *mature* once its interval reaches 21 days (Anki's line), *young* before."""


@dataclass(frozen=True)
class Retention:
    """Scheduled reviews in a window, and how many were recalled, by card maturity."""

    young_reviews: int
    young_recalled: int
    mature_reviews: int
    mature_recalled: int


@dataclass(frozen=True)
class CardCounts:
    """Cards by state; ``due_today`` counts reviewed cards due on or before today
    (not suspended); ``suspended`` the cards among new, young and mature that are."""

    new: int
    young: int
    mature: int
    retired: int
    due_today: int
    suspended: int = 0


class Stats:
    """``store.stats``: answers per day, retention, streak, due forecast, cards by state, hardest cards."""

    def __init__(self, db: Database):
        self._db = db

    def reviews_per_day(self, since: date, deck_ids: Sequence[str] = ()) -> dict[date, int]:
        """Answers not undone on each study day from ``since`` on (days without any left out)."""
        where, params = log_filter(deck_ids)
        found = self._db.conn.execute(
            f"SELECT day, count(*) FROM reviews WHERE day >= ? AND undone_at IS NULL{where} GROUP BY day",
            [since.isoformat(), *params],
        )
        return {stored_day(day, "the day of an answer"): count for day, count in found}

    def retention(self, since: date, deck_ids: Sequence[str] = ()) -> Retention:
        """Scheduled reviews (not new cards, not same-day repeats, as the replay
        judges them) from ``since`` on: how many, and how many recalled (grade 3
        or more), for young and mature cards."""
        where, params = log_filter(deck_ids)
        found = self._db.conn.execute(
            f"SELECT interval_before >= {MATURE_INTERVAL}, grade >= 3, count(*) FROM review_log"
            f" WHERE day >= ? AND kind = 'review' AND undone_at IS NULL{where} GROUP BY 1, 2",
            [since.isoformat(), *params],
        )
        counts = {(mature, recalled): n for mature, recalled, n in found}
        return Retention(
            young_reviews=counts.get((0, 0), 0) + counts.get((0, 1), 0),
            young_recalled=counts.get((0, 1), 0),
            mature_reviews=counts.get((1, 0), 0) + counts.get((1, 1), 0),
            mature_recalled=counts.get((1, 1), 0),
        )

    def streak(self, today: date, deck_ids: Sequence[str] = ()) -> int:
        """Consecutive study days with an answer, ending today, or yesterday if today has none yet."""
        where, params = log_filter(deck_ids)
        # Walk back one day at a time while the day before has an answer:
        # one index probe per day of the streak.
        before = "date(run.day, '-1 day')"
        sql = (
            "WITH RECURSIVE run(day) AS ("
            f" SELECT ?1 WHERE EXISTS (SELECT 1 FROM reviews WHERE day = ?1 AND undone_at IS NULL{where})"
            f" UNION ALL SELECT {before} FROM run"
            f" WHERE EXISTS (SELECT 1 FROM reviews WHERE day = {before} AND undone_at IS NULL{where})"
            ") SELECT count(*) FROM run"
        )
        count = self._db.conn.execute(sql, [today.isoformat(), *params, *params]).fetchone()[0]
        if count:
            return count
        yesterday = date.fromordinal(today.toordinal() - 1)
        return self._db.conn.execute(sql, [yesterday.isoformat(), *params, *params]).fetchone()[0]

    def due_forecast(self, first: date, last: date, deck_ids: Sequence[str] = ()) -> dict[date, int]:
        """Cards falling due on each day from ``first`` to ``last`` (days with none left out;
        suspended cards fall due on no day)."""
        where, params = card_filters(deck_ids, ())
        sql = " AND ".join(["c.due BETWEEN ? AND ?", "c.due IS NOT NULL", "c.retired = 0", "c.suspended = 0", *where])
        found = self._db.conn.execute(
            f"SELECT c.due, count(*) FROM cards AS c WHERE {sql} GROUP BY c.due", [first.isoformat(), last.isoformat(), *params]
        )
        return {stored_day(day, "a due date"): count for day, count in found}

    def card_counts(self, today: date, deck_ids: Sequence[str] = ()) -> CardCounts:
        """Cards by state: new, young (interval under 21 days), mature, retired; and due today."""
        where, params = card_filters(deck_ids, ())
        scope = "".join(f" AND {w}" for w in where)
        reviewed = f"c.due IS NOT NULL AND c.retired = 0{scope}"
        # Each through a partial index: new and due today leave suspended cards
        # out (the queue's indexes), which are counted apart.
        row = self._db.conn.execute(
            f"SELECT (SELECT count(*) FROM cards AS c WHERE c.due IS NULL AND c.retired = 0 AND c.suspended = 0{scope}),"
            f" (SELECT count(*) FROM cards AS c WHERE c.suspended = 1 AND c.retired = 0 AND c.due IS NULL{scope}),"
            f" (SELECT count(*) FROM cards AS c WHERE {reviewed} AND c.interval < {MATURE_INTERVAL}),"
            f" (SELECT count(*) FROM cards AS c WHERE {reviewed} AND c.interval >= {MATURE_INTERVAL}),"
            f" (SELECT count(*) FROM cards AS c WHERE 1{scope}),"
            f" (SELECT count(*) FROM cards AS c WHERE {reviewed} AND c.suspended = 0 AND c.due <= ?),"
            f" (SELECT count(*) FROM cards AS c WHERE c.suspended = 1 AND c.retired = 0{scope})",
            [*params, *params, *params, *params, *params, *params, today.isoformat(), *params],
        ).fetchone()
        new, new_suspended, young, mature, total, due, suspended = row
        new += new_suspended
        return CardCounts(
            new=new, young=young, mature=mature, retired=total - new - young - mature, due_today=due, suspended=suspended
        )

    def hardest_cards(self, limit: int = 10, deck_ids: Sequence[str] = ()) -> list[StoredCard]:
        """Reviewed cards with the lowest EF, then the most lapses; only cards below
        the starting EF or with a lapse."""
        where, params = card_filters(deck_ids, ())
        where = ["c.due IS NOT NULL", "c.retired = 0", f"(c.ease < {sm2.INITIAL_EASE} OR c.lapses > 0)", *where]
        return list(islice(select_cards(self._db.conn, " AND ".join(where), params, order="c.ease, c.lapses DESC"), limit))

    def leeches(self, deck_ids: Sequence[str] = ()) -> list[StoredCard]:
        """Cards marked leeches (and so suspended), the most lapses first, then in deck order."""
        where, params = card_filters(deck_ids, ())
        where = ["c.leech = 1", "c.retired = 0", *where]
        return list(select_cards(self._db.conn, " AND ".join(where), params, order="c.lapses DESC, c.deck_id, c.position, c.ord"))

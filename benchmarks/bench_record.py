"""Recording one answer (its state and log row, committed) against a raw insert plus update in WAL mode."""

from __future__ import annotations

import sqlite3
import tempfile
from datetime import datetime, timezone
from itertools import islice
from pathlib import Path

from harness import TODAY, Figure, copy_of, interleaved, timed

from osteo_learn.store import Store


def run(runs: int, collection: Path) -> list[Figure]:
    """One answer: Store.record against a raw insert plus update, both in WAL mode on the same collection."""
    with tempfile.TemporaryDirectory() as folder:
        db = copy_of(collection, Path(folder))
        store = Store.open(db)
        pks = [c.pk for c in islice(store.queue.due(TODAY), 4 * runs + 10)]
        raw = sqlite3.connect(db, isolation_level=None)
        instant = datetime(2026, 9, 24, 18, tzinfo=timezone.utc)
        ours_pks, raw_pks = iter(pks[0::2]), iter(pks[1::2])

        def ours() -> float:
            return timed(lambda: store.log.record(next(ours_pks), 4, instant, TODAY, 3000))

        def floor() -> float:
            pk = next(raw_pks)

            def write() -> None:
                raw.execute("BEGIN IMMEDIATE")
                raw.execute(
                    "INSERT INTO reviews (card, reviewed_at, day, grade, kind, reps_after, ease_after, interval_after,"
                    " due_after, lapses_after, last_review_after, duration_ms) VALUES (?, ?, ?, 4, 'review', 3, 250,"
                    " 15, '2026-10-09', 0, '2026-09-24', 3000)",
                    (pk, instant.isoformat(), TODAY.isoformat()),
                )
                raw.execute(
                    "UPDATE cards SET reps = 3, ease = 250, interval = 15, due = '2026-10-09', last_review = '2026-09-24'"
                    " WHERE id = ?",
                    (pk,),
                )
                raw.execute("COMMIT")

            return timed(write)

        result = interleaved(ours, floor, runs)
        store.close()
        raw.close()
    return [Figure("recording one answer (state and log row, committed)", *result, 3.0)]

"""Today's queue plus the due and new counts against the same queries in raw sqlite3."""

from __future__ import annotations

import io
import sqlite3
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from harness import TODAY, Figure, interleaved, study_copy, timed

from osteo_learn.store import Store
from osteo_learn.terminal import session


def run(runs: int, collection: Path) -> list[Figure]:
    """Today's queue plus the due and new counts, as the review session builds them."""
    with tempfile.TemporaryDirectory() as folder:
        db = study_copy(collection, Path(folder))
        store = Store.open(db)
        settings = store.settings.values()
        now = datetime(2026, 9, 24, 18, tzinfo=timezone.utc)
        review = session.Session(store, settings, now, TODAY, session.Options(), None, io.StringIO())

        def ours() -> float:
            def build() -> None:
                review.build()
                store.queue.count_due(TODAY)
                store.queue.count_new()

            return timed(build)

        raw = sqlite3.connect(db)
        day = TODAY.isoformat()
        columns = "id, deck_id, card_id, ord, kind, tags, fields, source, retired, reps, ease, interval, due, lapses, last_review"
        queries = [
            ("SELECT count(*) FROM reviews WHERE day = ? AND kind = 'new' AND undone_at IS NULL", (day,)),
            ("SELECT count(*) FROM reviews WHERE day = ? AND kind = 'review' AND undone_at IS NULL", (day,)),
            (f"SELECT {columns} FROM cards WHERE due <= ? AND retired = 0 ORDER BY due, deck_id, position, ord LIMIT 210", (day,)),
            (f"SELECT {columns} FROM cards WHERE due IS NULL AND retired = 0 ORDER BY deck_id, position, ord LIMIT 30", ()),
            ("SELECT card, max(id) FROM reviews WHERE day = ? AND undone_at IS NULL GROUP BY card", (day,)),
            ("SELECT DISTINCT c.deck_id, c.card_id FROM reviews r JOIN cards c ON c.id = r.card WHERE r.day = ?", (day,)),
            ("SELECT count(*) FROM cards WHERE due <= ? AND retired = 0", (day,)),
            ("SELECT count(*) FROM cards WHERE due IS NULL AND retired = 0", ()),
        ]

        def floor() -> float:
            return timed(lambda: [raw.execute(sql, args).fetchall() for sql, args in queries])

        result = interleaved(ours, floor, runs * 4)
        store.close()
        raw.close()
    return [Figure("today's queue plus the due/new counts, 100k cards", *result, 1.5, absolute_limit=5)]

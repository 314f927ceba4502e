"""Today's queue plus the due and new counts against the same queries in raw sqlite3."""

from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path

from harness import TODAY, Figure, interleaved, study_copy, timed

from osteo_learn.store import Store
from osteo_learn.terminal import plans
from osteo_learn.terminal.summary import Options


def run(runs: int, collection: Path) -> list[Figure]:
    """Today's queue plus the due and new counts, as the review session builds them."""
    with tempfile.TemporaryDirectory() as folder:
        db = study_copy(collection, Path(folder))
        store = Store.open(db)
        settings = store.settings.values()

        def ours() -> float:
            def build() -> None:
                plans.day_plan(store, settings, Options(), TODAY)
                store.queue.count_due(TODAY)
                store.queue.count_new(today=TODAY)

            return timed(build)

        raw = sqlite3.connect(db)
        day = TODAY.isoformat()
        columns = (
            "id, deck_id, card_id, ord, kind, tags, fields, source, retired, reps, ease, interval, due, lapses, last_review,"
            " suspended, leech, flagged, flag_note"
        )
        shown = "retired = 0 AND suspended = 0 AND id NOT IN (SELECT card FROM card_events WHERE day = ? AND action = 'bury' AND undone_at IS NULL)"
        decks = [row[0] for row in raw.execute("SELECT id FROM decks ORDER BY rank, id")]
        queries = [
            ("SELECT c.deck_id, count(*) FROM reviews r JOIN cards c ON c.id = r.card WHERE r.day = ? AND r.kind = 'new' AND r.undone_at IS NULL GROUP BY c.deck_id", (day,)),
            ("SELECT count(*) FROM reviews WHERE day = ? AND kind = 'review' AND undone_at IS NULL", (day,)),
            (f"SELECT {columns} FROM cards WHERE due <= ? AND {shown} ORDER BY due, deck_id, position, ord LIMIT 210", (day, day)),
            *((f"SELECT {columns} FROM cards WHERE due IS NULL AND {shown} AND deck_id = ? ORDER BY position, ord LIMIT 3", (day, deck)) for deck in decks),
            ("SELECT card, max(id) FROM reviews WHERE day = ? AND undone_at IS NULL GROUP BY card", (day,)),
            ("SELECT DISTINCT c.deck_id, c.card_id FROM reviews r JOIN cards c ON c.id = r.card WHERE r.day = ?", (day,)),
            (f"SELECT count(*) FROM cards WHERE due <= ? AND {shown}", (day, day)),
            (f"SELECT count(*) FROM cards WHERE due IS NULL AND {shown}", (day,)),
        ]

        def floor() -> float:
            return timed(lambda: [raw.execute(sql, args).fetchall() for sql, args in queries])

        result = interleaved(ours, floor, runs * 4)
        store.close()
        raw.close()
    return [Figure("today's queue plus the due/new counts, 100k cards", *result, 1.5, absolute_limit=5)]

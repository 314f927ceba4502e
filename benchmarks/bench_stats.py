"""`osteo-learn stats` in process on 1M answers against one aggregation of the whole log."""

from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path

from harness import TODAY, Figure, interleaved, study_copy, timed

from osteo_learn.store import Store
from osteo_learn.terminal import stats_screen
from osteo_learn.terminal.style import Style


def run(runs: int, collection: Path) -> list[Figure]:
    """``osteo-learn stats`` in process (gather and draw) on 1M answers."""
    with tempfile.TemporaryDirectory() as folder:
        db = study_copy(collection, Path(folder))
        store = Store.open(db)
        raw = sqlite3.connect(db)

        def ours() -> float:
            return timed(lambda: stats_screen.render(stats_screen.collect(store, TODAY), Style(False)))

        def floor() -> float:
            # Answers per study day over the whole log: one aggregation over
            # the covering index reviews_stats (day, ...).
            return timed(lambda: raw.execute("SELECT day, count(*) FROM reviews GROUP BY day").fetchall())

        result = interleaved(ours, floor, runs)
        plan = raw.execute("EXPLAIN QUERY PLAN SELECT day, count(*) FROM reviews GROUP BY day").fetchall()
        store.close()
        raw.close()
    return [
        Figure(
            "`osteo-learn stats`, 1M answers, in process",
            *result,
            1.3,
            absolute_limit=150,
            note="floor: answers per day over the whole log (" + plan[-1][-1] + ")",
        )
    ]

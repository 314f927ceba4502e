"""`osteo-learn review` until the first card is on screen, 100k cards, and its peak memory."""

from __future__ import annotations

import tempfile
from pathlib import Path

from harness import PYTHON, TOOL, Figure, command, first_card_ms, interleaved, peak_memory_mib, study_copy


def run(runs: int, collection: Path) -> list[Figure]:
    """``osteo-learn review`` until the first card is on screen, 100k cards."""
    with tempfile.TemporaryDirectory() as folder:
        db = study_copy(collection, Path(folder))
        argv = [*TOOL, "review", "--db", str(db)]
        ours, floor = interleaved(
            lambda: first_card_ms(argv), command([PYTHON, "-c", "import click, sqlite_utils"]), runs
        )
        _, lean = interleaved(lambda: 0.0, command([PYTHON, "-c", "import click, sqlite3"]), runs)
        memory = peak_memory_mib(argv, b"q\n")
    return [
        Figure(
            "`osteo-learn review` until the first card is on screen, 100k cards",
            ours,
            floor,
            1.3,
            note=f"{ours / lean:.2f}x `python -c \"import click, sqlite3\"` ({lean:.1f} ms); peak memory {memory:.1f} MiB",
        ),
        Figure("peak memory of `review`, 100k cards", memory, 40, None, unit="MiB", absolute_limit=40, note="floor column: the limit"),
    ]

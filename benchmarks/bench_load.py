"""Loading a 100,000-card deck into an empty database against a raw executemany, and reloading it unchanged."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import statistics
import tempfile
from pathlib import Path

import generate
from harness import Figure, interleaved, timed

from osteo_learn.core import deck as deck_module
from osteo_learn.store import Store, library


def run(runs: int, collection: Path) -> list[Figure]:
    """A 100,000-card deck into an empty database, and reloading it unchanged."""
    folder = generate.DATA / "big-deck"
    path = folder / "big.toml"
    if not path.exists():
        (folder / "sources").mkdir(parents=True, exist_ok=True)
        (folder / "sources" / "synthetic.txt").write_text(" ".join(generate.SENTENCES) + "\n")
        path.write_text(generate.deck_toml(0, 100_000))
    parse_ms = timed(lambda: deck_module.load(path))
    deck = deck_module.load(path)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        template = tmp / "empty.db"
        Store.open(template).close()

        def fresh(name: str) -> Path:
            target = tmp / name
            for stale in tmp.glob(name + "*"):
                stale.unlink()
            shutil.copyfile(template, target)
            return target

        rows = []
        for position, card in enumerate(deck.cards):
            fields = json.dumps(vars(card.content), ensure_ascii=False, sort_keys=True)
            for ordinal in card.ordinals():
                rows.append((deck.id, card.id, ordinal, str(card.kind), position, " ".join(card.tags), fields, card.source))

        def ours() -> float:
            store = Store.open(fresh("ours.db"))
            elapsed = timed(
                lambda: store.decks.sync(deck, file_size=1, file_mtime_ns=1, file_hash="h", bundled=False, rank=1)
            )
            store.close()
            return elapsed

        def floor() -> float:
            conn = sqlite3.connect(fresh("raw.db"), isolation_level=None)

            def write() -> None:
                conn.execute("BEGIN")
                conn.execute(
                    "INSERT INTO decks VALUES (?, 't', 'd', 'f', 1, 1, 'h', 0, 1, 's', 'p', 'text')", (deck.id,)
                )
                conn.executemany(
                    "INSERT INTO cards (deck_id, card_id, ord, kind, position, tags, fields, source)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    rows,
                )
                conn.execute("COMMIT")

            elapsed = timed(write)
            conn.close()
            return elapsed

        load = interleaved(ours, floor, max(3, runs // 3))

        # Reloading unchanged, as every command does: the file's bytes are
        # hashed when its modification time moved, and nothing is written.
        db = fresh("reload.db")
        store = Store.open(db)
        library.add_deck(store, path)
        files = [library.DeckFile(path.resolve(), False, 1000)]
        reload_times, writes = [], []
        for _ in range(max(3, runs // 3)):
            os.utime(path)
            before = store.conn.total_changes
            reload_times.append(timed(lambda: library.sync_decks(store, files)))
            writes.append(store.conn.total_changes - before)
        full_compare = timed(
            lambda: store.decks.sync(deck_module.load(path), file_size=path.stat().st_size, file_mtime_ns=0, file_hash="x", bundled=False, rank=1000)
        )
        store.close()
    reload_ms = statistics.median(reload_times)
    return [
        Figure(
            "loading a 100k-card deck into an empty database",
            *load,
            3.0,
            note=f"parsing and validating the 29 MB TOML file first takes {parse_ms / 1000:.1f} s more (stdlib tomllib)",
        ),
        Figure(
            "reloading it unchanged (rows written: " + str(max(writes)) + ")",
            reload_ms,
            load[1],
            None,
            absolute_limit=1000,
            note=f"a forced full re-parse and comparison takes {full_compare / 1000:.1f} s and also writes nothing",
        ),
    ]

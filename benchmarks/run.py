"""Run every benchmark and print each figure beside its floor and target.

    python benchmarks/run.py [--runs N] [--only NAME ...]

Each figure is the median of several runs; its floor is measured in the same
run, interleaved with it, so machine load affects both alike. The synthetic
collection (100,000 cards, 1,000,000 answers) is built on first use by
``generate.py`` and kept in ``benchmarks/.data/``. Nothing here changes that
collection: benchmarks that write work on copies.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402

from osteo_learn import deck as deck_module  # noqa: E402
from osteo_learn import library  # noqa: E402
from osteo_learn.store import Store  # noqa: E402

PYTHON = sys.executable
TOOL = [PYTHON, "-m", "osteo_learn"]
# The synthetic history ends on 2026-09-23; the benchmarks study the day after.
TODAY = date(2026, 9, 24)
ENV = {**os.environ, "OSTEO_LEARN_TODAY": TODAY.isoformat(), "NO_COLOR": "1"}


@dataclass
class Figure:
    what: str
    ours: float
    floor: float
    target: float | None
    unit: str = "ms"
    note: str = ""
    absolute_limit: float | None = None

    @property
    def ratio(self) -> float:
        return self.ours / self.floor

    @property
    def ok(self) -> bool:
        within_ratio = self.target is None or self.ratio <= self.target
        within_limit = self.absolute_limit is None or self.ours <= self.absolute_limit
        return within_ratio and within_limit

    def row(self) -> str:
        target = f"<= {self.target:.2f}x" if self.target else "-"
        if self.absolute_limit is not None:
            target += f", < {self.absolute_limit:g} {self.unit}"
        verdict = "ok" if self.ok else "MISSED"
        return (
            f"| {self.what} | {self.ours:.1f} {self.unit} | {self.floor:.1f} {self.unit} | "
            f"{self.ratio:.2f}x | {target} | {verdict} | {self.note} |"
        )


def interleaved(ours: Callable[[], float], floor: Callable[[], float], runs: int) -> tuple[float, float]:
    """Medians (ms) of ``ours`` and ``floor``, run alternately after one warm-up each."""
    ours(), floor()
    a, b = [], []
    for _ in range(runs):
        a.append(ours())
        b.append(floor())
    return statistics.median(a), statistics.median(b)


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def command(argv: list[str], **kwargs) -> Callable[[], float]:
    def run() -> float:
        start = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, env=ENV, **kwargs)
        return (time.perf_counter() - start) * 1000

    return run


def imported_modules(args: list[str]) -> set[str]:
    code = (
        "import sys, runpy\n"
        f"sys.argv = ['osteo-learn', *{args!r}]\n"
        "try:\n    runpy.run_module('osteo_learn', run_name='__main__')\nexcept SystemExit:\n    pass\n"
        "print(' '.join(sorted(sys.modules)), file=sys.stderr)"
    )
    done = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, env=ENV)
    return set(done.stderr.split())


# -- the benchmarks -------------------------------------------------------


def bench_help(runs: int, collection: Path) -> list[Figure]:
    ours, floor = interleaved(command([*TOOL, "--help"]), command([PYTHON, "-c", "import click"]), runs)
    heavy = sorted({"genanki", "sqlite_utils", "sqlite3"} & imported_modules(["--help"]))
    return [Figure("`osteo-learn --help`", ours, floor, 1.25, note=f"heavy modules imported: {heavy or 'none'}")]


def copy_of(collection: Path, folder: Path) -> Path:
    target = folder / collection.name
    shutil.copyfile(collection, target)
    return target


def bench_record(runs: int, collection: Path) -> list[Figure]:
    """One answer: Store.record against a raw insert plus update, both in WAL mode on the same collection."""
    with tempfile.TemporaryDirectory() as folder:
        db = copy_of(collection, Path(folder))
        store = Store.open(db)
        pks = [c.pk for c in store.due_cards(TODAY, limit=4 * runs + 10)]
        raw = sqlite3.connect(db, isolation_level=None)
        instant = datetime(2026, 9, 24, 18, tzinfo=timezone.utc)
        ours_pks, raw_pks = iter(pks[0::2]), iter(pks[1::2])

        def ours() -> float:
            return timed(lambda: store.record(next(ours_pks), 4, instant, TODAY, 3000))

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


def bench_load(runs: int, collection: Path) -> list[Figure]:
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
                lambda: store.sync_deck(deck, file_size=1, file_mtime_ns=1, file_hash="h", bundled=False, rank=1)
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
            lambda: store.sync_deck(deck_module.load(path), file_size=path.stat().st_size, file_mtime_ns=0, file_hash="x", bundled=False, rank=1000)
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


BENCHMARKS = {
    "help": bench_help,
    "record": bench_record,
    "load": bench_load,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="timed runs per figure (median reported)")
    parser.add_argument("--only", nargs="*", choices=sorted(BENCHMARKS), help="run only these benchmarks")
    args = parser.parse_args()
    collection = generate.generate(generate.DATA, 100_000, 1_000_000)
    print("| what | osteo-learn | floor | ratio | target | verdict | notes |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    missed = 0
    for name in args.only or BENCHMARKS:
        for figure in BENCHMARKS[name](args.runs, collection):
            print(figure.row(), flush=True)
            missed += not figure.ok
    sys.exit(1 if missed else 0)


if __name__ == "__main__":
    main()

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
from itertools import islice
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402

from osteo_learn.core import deck as deck_module  # noqa: E402
from osteo_learn import library  # noqa: E402
from osteo_learn.store import Store  # noqa: E402

PYTHON = sys.executable
# The installed console script, as a student runs it (python -m as a fallback).
_SCRIPT = Path(PYTHON).with_name("osteo-learn")
TOOL = [str(_SCRIPT)] if _SCRIPT.exists() else [PYTHON, "-m", "osteo_learn"]
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


def study_copy(collection: Path, folder: Path) -> Path:
    """A copy of the collection with the bundled deck synced, as a student's would be."""
    db = copy_of(collection, folder)
    store, _ = library.open_library(db)
    store.close()
    return db


def first_card_ms(argv: list[str]) -> float:
    """Start ``review`` and time until the first card's header line is written."""
    start = time.perf_counter()
    child = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=ENV)
    seen = b""
    while b"Card 1 of" not in seen:
        chunk = child.stdout.read1(65536)
        if not chunk:
            raise RuntimeError(f"review ended before showing a card: {seen[-500:]!r}")
        seen += chunk
    elapsed = (time.perf_counter() - start) * 1000
    child.kill()
    child.wait()
    return elapsed


# A child forked from this (large) process would report this process's peak
# as its own, so the command is started from a small launcher.
_LAUNCHER = """
import os, subprocess, sys
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
_, status, usage = os.wait4(child.pid, 0)
print(os.waitstatus_to_exitcode(status), usage.ru_maxrss)
"""


def peak_memory_mib(argv: list[str], keys: bytes) -> float:
    """Peak resident memory of a command, fed ``keys`` on stdin."""
    done = subprocess.run([PYTHON, "-c", _LAUNCHER, *argv], input=keys, capture_output=True, env=ENV, check=True)
    code, peak_kib = map(int, done.stdout.split())
    if code != 0:
        raise RuntimeError(f"{argv} exited with {code}: {done.stderr.decode()[-500:]}")
    return peak_kib / 1024


def bench_review(runs: int, collection: Path) -> list[Figure]:
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


def bench_queue(runs: int, collection: Path) -> list[Figure]:
    """Today's queue plus the due and new counts, as the review session builds them."""
    import io

    from osteo_learn.core.settings import Settings
    from osteo_learn.terminal import session

    with tempfile.TemporaryDirectory() as folder:
        db = study_copy(collection, Path(folder))
        store = Store.open(db)
        settings = Settings.from_stored(store.settings.stored())
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


def bench_stats(runs: int, collection: Path) -> list[Figure]:
    """``osteo-learn stats`` in process (gather and draw) on 1M answers."""
    from osteo_learn import stats
    from osteo_learn.terminal.style import Style

    with tempfile.TemporaryDirectory() as folder:
        db = study_copy(collection, Path(folder))
        store = Store.open(db)
        raw = sqlite3.connect(db)

        def ours() -> float:
            return timed(lambda: stats.render(stats.collect(store, TODAY), Style(False)))

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


EXPORT_DECKS = [f"synthetic-{n:02d}" for n in range(5)]


def bench_export(runs: int, collection: Path) -> list[Figure]:
    """50,000 notes to .apkg, with and without progress, against plain genanki writing the same notes."""
    import genanki

    from osteo_learn.anki import export, notes
    from osteo_learn.anki import models as anki_models

    figures = []
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        db = study_copy(collection, folder)
        store = Store.open(db)
        cards = list(store.cards.each(EXPORT_DECKS))
        by_note = {}
        for stored in cards:
            by_note.setdefault((stored.deck_id, stored.card.id), stored)
        assert len(by_note) == 50_000, len(by_note)
        prepared = [
            (s.deck_id, str(s.card.kind), notes.note_fields(s.card), notes.note_tags(s.deck_id, s.card), notes.note_guid(s.deck_id, s.card.id))
            for s in by_note.values()
        ]
        titles = {r.id: r.title for r in store.decks.records()}
        stamp = datetime(2026, 9, 24, 18, tzinfo=timezone.utc).timestamp()

        def plain_genanki() -> float:
            def write() -> None:
                models = anki_models.models()
                decks = {d: genanki.Deck(anki_models.deck_id(d), anki_models.deck_name(titles[d])) for d in EXPORT_DECKS}
                for deck_id, kind, fields, tags, guid in prepared:
                    decks[deck_id].add_note(genanki.Note(models[kind], fields, tags=tags, guid=guid))
                genanki.Package(list(decks.values())).write_to_file(folder / "plain.apkg", timestamp=stamp)

            return timed(write)

        for progress in (False, True):

            def ours(progress: bool = progress) -> float:
                return timed(
                    lambda: export.export_from_store(
                        store, folder / "ours.apkg", deck_ids=EXPORT_DECKS, with_progress=progress, timestamp=stamp
                    )
                )

            result = interleaved(ours, plain_genanki, max(3, runs // 3))
            argv = [*TOOL, "export", "--db", str(db), "-o", str(folder / "cli.apkg")]
            for deck in EXPORT_DECKS:
                argv += ["--deck", deck]
            if progress:
                argv.append("--with-progress")
            memory = peak_memory_mib(argv, b"")
            what = "export of 50,000 notes " + ("with progress" if progress else "without progress")
            figures.append(Figure(what, *result, 1.2, note=f"peak memory of the command {memory:.0f} MiB (limit 120)"))
            figures.append(Figure(f"peak memory, {what}", memory, 120, None, unit="MiB", absolute_limit=120, note="floor column: the limit"))
        store.close()
    return figures


BENCHMARKS = {
    "help": bench_help,
    "review": bench_review,
    "queue": bench_queue,
    "record": bench_record,
    "stats": bench_stats,
    "load": bench_load,
    "export": bench_export,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="timed runs per figure (median reported)")
    parser.add_argument("--only", nargs="*", choices=sorted(BENCHMARKS), help="run only these benchmarks")
    args = parser.parse_args()
    # A student's install has compiled bytecode (pip writes it); make sure
    # this checkout's does too, whatever PYTHONDONTWRITEBYTECODE says.
    import compileall

    import osteo_learn

    compileall.compile_dir(Path(osteo_learn.__file__).parent, quiet=1)
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

"""Build a synthetic collection for the benchmarks, through osteo-learn's own code.

Ten deck files of 10,000 cards each (basic, cloze and vignette) are written
and added with ``library.add_deck``; then three years of daily study are
simulated with ``Store.record``: every due card is answered, new cards are
introduced at an even pace, cards graded below 4 get a same-day repeat
(SM-2 rule 7), until the log holds exactly 1,000,000 answers. Grades come
from a ``random.Random`` with a fixed seed, so the collection is the same
on every run. The only departure from a student's database is
``PRAGMA synchronous = OFF`` while generating, to spare a million fsyncs.
When only a collection of an older schema is there, a copy of it is
migrated by the store instead (as a student's database is on opening).

    python benchmarks/generate.py [--cards 100000] [--reviews 1000000] [--out DIR]
"""

from __future__ import annotations

import argparse
import heapq
import random
import shutil
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from osteo_learn.store import library, schema
from osteo_learn.store import Store

SEED = 20261126
DECKS = 10
END = date(2026, 11, 1)  # the study day after the simulated history
DAYS = 3 * 365
# Grades 0-5: mostly recalled, about one answer in five below 4.
GRADE_WEIGHTS = (2, 2, 4, 13, 37, 42)
SENTENCES = [
    "Bone loss occurs without symptoms until a fracture happens.",
    "Weakened vertebrae may collapse or develop cracks in the lower back.",
    "Misalignment can narrow the spaces through which nerves exit the spinal column.",
    "The sciatic nerve runs from the lower back down each leg.",
    "Conservative approaches include physical therapy and anti-inflammatory medications.",
]
DATA = Path(__file__).resolve().parent / ".data"


def deck_toml(deck_no: int, cards: int) -> str:
    """A deck of ``cards`` studied cards: 60% basic, 25% cloze (one deletion), 15% vignette."""
    out = [
        f'id = "synthetic-{deck_no:02d}"',
        f'title = "Synthetic deck {deck_no}"',
        'description = "Generated for benchmarks."',
        "[source]",
        'title = "Synthetic source"',
        'file = "sources/synthetic.txt"',
    ]
    for n in range(cards):
        sentence = SENTENCES[n % len(SENTENCES)]
        head = f'\n[[cards]]\nid = "c{n:06d}"\ntags = ["topic{n % 7}", "set{n % 3}"]\nsource = "{sentence}"\n'
        kind = n % 20
        if kind < 12:
            out.append(head + f'kind = "basic"\nfront = "Question {n} of deck {deck_no}?"\nback = "Answer {n}: {sentence}"')
        elif kind < 17:
            out.append(head + f'kind = "cloze"\ntext = "Fact {n}: {{{{c1::{sentence[:-1]}}}}}."')
        else:
            out.append(
                head
                + f'kind = "vignette"\nstem = "A patient {n} presents."\nquestion = "What explains it?"\n'
                + f'options = ["Option A{n}", "Option B{n}", "Option C{n}", "Option D{n}"]\n'
                + f'answer = "Option B{n}"\nexplanation = "{sentence}"'
            )
    return "\n".join(out) + "\n"


def write_decks(folder: Path, cards: int) -> list[Path]:
    (folder / "sources").mkdir(parents=True, exist_ok=True)
    (folder / "sources" / "synthetic.txt").write_text(" ".join(SENTENCES) + "\n")
    paths = []
    per_deck = cards // DECKS
    for deck_no in range(DECKS):
        count = per_deck + (cards - per_deck * DECKS if deck_no == DECKS - 1 else 0)
        path = folder / f"synthetic-{deck_no:02d}.toml"
        path.write_text(deck_toml(deck_no, count))
        paths.append(path)
    return paths


def simulate(store: Store, reviews: int, seed: int = SEED) -> int:
    """Study every day for three years; returns the number of answers logged."""
    rng = random.Random(seed)
    new_cards = [c.pk for c in store.queue.new()]
    per_day = -(-len(new_cards) // DAYS)
    queue: list[tuple[date, int]] = []
    logged = 0
    start = END - timedelta(days=DAYS)
    for offset in range(DAYS):
        day = start + timedelta(days=offset)
        todays = []
        while queue and queue[0][0] <= day:
            todays.append(heapq.heappop(queue)[1])
        todays += new_cards[offset * per_day : (offset + 1) * per_day]
        instant = datetime(day.year, day.month, day.day, 18, tzinfo=timezone.utc)
        for pk in todays:
            grade = rng.choices(range(6), GRADE_WEIGHTS)[0]
            answer = store.log.record(pk, grade, instant, day, rng.randint(1500, 15000))
            logged += 1
            if grade < 4 and logged < reviews:
                store.log.record(pk, 4, instant + timedelta(minutes=5), day, rng.randint(1500, 9000))
                logged += 1
            heapq.heappush(queue, (answer.after.due, pk))
            if logged >= reviews:
                return logged
    return logged


def generate(out: Path, cards: int, reviews: int) -> Path:
    """Write the decks and the database under ``out``; returns the database path."""
    # The schema version is in the name: a newer schema builds a new collection.
    db = out / f"collection-{cards}-{reviews}-schema{schema.VERSION}.db"
    if db.exists():
        return db
    partial = db.with_suffix(".partial")
    for stale in out.glob(partial.name + "*"):
        stale.unlink()
    started = time.monotonic()
    older = sorted(out.glob(f"collection-{cards}-{reviews}-schema*.db"), key=lambda p: p.stat().st_mtime)
    if older:
        # The same collection from an older schema: migrated by the store as
        # a student's would be, rather than three years simulated again.
        shutil.copyfile(older[-1], partial)
        store = Store.open(partial)
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        store.close()
        partial.rename(db)
        print(f"migrated {older[-1].name} to {db} in {time.monotonic() - started:.0f} s", file=sys.stderr)
        return db
    paths = write_decks(out / "decks", cards)
    store = Store.open(partial)
    store.conn.execute("PRAGMA synchronous = OFF")
    for path in paths:
        library.add_deck(store, path)
    logged = simulate(store, reviews)
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    partial.rename(db)
    print(f"generated {db}: {cards} cards, {logged} answers in {time.monotonic() - started:.0f} s", file=sys.stderr)
    return db


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cards", type=int, default=100_000)
    parser.add_argument("--reviews", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, default=DATA)
    args = parser.parse_args()
    print(generate(args.out, args.cards, args.reviews))


if __name__ == "__main__":
    main()

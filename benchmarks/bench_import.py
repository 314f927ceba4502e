"""import-reviews of a phone's .colpkg (100,000 of our cards, 1,000,000 review log rows) into the 100k database.

The phone's collection, built once with the real Anki and kept in
``benchmarks/.data/``: the benchmark database exported with progress to
Anki 30 days before its history ends (so Anki holds the desk's answers up to
then), and the phone's own answers of those 30 days, one for each the desk
gave, earlier the same day (so every one of those days was studied on both:
the phone's answers count, the desk's become repeats). The log thus holds
966,767 answers exported by the desk and 33,233 given on the phone:
1,000,000 rows. Exported by Anki as a whole collection (package version 3,
zstd).

The floor, measured in the same run: decompress the collection, open it,
and one SQL join of its review log to our cards' GUIDs (given in a table).
"""

from __future__ import annotations

import json
import random
import shutil
import sqlite3
import tempfile
import zipfile
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import generate
import zstandard
from harness import TODAY, Figure, interleaved, study_copy, timed

from osteo_learn.anki import export
from osteo_learn.anki.import_reviews import import_reviews
from osteo_learn.anki.notes import note_guid
from osteo_learn.anki.package_reader import unicase
from osteo_learn.store import Store

PHONE_DAYS = 30
EXPORT_STAMP = datetime(2026, 8, 25, 12, tzinfo=timezone.utc).timestamp()
NOW = datetime.combine(TODAY, time(12), timezone.utc)


def phone_package(collection: Path) -> Path:
    """The phone's whole collection, built on first use (about a minute)."""
    target = generate.DATA / f"phone-{collection.stem}.colpkg"
    if target.exists():
        return target
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        db = study_copy(collection, folder)
        deck = folder / "desk.apkg"
        with Store.open(db) as store:
            summary = export.export_from_store(store, deck, with_progress=True, timestamp=EXPORT_STAMP)
            assert summary.revlog == 1_000_000, summary.revlog
            last_day = date.fromisoformat(store.conn.execute("SELECT max(day) FROM reviews").fetchone()[0])
            cut = last_day - timedelta(days=PHONE_DAYS - 1)
            window = store.conn.execute(
                "SELECT card, day, grade FROM reviews WHERE day >= ? AND undone_at IS NULL ORDER BY id", (cut.isoformat(),)
            ).fetchall()
        first_id = int(EXPORT_STAMP * 1000)
        _phone_log(deck, folder, window, cut, first_id)
        _through_anki(deck, folder, target)
    return target


def _phone_log(deck: Path, folder: Path, window: list, cut: date, first_id: int) -> None:
    """In the package's collection: the desk's answers of the last days out, the phone's in."""
    rng = random.Random(20261201)
    collection = folder / "collection.anki2"
    with zipfile.ZipFile(deck) as package:
        collection.write_bytes(package.read("collection.anki2"))
    conn = sqlite3.connect(collection)
    cut_ms = int(datetime.combine(cut, time(), timezone.utc).timestamp() * 1000)
    conn.execute("DELETE FROM revlog WHERE id >= ?", (cut_ms,))
    seen: dict[tuple[int, str], int] = {}
    rows = []
    for card, day, _grade in window:
        n = seen[card, day] = seen.get((card, day), -1) + 1
        instant = datetime.combine(date.fromisoformat(day), time(7), timezone.utc)
        ms = int(instant.timestamp() * 1000) + card * 97 + n * 60_000
        ease = rng.choices((1, 2, 3, 4), (8, 12, 55, 25))[0]
        rows.append((ms, first_id + card, -1, ease, 10, 5, 2500, 6000, 1 if n == 0 else 2))
    conn.executemany("INSERT INTO revlog VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    assert conn.execute("SELECT count(*) FROM revlog").fetchone()[0] == 1_000_000
    conn.commit()
    conn.close()
    with zipfile.ZipFile(deck) as old, zipfile.ZipFile(folder / "phone.apkg", "w") as new:
        for info in old.infolist():
            new.writestr(info, collection.read_bytes() if info.filename == "collection.anki2" else old.read(info))


def _through_anki(deck: Path, folder: Path, target: Path) -> None:
    from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest

    (folder / "anki").mkdir()
    col = Collection(str(folder / "anki" / "collection.anki2"))
    try:
        request = ImportAnkiPackageRequest(package_path=str(folder / "phone.apkg"), options=ImportAnkiPackageOptions(with_scheduling=True))
        col.import_anki_package(request)
        assert col.db.scalar("SELECT count(*) FROM revlog") == 1_000_000
        partial = target.with_suffix(".partial")
        col.export_collection_package(str(partial), include_media=True, legacy=False)
    finally:
        col.close()
    partial.rename(target)


def run(runs: int, collection: Path) -> list[Figure]:
    """The first import of the phone's collection, and a second of the same file."""
    package = phone_package(collection)
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        pristine = study_copy(collection, folder)
        with Store.open(pristine) as store:
            guids = sorted({(note_guid(deck_id, card_id), ordinal - 1) for _, deck_id, card_id, ordinal, _ in store.cards.keys()})
            settings = store.settings.values()

        def import_into(db: Path) -> float:
            with Store.open(db) as store:
                return timed(lambda: import_reviews(store, package, now=NOW, today=TODAY, day_start_hour=settings.day_start_hour))

        def first() -> float:
            db = folder / "first.db"
            shutil.copyfile(pristine, db)
            try:
                return import_into(db)
            finally:
                db.unlink()

        def floor() -> float:
            return timed(lambda: _floor(package, folder, guids))

        merged = folder / "merged.db"
        shutil.copyfile(pristine, merged)
        with Store.open(merged) as store:
            result = import_reviews(store, package, now=NOW, today=TODAY, day_start_hour=settings.day_start_hour)
        assert (result.merge.merged, result.merge.known, result.reading.answers) == (33_233, 966_767, 1_000_000), result.merge
        before = merged.read_bytes()

        def second() -> float:
            return import_into(merged)

        first_figure = interleaved(first, floor, runs)
        second_figure = interleaved(second, floor, runs)
        assert merged.read_bytes() == before
    return [
        Figure(
            "import-reviews of a phone's .colpkg, 100,000 of our cards, 1,000,000 log rows (33,233 new), in process",
            *first_figure,
            2.0,
            note="floor: decompress, open, one join of the log to our GUIDs",
        ),
        Figure("the same file imported again: nothing new, nothing written", *second_figure, 1.2, note="same floor"),
    ]


def _floor(package: Path, folder: Path, guids: list[tuple[str, int]]) -> int:
    collection = folder / "floor.sqlite"
    with zipfile.ZipFile(package) as archive, archive.open("collection.anki21b") as raw, collection.open("wb") as out:
        reader = zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True)
        shutil.copyfileobj(reader, out, 1 << 20)
    conn = sqlite3.connect(f"{collection.as_uri()}?mode=ro&immutable=1", uri=True)
    conn.create_collation("unicase", unicase)
    try:
        conn.execute("CREATE TEMP TABLE ours (guid TEXT NOT NULL, ord INTEGER NOT NULL, PRIMARY KEY (guid, ord)) WITHOUT ROWID")
        conn.executemany("INSERT INTO temp.ours VALUES (?, ?)", guids)
        (count,) = conn.execute(
            "SELECT count(*) FROM revlog AS r JOIN cards AS c ON c.id = r.cid JOIN notes AS n ON n.id = c.nid"
            " JOIN temp.ours AS o ON o.guid = n.guid AND o.ord = c.ord"
        ).fetchone()
        assert count == 1_000_000, count
        return count
    finally:
        conn.close()
        collection.unlink()


if __name__ == "__main__":
    print(json.dumps([vars(f) for f in run(3, generate.generate(generate.DATA, 100_000, 1_000_000))], indent=1))

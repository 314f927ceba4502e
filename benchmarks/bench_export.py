"""50,000 notes to .apkg, with and without progress, against plain genanki writing the same notes."""

from __future__ import annotations

import tempfile
from datetime import datetime, timezone
from pathlib import Path

import genanki
from harness import TOOL, Figure, interleaved, peak_memory_mib, study_copy, timed

from osteo_learn.anki import export, notes
from osteo_learn.anki import models as anki_models
from osteo_learn.store import Store


EXPORT_DECKS = [f"synthetic-{n:02d}" for n in range(5)]


def run(runs: int, collection: Path) -> list[Figure]:
    """50,000 notes to .apkg, with and without progress, against plain genanki writing the same notes."""
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

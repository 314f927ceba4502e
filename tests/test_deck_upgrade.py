"""Upgrading students from the deck as first released to the rewritten one.

``data/osteoporosis-leg-numbness-75107f8.toml`` is the bundled deck as it was
released (commit 75107f8): 66 entries, 90 studied cards. A database with
answers on every one of them is brought to the current bundled deck the way
every command does it, by syncing; an Anki collection that imported the old
export imports the new one. Kept ids keep their schedule and history; removed
ids are retired with theirs; Anki updates the kept notes in place.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest
from conftest import BUNDLED_DECK

from osteo_learn.anki import export
from osteo_learn.anki import notes as anki_notes
from osteo_learn.core import sm2
from osteo_learn.core.cards import Deck
from osteo_learn.core.deck import load
from osteo_learn.store import Store
from osteo_learn.store.rows import ReviewKind

OLD_DECK = Path(__file__).parent / "data" / "osteoporosis-leg-numbness-75107f8.toml"
DECK_ID = "osteoporosis-leg-numbness"
# Study days in the past: the Anki importer refuses review ids from the future.
D0 = date.today() - timedelta(days=40)


def old_deck(folder: Path) -> Deck:
    """The released deck written with its source under ``folder``, loaded as a deck file."""
    (folder / "sources").mkdir(parents=True)
    source = BUNDLED_DECK.parent / "sources" / "osteoporosis-leg-numbness.txt"
    (folder / "sources" / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    path = folder / "osteoporosis-leg-numbness.toml"
    path.write_text(OLD_DECK.read_text(encoding="utf-8"), encoding="utf-8")
    return load(path)


def sync(store: Store, deck: Deck):
    return store.decks.sync(deck, file_size=0, file_mtime_ns=0, file_hash=deck.path.name, bundled=True, rank=0)


def noon(day: date) -> datetime:
    return datetime.combine(day, time(12)).astimezone()


def keys(deck: Deck) -> set[tuple[str, int]]:
    return {(card.id, ordinal) for card in deck.cards for ordinal in card.ordinals()}


def study_every_card(store: Store) -> None:
    """Three study days on every card of the old deck: failures, same-day
    repeats and one undone answer, so each card has its own history."""
    for i, card in enumerate(store.cards.all([DECK_ID])):
        first = i % 6  # grades 0-5 on the first day
        store.log.record(card.pk, first, noon(D0), D0, 1000 + i)
        if first < 4:
            store.log.record(card.pk, 4, noon(D0) + timedelta(minutes=5), D0, 900)  # a same-day repeat
        due = store.cards.get(card.pk).state.due
        store.log.record(card.pk, (i * 7) % 6, noon(due), due, 800)
        if i % 10 == 0:
            store.log.undo(store.log.entries(card.pk)[-1].id, noon(due) + timedelta(minutes=1))
        later = due + timedelta(days=3)
        store.log.record(card.pk, 5, noon(later), later, 700)


@pytest.fixture
def studied(tmp_path) -> tuple[Store, Deck, Deck]:
    """A store that learned every card of the old deck, then the new deck beside it."""
    before = old_deck(tmp_path / "old")
    after = load(BUNDLED_DECK)
    with Store.open(tmp_path / "study.db") as store:
        sync(store, before)
        study_every_card(store)
        yield store, before, after


def test_the_released_deck_is_the_one_students_have(tmp_path):
    deck = old_deck(tmp_path)
    assert (len(deck.cards), len(keys(deck))) == (66, 90)


def test_kept_ids_keep_their_kind(tmp_path):
    # An entry's kind is its note type in Anki: a kept id that changed kind
    # could not update its note there.
    before, after = old_deck(tmp_path), load(BUNDLED_DECK)
    old_kinds = {card.id: card.kind for card in before.cards}
    changed = [card.id for card in after.cards if card.id in old_kinds and old_kinds[card.id] != card.kind]
    assert changed == []


def test_sync_keeps_every_kept_card_with_its_schedule_and_history(studied):
    store, before, after = studied
    snapshot = {
        (c.card.id, c.ordinal): (c.pk, c.state, store.log.entries(c.pk)) for c in store.cards.all([DECK_ID])
    }
    assert len(snapshot) == 90 and all(history for _, _, history in snapshot.values())
    kept, gone, added = keys(before) & keys(after), keys(before) - keys(after), keys(after) - keys(before)
    assert kept and gone and added

    result = sync(store, after)

    assert (result.added, result.retired, result.restored) == (len(added), len(gone), 0)
    now = {(c.card.id, c.ordinal): c for c in store.cards.all([DECK_ID], include_retired=True)}
    assert set(now) == keys(before) | keys(after)
    for key in kept:
        pk, state, history = snapshot[key]
        card = now[key]
        assert card.pk == pk and not card.retired, key
        assert card.state == state, key
        assert store.log.entries(pk) == history, key
        assert store.log.replay(pk) == state, key
        new = after.card(key[0])
        assert (card.card.content, card.card.source, card.card.tags) == (new.content, new.source, new.tags), key
    for key in added:
        assert isinstance(now[key].state, sm2.NewCard), key
        assert store.log.entries(now[key].pk) == [], key


def test_sync_retires_every_removed_card_and_keeps_its_history(studied):
    store, before, after = studied
    snapshot = {(c.card.id, c.ordinal): (c.pk, c.state, store.log.entries(c.pk)) for c in store.cards.all([DECK_ID])}
    gone = keys(before) - keys(after)
    # Whole entries taken out of the deck, and no deletion number taken out of a
    # kept cloze: a number keeps meaning the fact it was studied as.
    assert {card_id for card_id, _ in gone} == {c.id for c in before.cards} - {c.id for c in after.cards}

    sync(store, after)

    shown = {(c.card.id, c.ordinal) for c in store.cards.all([DECK_ID])}
    assert shown == keys(after)
    everything = {(c.card.id, c.ordinal): c for c in store.cards.all([DECK_ID], include_retired=True)}
    far = D0 + timedelta(days=36500)
    hidden = {(c.card.id, c.ordinal) for c in [*store.queue.due(far), *store.queue.new([DECK_ID])]}
    for key in gone:
        pk, state, history = snapshot[key]
        card = everything[key]
        assert card.retired and card.pk == pk, key
        assert card.state == state and store.log.entries(pk) == history, key
        assert key not in hidden, key


def test_answers_on_kept_cards_go_on_after_the_upgrade(studied):
    store, _, after = studied
    sync(store, after)
    card = next(c for c in store.cards.all([DECK_ID]) if c.card.id == "vignette-first-treatment")
    before = card.state
    review = store.log.record(card.pk, 4, noon(before.due), before.due, 500)
    assert review.kind == ReviewKind.REVIEW
    assert review.after == sm2.review(before, 4, before.due)


# -- a real Anki collection ---------------------------------------------------


def import_into(collection: Collection, path: Path):
    request = ImportAnkiPackageRequest(
        package_path=str(path), options=ImportAnkiPackageOptions(with_scheduling=True)
    )
    return collection.import_anki_package(request).log


def problems(log) -> dict[str, int]:
    found = {
        name: len(getattr(log, name))
        for name in ("duplicate", "conflicting", "first_field_match", "missing_notetype", "missing_deck", "empty_first_field")
    }
    return {name: count for name, count in found.items() if count}


def notes_by_guid(collection: Collection) -> dict[str, dict]:
    return {
        guid: {"id": nid, "fields": flds.split("\x1f"), "cards": collection.db.list("SELECT ord FROM cards WHERE nid = ? ORDER BY ord", nid)}
        for nid, guid, flds in collection.db.all("SELECT id, guid, flds FROM notes")
    }


def test_anki_updates_the_old_notes_in_place_and_adds_the_new_ones(studied, tmp_path, anki):
    store, before, after = studied
    now = datetime.now().timestamp()
    export.export_from_store(store, tmp_path / "old.apkg", deck_ids=(DECK_ID,), with_progress=True, timestamp=now - 60)
    first = import_into(anki, tmp_path / "old.apkg")
    assert (len(first.new), problems(first)) == (66, {})
    schedules = {
        guid: anki.db.all("SELECT ord, type, queue, due, ivl, factor, reps, lapses FROM cards WHERE nid = ? ORDER BY ord", note["id"])
        for guid, note in notes_by_guid(anki).items()
    }
    revlog = anki.db.scalar("SELECT count(*) FROM revlog")

    sync(store, after)
    export.export_from_store(store, tmp_path / "new.apkg", deck_ids=(DECK_ID,), with_progress=True, timestamp=now)
    second = import_into(anki, tmp_path / "new.apkg")

    old_ids, new_ids = {c.id for c in before.cards}, {c.id for c in after.cards}
    guid = {card_id: anki_notes.note_guid(DECK_ID, card_id) for card_id in old_ids | new_ids}
    # Every kept entry is reworded, so every kept note is an update.
    assert (len(second.new), len(second.updated), problems(second)) == (len(new_ids - old_ids), len(old_ids & new_ids), {})
    notes = notes_by_guid(anki)
    # One note per entry ever exported, none twice: the new deck's notes, and
    # the retired ones, which an import leaves as they were (Anki never
    # deletes a note a package no longer holds).
    assert set(notes) == {guid[i] for i in old_ids | new_ids}
    assert anki.note_count() == len(old_ids | new_ids)
    assert len({guid[i] for i in new_ids} & set(notes)) == len(after.cards)
    for card in after.cards:
        note = notes[guid[card.id]]
        assert note["fields"] == anki_notes.note_fields(card), card.id
        assert note["cards"] == [ordinal - 1 for ordinal in card.ordinals()], card.id
    old_cards = {c.id: c for c in before.cards}
    for card_id in old_ids - new_ids:
        assert notes[guid[card_id]]["fields"] == anki_notes.note_fields(old_cards[card_id]), card_id
    # Anki keeps the schedule of every card it already has, and the history.
    for card_id in old_ids:
        rows = anki.db.all(
            "SELECT ord, type, queue, due, ivl, factor, reps, lapses FROM cards WHERE nid = ? ORDER BY ord",
            notes[guid[card_id]]["id"],
        )
        assert [r for r in rows if r[0] in {o for o, *_ in schedules[guid[card_id]]}] == schedules[guid[card_id]], card_id
    assert anki.db.scalar("SELECT count(*) FROM revlog") == revlog
    assert anki.card_count() == len(keys(before) | keys(after))
    assert not anki.get_empty_cards().notes
    for card_id in new_ids:
        for anki_card in anki.get_note(notes[guid[card_id]]["id"]).cards():
            question = anki_card.question()
            assert "template has a problem" not in question and "is blank" not in question, card_id

"""The SQLite store: schema, deck sync, answers, undo, refusal of foreign files."""

import sqlite3
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from osteo_learn.core import sm2
from osteo_learn.store import schema
from osteo_learn.core.deck import parse
from osteo_learn.store.library import add_deck, open_library
from osteo_learn.errors import StoreError
from osteo_learn.store import Store
from osteo_learn.store.rows import ReviewKind

SOURCE = "Alpha beta gamma. Delta epsilon zeta. Eta theta iota.\n"


def deck_text(cards: str, deck_id: str = "demo") -> str:
    return f"""
id = "{deck_id}"
title = "Demo"
description = "For tests."

[source]
title = "Greek"
file = "greek.txt"
{cards}
"""


def basic(card_id: str, front: str = "Q?", back: str = "A.") -> str:
    return f"""
[[cards]]
id = "{card_id}"
kind = "basic"
tags = ["t1"]
front = "{front}"
back = "{back}"
source = "Alpha beta gamma."
"""


CLOZE = """
[[cards]]
id = "letters"
kind = "cloze"
tags = ["t2"]
text = "{{c1::Delta}} comes before {{c2::epsilon}}."
source = "Delta epsilon zeta."
"""


def make_deck(tmp_path: Path, cards: str, deck_id: str = "demo"):
    (tmp_path / "greek.txt").write_text(SOURCE)
    path = tmp_path / f"{deck_id}.toml"
    path.write_text(deck_text(cards, deck_id))
    return parse(path.read_text(), path)


def sync(store: Store, deck):
    return store.decks.sync(deck, file_size=0, file_mtime_ns=0, file_hash="h", bundled=False, rank=1)


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=timezone.utc)


@pytest.fixture
def store(tmp_path):
    with Store.open(tmp_path / "db" / "study.db") as opened:
        yield opened


def by_key(store: Store) -> dict:
    return {(c.card.id, c.ordinal): c for c in store.cards.all(include_retired=True)}


def test_new_database_is_created_with_current_schema_in_wal_mode(tmp_path):
    path = tmp_path / "new" / "folder" / "study.db"
    with Store.open(path) as store:
        conn = store.conn
        assert conn.execute("PRAGMA user_version").fetchone()[0] == schema.VERSION
        assert conn.execute("PRAGMA application_id").fetchone()[0] == schema.APPLICATION_ID
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        from sqlite_utils import Database

        assert schema.registered().pending(Database(conn)) == []
        tables = {
            name: sql
            for name, sql in conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'")
        }
    for table in ("decks", "cards", "reviews", "settings"):
        assert tables[table].rstrip().endswith("STRICT"), table


def test_sync_gives_each_new_card_its_notes_guid_in_anki(store, tmp_path):
    import genanki

    sync(store, make_deck(tmp_path, basic("one") + CLOZE))
    found = store.conn.execute("SELECT card_id, ord, guid FROM cards ORDER BY id").fetchall()
    assert found == [(card_id, ordinal, genanki.guid_for("demo", card_id)) for card_id, ordinal in (("one", 1), ("letters", 1), ("letters", 2))]


def test_sync_adds_every_cloze_deletion_as_its_own_new_card(store, tmp_path):
    result = sync(store, make_deck(tmp_path, basic("one") + CLOZE))
    assert (result.added, result.updated, result.retired) == (3, 0, 0)
    cards = store.cards.all()
    assert [(c.card.id, c.ordinal) for c in cards] == [("one", 1), ("letters", 1), ("letters", 2)]
    assert all(isinstance(c.state, sm2.NewCard) for c in cards)


def test_unchanged_deck_writes_nothing(store, tmp_path):
    deck = make_deck(tmp_path, basic("one") + CLOZE)
    sync(store, deck)
    before = store.conn.total_changes
    result = sync(store, deck)
    assert not result.changed
    assert store.conn.total_changes == before


def test_edited_card_keeps_its_schedule_and_history(store, tmp_path):
    sync(store, make_deck(tmp_path, basic("one")))
    pk = store.cards.all()[0].pk
    store.log.record(pk, sm2.Grade.PERFECT, at(date(2026, 1, 1)), date(2026, 1, 1), 1000)
    result = sync(store, make_deck(tmp_path, basic("one", front="A better question?")))
    assert (result.added, result.updated) == (0, 1)
    [card] = store.cards.all()
    assert card.pk == pk
    assert card.card.content.front == "A better question?"
    assert card.state == sm2.review(sm2.CardState.new(), 5, date(2026, 1, 1))
    assert len(store.log.entries(pk)) == 1


def test_removed_card_is_retired_with_history_and_returns_when_restored(store, tmp_path):
    sync(store, make_deck(tmp_path, basic("one") + basic("two")))
    two = by_key(store)[("two", 1)]
    store.log.record(two.pk, 4, at(date(2026, 1, 1)), date(2026, 1, 1), 500)
    result = sync(store, make_deck(tmp_path, basic("one")))
    assert result.retired == 1
    assert [c.card.id for c in store.cards.all()] == ["one"]
    assert by_key(store)[("two", 1)].retired
    assert list(store.queue.due(date(2027, 1, 1))) == []
    result = sync(store, make_deck(tmp_path, basic("one") + basic("two")))
    assert result.restored == 1
    restored = by_key(store)[("two", 1)]
    assert not restored.retired and restored.state.repetitions == 1


def test_first_answer_of_a_day_schedules_and_later_ones_are_repeats(store, tmp_path):
    sync(store, make_deck(tmp_path, basic("one")))
    pk = store.cards.all()[0].pk
    day = date(2026, 3, 1)
    first = store.log.record(pk, sm2.Grade.CORRECT_DIFFICULT, at(day), day, 2000)
    assert first.kind == ReviewKind.NEW
    assert first.after == sm2.review(sm2.CardState.new(), 3, day)
    repeat = store.log.record(pk, sm2.Grade.PERFECT, at(day) + timedelta(minutes=2), day, 900)
    assert repeat.kind == ReviewKind.REPEAT
    assert repeat.before == repeat.after == first.after
    assert store.cards.get(pk).state == first.after
    later = store.log.record(pk, sm2.Grade.PERFECT, at(day + timedelta(days=1)), day + timedelta(days=1), 700)
    assert later.kind == ReviewKind.REVIEW
    assert later.after == sm2.review(first.after, 5, day + timedelta(days=1))


def test_answer_is_logged_with_utc_time_study_day_and_duration(store, tmp_path):
    sync(store, make_deck(tmp_path, basic("one")))
    pk = store.cards.all()[0].pk
    instant = datetime(2026, 3, 2, 1, 30, tzinfo=timezone(timedelta(hours=2)))
    review = store.log.record(pk, 4, instant, date(2026, 3, 1), 4321)
    assert review.reviewed_at == "2026-03-01T23:30:00.000+00:00"
    assert review.day == date(2026, 3, 1)
    assert review.duration_ms == 4321
    assert review.grade is sm2.Grade.CORRECT_HESITANT


def test_undo_restores_previous_state_and_keeps_the_row_marked(store, tmp_path):
    sync(store, make_deck(tmp_path, basic("one")))
    pk = store.cards.all()[0].pk
    d1, d2 = date(2026, 3, 1), date(2026, 3, 2)
    first = store.log.record(pk, 5, at(d1), d1, 100)
    second = store.log.record(pk, 2, at(d2), d2, 100)
    undone = store.log.undo(second.id, at(d2))
    assert undone.undone_at is not None
    assert store.cards.get(pk).state == first.after
    assert [r.id for r in store.log.entries(pk)] == [first.id, second.id]
    assert store.log.replay(pk) == first.after
    # After the undo, answering again counts as the day's scheduled review.
    again = store.log.record(pk, 5, at(d2), d2, 100)
    assert again.kind == ReviewKind.REVIEW
    with pytest.raises(StoreError, match="already undone"):
        store.log.undo(second.id, at(d2))
    with pytest.raises(StoreError, match="not the card's latest answer"):
        store.log.undo(first.id, at(d2))


def test_an_answer_stamped_before_a_later_one_of_its_card_is_replayed_in_time_order(store, tmp_path):
    sync(store, make_deck(tmp_path, basic("one")))
    pk = store.cards.all()[0].pk
    d1, d2 = date(2026, 3, 1), date(2026, 3, 2)
    store.log.record(pk, 5, at(d1), d1, 100)
    desk = store.log.record(pk, 2, at(d2), d2, 100)  # day 2, noon: a failure
    assert desk.kind == ReviewKind.REVIEW
    # An answer given at 11:00 the same day reaches the log after it (a clock
    # behind): it is the day's first answer, so it schedules; noon's is a repeat.
    early = store.log.record(pk, 4, at(d2) - timedelta(hours=1), d2, 100)
    assert early.kind == ReviewKind.REVIEW
    assert store.log.get(desk.id).kind == ReviewKind.REPEAT
    # The row as written is unchanged: the log stays append-only.
    assert store.conn.execute("SELECT kind FROM reviews WHERE id = ?", (desk.id,)).fetchone() == ("review",)
    expected = sm2.review(sm2.review(sm2.CardState.new(), 5, d1), 4, d2)
    assert store.cards.get(pk).state == expected == store.log.replay(pk)
    assert [r.id for r in store.log.entries(pk)] == [1, early.id, desk.id]
    # The daily limits and the stats count the replay's verdicts: one review that day.
    assert store.queue.reviews_answered(d2) == 1
    assert store.stats.retention(d2).young_reviews == 1
    assert store.stats.retention(d2).young_recalled == 1
    # Undoing the answer given last at the desk replays the card without it.
    store.log.undo(early.id, at(d2))
    assert store.log.get(desk.id).kind == ReviewKind.REVIEW
    assert store.cards.get(pk).state == sm2.review(sm2.review(sm2.CardState.new(), 5, d1), 2, d2) == store.log.replay(pk)
    assert store.conn.execute("SELECT count(*) FROM replayed_reviews").fetchone() == (0,)


def test_only_the_answer_given_last_at_the_desk_can_be_undone(store, tmp_path):
    sync(store, make_deck(tmp_path, basic("one")))
    pk = store.cards.all()[0].pk
    d1 = date(2026, 3, 1)
    later = store.log.record(pk, 5, at(d1), d1, 100)
    earlier = store.log.record(pk, 4, at(d1) - timedelta(hours=1), d1, 100)
    with pytest.raises(StoreError, match="not the card's latest answer"):
        store.log.undo(later.id, at(d1))
    store.log.undo(earlier.id, at(d1))
    assert store.cards.get(pk).state == sm2.review(sm2.CardState.new(), 5, d1)


def test_the_record_of_imported_answers_refuses_deletes_and_edits(store, tmp_path):
    sync(store, make_deck(tmp_path, basic("one")))
    pk = store.cards.all()[0].pk
    review = store.log.record(pk, 5, at(date(2026, 3, 1)), date(2026, 3, 1), 100)
    store.conn.execute(
        "INSERT INTO anki_answers VALUES (?, ?, 1772366400000, 4, 0, 'phone.colpkg', '2026-03-02T00:00:00.000+00:00')",
        (review.id, pk),
    )
    for sql in ("DELETE FROM anki_answers", "UPDATE anki_answers SET ease = 1"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            store.conn.execute(sql)
    store.conn.rollback()


def test_review_log_refuses_deletes_and_edits(store, tmp_path):
    sync(store, make_deck(tmp_path, basic("one")))
    pk = store.cards.all()[0].pk
    review = store.log.record(pk, 5, at(date(2026, 3, 1)), date(2026, 3, 1), 100)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.conn.execute("DELETE FROM reviews WHERE id = ?", (review.id,))
    store.conn.rollback()
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.conn.execute("UPDATE reviews SET grade = 0 WHERE id = ?", (review.id,))
    store.conn.rollback()
    assert store.log.get(review.id).grade == 5


def test_due_cards_come_most_overdue_first_and_new_cards_in_deck_order(store, tmp_path):
    sync(store, make_deck(tmp_path, basic("a") + basic("b") + basic("c") + basic("d")))
    cards = by_key(store)
    store.log.record(cards[("b", 1)].pk, 5, at(date(2026, 1, 2)), date(2026, 1, 2), 1)  # due 01-03
    store.log.record(cards[("a", 1)].pk, 5, at(date(2026, 1, 1)), date(2026, 1, 1), 1)  # due 01-02
    due = list(store.queue.due(date(2026, 1, 3)))
    assert [c.card.id for c in due] == ["a", "b"]
    assert [c.card.id for c in store.queue.due(date(2026, 1, 2))] == ["a"]
    assert [c.card.id for c in store.queue.new()] == ["c", "d"]
    assert store.queue.count_due(date(2026, 1, 3)) == 2
    assert store.queue.count_new() == 2
    assert store.queue.next_due(date(2026, 1, 1)) == date(2026, 1, 2)
    assert store.queue.new_introduced(date(2026, 1, 1)) == 1


def test_tag_filter_matches_whole_tags_only(store, tmp_path):
    sync(store, make_deck(tmp_path, basic("one") + CLOZE))
    assert [c.card.id for c in store.cards.all(tags=["t2"])] == ["letters", "letters"]
    assert store.cards.all(tags=["t"]) == []
    assert store.queue.count_new(tags=["t1"]) == 1


def test_replay_of_the_log_equals_stored_state_after_many_answers(store, tmp_path):
    sync(store, make_deck(tmp_path, basic("one") + CLOZE))
    grades = [5, 3, 2, 4, 5, 0, 3, 5, 5, 1, 4]
    day = date(2026, 1, 1)
    for i, grade in enumerate(grades):
        for card in store.cards.all():
            store.log.record(card.pk, (grade + card.ordinal) % 6, at(day), day, 10)
            if grade < 4:
                store.log.record(card.pk, 4, at(day), day, 10)  # a same-day repeat
        day += timedelta(days=i % 3 + 1)
    for card in store.cards.all():
        assert store.log.replay(card.pk) == card.state


def test_settings_are_stored_and_removed(store):
    store.settings.set("new-per-day", "5")
    assert store.settings.stored() == {"new-per-day": "5"}
    store.settings.set("new-per-day", None)
    assert store.settings.stored() == {}


# -- refusing what is not ours --------------------------------------------


def test_newer_schema_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / "study.db"
    Store.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {schema.VERSION + 1}")
    conn.close()
    before = path.read_bytes()
    with pytest.raises(StoreError, match="written by a newer osteo-learn"):
        Store.open(path)
    assert path.read_bytes() == before


def test_file_that_is_not_a_database_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("my lecture notes\n" * 100)
    with pytest.raises(StoreError, match="not an osteo-learn database"):
        Store.open(path)
    assert path.read_text() == "my lecture notes\n" * 100


def test_database_of_another_program_is_refused(tmp_path):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE things (x)")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(StoreError, match="another program"):
        Store.open(path)
    assert path.read_bytes() == before


def test_truncated_database_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / "study.db"
    with Store.open(path) as store:
        sync(store, make_deck(tmp_path, basic("one") + CLOZE))
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(StoreError, match="truncated"):
        Store.open(path)
    assert path.read_bytes() == data[: len(data) // 2]


def test_folder_given_as_database_is_refused(tmp_path):
    with pytest.raises(StoreError, match="is a folder"):
        Store.open(tmp_path)


# -- the library: deck files kept in step ---------------------------------


def test_library_syncs_bundled_deck_and_skips_it_when_unchanged(tmp_path):
    store, warnings = open_library(tmp_path / "study.db")
    with store:
        assert warnings == []
        assert store.decks.ids() == ["osteoporosis-leg-numbness"]
        assert store.queue.count_new() > 0
    store, _ = open_library(tmp_path / "study.db")
    with store:
        assert store.conn.total_changes == 0


def test_added_deck_is_followed_and_a_missing_file_only_warns(tmp_path):
    deck = make_deck(tmp_path, basic("one"), "mine")
    store, _ = open_library(tmp_path / "study.db")
    with store:
        added, result = add_deck(store, deck.path)
        assert (added.id, result.added) == ("mine", 1)
    deck.path.write_text(deck_text(basic("one") + basic("two"), "mine"))
    store, _ = open_library(tmp_path / "study.db")
    with store:
        assert [c.card.id for c in store.cards.all(["mine"])] == ["one", "two"]
    deck.path.unlink()
    store, warnings = open_library(tmp_path / "study.db")
    with store:
        assert warnings == [f"deck file {deck.path.resolve()} is missing; its cards are kept as they were"]
        assert len(store.cards.all(["mine"])) == 2


def test_broken_added_deck_is_reported_in_one_line_and_nothing_of_it_is_written(tmp_path):
    deck = make_deck(tmp_path, basic("one"), "mine")
    store, _ = open_library(tmp_path / "study.db")
    with store:
        add_deck(store, deck.path)
    deck.path.write_text(deck_text(basic("one") + basic("two").replace('kind = "basic"', 'kind = "?"'), "mine"))
    store, warnings = open_library(tmp_path / "study.db")
    with store:
        [warning] = warnings
        assert warning.startswith(f"{deck.path.resolve()}:") and "unknown kind '?'" in warning
        assert "\n" not in warning
        assert warning.endswith(f"this deck is left as it was until the file is fixed (osteo-learn check {deck.path.resolve()})")
        assert store.conn.total_changes == 0
        # The other decks go on.
        assert store.decks.ids() == ["osteoporosis-leg-numbness", "mine"]
        assert store.queue.count_new(["osteoporosis-leg-numbness"]) > 0
    with Store.open(tmp_path / "study.db") as store:
        assert [c.card.id for c in store.cards.all(["mine"])] == ["one"]


def test_added_deck_cannot_take_the_id_of_another(tmp_path):
    deck = make_deck(tmp_path, basic("one"), "osteoporosis-leg-numbness")
    store, _ = open_library(tmp_path / "study.db")
    with store, pytest.raises(Exception, match="already used by"):
        add_deck(store, deck.path)



def test_database_from_an_older_schema_is_migrated_with_its_data(tmp_path):
    from sqlite_utils import Database

    path = tmp_path / "old.db"
    # A database as the first schema version wrote it, with a deck, a card
    # and an answer in it.
    conn = sqlite3.connect(path)
    first, *later = [name for name, _ in schema._MIGRATIONS]
    assert later, "this test needs a schema with more than one migration"
    schema.registered().apply(Database(conn), stop_before=later[0])
    conn.execute(f"PRAGMA application_id = {schema.APPLICATION_ID}")
    conn.execute("PRAGMA user_version = 1")
    conn.execute("INSERT INTO decks VALUES ('demo', 'Demo', 'd', 'demo.toml', 1, 1, 'h', 0, 1, 'Greek', 'greek.txt', 'Alpha.')")
    conn.execute(
        "INSERT INTO cards (id, deck_id, card_id, ord, kind, position, tags, fields, source, reps, ease, interval,"
        " due, lapses, last_review) VALUES (7, 'demo', 'one', 1, 'basic', 0, 't1',"
        " '{\"back\": \"A.\", \"front\": \"Q?\"}', 'Alpha.', 1, 260, 1, '2026-01-02', 0, '2026-01-01')"
    )
    conn.execute(
        "INSERT INTO reviews (card, reviewed_at, day, grade, kind, reps_after, ease_after, interval_after, due_after,"
        " lapses_after, last_review_after, duration_ms) VALUES (7, '2026-01-01T12:00:00.000+00:00', '2026-01-01', 5,"
        " 'new', 1, 260, 1, '2026-01-02', 0, '2026-01-01', 100)"
    )
    conn.commit()
    conn.close()
    with Store.open(path) as store:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == schema.VERSION == 1 + len(later)
        applied = [m.name for m in schema.registered().applied(Database(store.conn))]
        assert applied == [first, *later]
        card = store.cards.get(7)
        assert card.card.content.front == "Q?"
        # Migration 0004 gives every card its note's GUID in Anki.
        from osteo_learn.core.guid import note_guid

        assert store.conn.execute("SELECT guid FROM cards WHERE id = 7").fetchone() == (note_guid("demo", "one"),)
        # Migration 0005 leaves one index of the log by study day, and queries by day still use an index.
        indexes = {name for (name,) in store.conn.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'reviews'")}
        assert "reviews_day" not in indexes and "reviews_stats" in indexes
        plan = store.conn.execute("EXPLAIN QUERY PLAN SELECT count(*) FROM reviews WHERE day = '2026-01-01' AND kind = 'new'").fetchall()
        assert "USING COVERING INDEX reviews_stats" in " ".join(row[-1] for row in plan)
        assert card.state == sm2.review(sm2.CardState.new(), 5, date(2026, 1, 1)) == store.log.replay(7)


def test_empty_file_becomes_a_current_database(tmp_path):
    path = tmp_path / "empty.db"
    path.touch()
    Store.open(path).close()
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == schema.VERSION


def test_a_larger_page_cache_and_a_memory_map_hold_inside_the_block_alone(tmp_path):
    with Store.open(tmp_path / "study.db") as store:
        conn = store.conn
        conn.execute("PRAGMA main.mmap_size = 4096")
        before = (conn.execute("PRAGMA main.cache_size").fetchone()[0], conn.execute("PRAGMA main.mmap_size").fetchone()[0])
        with store.db.page_cache(64 * 1024, mapped_bytes=1 << 24):
            assert conn.execute("PRAGMA main.cache_size").fetchone()[0] == -64 * 1024
            assert conn.execute("PRAGMA main.mmap_size").fetchone()[0] == 1 << 24
        after = (conn.execute("PRAGMA main.cache_size").fetchone()[0], conn.execute("PRAGMA main.mmap_size").fetchone()[0])
        assert after == before == (before[0], 4096)

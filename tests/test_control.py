"""Card control in the store: bury, suspend, flag, leeches; their own append-only log, and undo."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from click.testing import CliRunner
from study_deck import DECK_ID, write_deck

from osteo_learn.commands.cli import cli
from osteo_learn.core import control
from osteo_learn.core.control import Action, CardRef, Origin, parse_ref
from osteo_learn.store import Store
from osteo_learn.store.schema import VERSION

DAY = date(2026, 3, 2)


def at(day: date, seconds: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=timezone.utc) + timedelta(seconds=seconds)


@pytest.fixture
def store(tmp_path):
    path = tmp_path / "study.db"
    deck = write_deck(tmp_path / "decks")
    assert CliRunner().invoke(cli, ["add-deck", "--db", str(path), str(deck)]).exit_code == 0
    with Store.open(path) as opened:
        yield opened


def card(store: Store, ref: str):
    return next(c for c in store.cards.all(include_retired=True) if c.ref == ref)


def test_a_suspended_card_leaves_the_queue_with_its_schedule_kept_and_comes_back_when_unsuspended(store):
    weak = card(store, "demo/weak-bones")
    store.log.record(weak.pk, 5, at(DAY), DAY, 1000)
    before = card(store, "demo/weak-bones").state
    store.control.record([weak.pk], Action.SUSPEND, at(DAY, 1), DAY)
    later = DAY + timedelta(days=5)
    assert weak.pk not in [c.pk for c in store.queue.due(later)]
    assert store.queue.count_due(later) == 0
    assert card(store, "demo/weak-bones").state == before
    assert card(store, "demo/weak-bones").suspended
    # The statistics count it apart: due on no day, not due today.
    counts = store.stats.card_counts(later, [DECK_ID])
    assert (counts.suspended, counts.due_today, counts.young) == (1, 0, 1)
    assert store.stats.due_forecast(DAY, later, [DECK_ID]) == {}
    store.control.record([weak.pk], Action.UNSUSPEND, at(later), later, origin=Origin.COMMAND)
    assert [c.pk for c in store.queue.due(later)] == [weak.pk]


def test_a_buried_card_is_left_out_that_study_day_only(store):
    weak = card(store, "demo/weak-bones")
    store.control.record([weak.pk], Action.BURY, at(DAY), DAY)
    assert weak.pk not in [c.pk for c in store.queue.new(today=DAY)]
    assert store.queue.count_new([DECK_ID], today=DAY) == 4
    assert weak.pk in [c.pk for c in store.queue.new(today=DAY + timedelta(days=1))]
    assert store.control.buried(DAY) == {weak.pk}


def test_a_flag_keeps_its_note_on_one_line_and_unflag_clears_it(store):
    weak = card(store, "demo/weak-bones")
    store.control.record([weak.pk], Action.FLAG, at(DAY), DAY, note="  the answer\n is  incomplete\x1b[2J ")
    flagged = card(store, "demo/weak-bones")
    assert flagged.flagged and flagged.flag_note == "the answer is incomplete[2J"
    # A flagged card is still studied.
    assert weak.pk in [c.pk for c in store.queue.new(today=DAY)]
    store.control.record([weak.pk], Action.UNFLAG, at(DAY, 1), DAY)
    assert (card(store, "demo/weak-bones").flagged, card(store, "demo/weak-bones").flag_note) == (False, "")


def test_undoing_an_event_rebuilds_the_state_from_the_events_left(store):
    weak = card(store, "demo/weak-bones")
    [flag] = store.control.record([weak.pk], Action.FLAG, at(DAY), DAY, note="first")
    [suspend] = store.control.record([weak.pk], Action.SUSPEND, at(DAY, 1), DAY)
    store.control.undo(suspend.id, at(DAY, 2))
    now = card(store, "demo/weak-bones")
    assert (now.suspended, now.flagged, now.flag_note) == (False, True, "first")
    assert [e.undone_at is not None for e in store.control.events(weak.pk)] == [False, True]
    with pytest.raises(Exception, match="already undone"):
        store.control.undo(suspend.id, at(DAY, 3))


def test_the_card_event_log_refuses_deletes_and_edits(store):
    weak = card(store, "demo/weak-bones")
    [event] = store.control.record([weak.pk], Action.BURY, at(DAY), DAY)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.conn.execute("DELETE FROM card_events")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.conn.execute("UPDATE card_events SET action = 'suspend'")
    store.conn.rollback()


def fail_and_pass(store, pk: int, day: date, lapses: int) -> date:
    """Answer the card so that it lapses ``lapses`` times: pass, then fail, each on its own day."""
    for _ in range(lapses):
        store.log.record(pk, 5, at(day), day, 1000)
        day += timedelta(days=1)
        review = store.log.record(pk, 1, at(day), day, 1000)
        day += timedelta(days=1)
    return day, review


def test_the_eighth_lapse_makes_a_leech_suspended_in_the_answers_transaction(store):
    weak = card(store, "demo/weak-bones")
    day, review = fail_and_pass(store, weak.pk, DAY, 7)
    assert not review.made_leech and not card(store, "demo/weak-bones").leech
    day, review = fail_and_pass(store, weak.pk, day, 1)
    assert review.made_leech
    leech = card(store, "demo/weak-bones")
    assert (leech.leech, leech.suspended, leech.state.lapses) == (True, True, 8)
    [event] = store.control.events(weak.pk)
    assert (event.action, event.origin, event.review_id) == (Action.LEECH, Origin.ANSWER, review.id)
    # Undoing the answer takes the leech mark back with it.
    store.log.undo(review.id, at(day))
    back = card(store, "demo/weak-bones")
    assert (back.leech, back.suspended, back.state.lapses) == (False, False, 7)


def test_an_unsuspended_leech_needs_as_many_lapses_again_and_the_threshold_is_a_setting(store):
    weak = card(store, "demo/weak-bones")
    day, review = fail_and_pass(store, weak.pk, DAY, 3)
    assert not review.made_leech
    review = store.log.record(weak.pk, 5, at(day), day, 1000)
    day += timedelta(days=1)
    review = store.log.record(weak.pk, 0, at(day), day, 1000, leech_lapses=4)
    assert review.made_leech
    store.control.record([weak.pk], Action.UNSUSPEND, at(day, 5), day, origin=Origin.COMMAND)
    assert not card(store, "demo/weak-bones").leech
    day, review = fail_and_pass(store, weak.pk, day + timedelta(days=1), 3)
    assert not store.log.record(weak.pk, 5, at(day), day, 1000).made_leech
    assert store.log.record(weak.pk, 0, at(day + timedelta(days=1)), day + timedelta(days=1), 1000, leech_lapses=4).made_leech
    # 0 turns leeches off.
    other = card(store, "demo/mri-use")
    day, review = fail_and_pass(store, other.pk, DAY, 2)
    assert not store.log.record(other.pk, 5, at(day), day, 1000).made_leech


def test_a_vignette_answer_logs_the_option_chosen(store):
    case = card(store, "demo/case-mri")
    review = store.log.record(case.pk, 1, at(DAY), DAY, 1000, chosen="Blood count")
    assert store.log.get(review.id).chosen == "Blood count"
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.conn.execute("UPDATE reviews SET chosen = 'MRI'")
    store.conn.rollback()


events = st.lists(
    st.tuples(st.sampled_from([Action.BURY, Action.SUSPEND, Action.UNSUSPEND, Action.FLAG, Action.UNFLAG]), st.booleans(), st.text(max_size=5)),
    max_size=12,
)


@settings(max_examples=30, deadline=None)
@given(events)
def test_the_cached_control_columns_always_equal_a_replay_of_the_standing_events(tmp_path_factory, history):
    folder = tmp_path_factory.mktemp("replay")
    path = folder / "study.db"
    deck = write_deck(folder / "decks")
    assert CliRunner().invoke(cli, ["add-deck", "--db", str(path), str(deck)]).exit_code == 0
    with Store.open(path) as store:
        pk = card(store, "demo/weak-bones").pk
        for n, (action, undo, note) in enumerate(history):
            [event] = store.control.record([pk], action, at(DAY, n), DAY, note=note)
            if undo:
                store.control.undo(event.id, at(DAY, n))
        replayed = store.control.replay(pk)
        stored = card(store, "demo/weak-bones")
        assert (stored.suspended, stored.leech, stored.flagged, stored.flag_note) == (
            replayed.suspended, replayed.leech, replayed.flagged, replayed.flag_note
        )


def test_card_refs_name_an_entry_or_one_cloze_deletion():
    assert parse_ref("demo/weak-bones") == CardRef("demo", "weak-bones")
    assert parse_ref("demo/fracture-nerve#2") == CardRef("demo", "fracture-nerve", 2)
    assert str(CardRef("demo", "fracture-nerve", 2)) == "demo/fracture-nerve#2"
    for bad in ("weak-bones", "demo/", "demo/x#0", "demo/x#a", "Demo/x", "demo/x c2"):
        with pytest.raises(control.RefError, match="deck-id/card-id#N"):
            parse_ref(bad)


def test_an_old_database_gains_card_control_when_opened(tmp_path):
    from sqlite_utils import Database
    from sqlite_utils.migrations import Migrations

    from osteo_learn.store import schema

    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    first = Migrations("osteo-learn")
    first(name="0001_initial")(schema._initial)
    first(name="0002_stats_indexes")(schema._stats_indexes)
    first.apply(Database(conn))
    conn.execute("INSERT INTO decks VALUES ('d', 't', 'x', 'f', 0, 0, 'h', 0, 0, 's', 'p', 'text')")
    conn.execute("INSERT INTO cards (deck_id, card_id, ord, kind, position, tags, fields, source) VALUES ('d', 'c', 1, 'basic', 0, 't', '{}', 's')")
    conn.execute(f"PRAGMA application_id = {schema.APPLICATION_ID}")
    conn.execute("PRAGMA user_version = 2")
    conn.commit()
    conn.close()
    with Store.open(path) as store:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == VERSION
        columns = {row[1] for row in store.conn.execute("PRAGMA table_info(cards)")}
        assert {"suspended", "leech", "flagged", "flag_note"} <= columns
        assert "chosen" in {row[1] for row in store.conn.execute("PRAGMA table_info(reviews)")}
        assert store.conn.execute("SELECT suspended, leech, flagged, flag_note FROM cards").fetchall() == [(0, 0, 0, "")]

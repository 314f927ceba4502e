"""The simulated phone (tests/phone.py): its days really move, and Anki logs what a student's phone would."""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from osteo_learn.anki import export
from osteo_learn.store import library
from osteo_learn.anki.package_reader import open_package
from phone import FILTERED, LEARN, MANUAL, RELEARN, REVIEW, Phone, anki_today, fortnight

SOURCE = "Alpha comes first. Beta follows alpha. Gamma is third; delta is fourth.\n"
DECK = """id = "demo"
title = "Demo"
description = "For tests."

[source]
title = "Greek"
file = "greek.txt"
""" + "".join(
    f"""
[[cards]]
id = "{card_id}"
kind = "basic"
tags = ["greek"]
front = "{front}"
back = "{back}"
source = "{source}"
"""
    for card_id, front, back, source in (
        ("q1", "Which letter comes first?", "Alpha.", "Alpha comes first."),
        ("q2", "Which letter follows alpha?", "Beta.", "Beta follows alpha."),
        ("q3", "Which letter is third?", "Gamma.", "Gamma is third;"),
    )
) + """
[[cards]]
id = "letters"
kind = "cloze"
tags = ["greek"]
text = "{{c1::Gamma}} is third; {{c2::delta}} is fourth."
source = "Gamma is third; delta is fourth."
"""
LABELS = ["demo/q1", "demo/q2", "demo/q3", "demo/letters c1", "demo/letters c2"]


@pytest.fixture
def phone(tmp_path):
    phone = Phone(tmp_path)
    yield phone
    phone.close()


@pytest.fixture
def db(tmp_path) -> Path:
    """A desk database holding the demo deck."""
    folder = tmp_path / "decks"
    folder.mkdir()
    (folder / "greek.txt").write_text(SOURCE)
    (folder / "demo.toml").write_text(DECK)
    path = tmp_path / "home" / "study.db"
    store, _ = library.open_library(path)
    with store:
        library.add_deck(store, folder / "demo.toml")
    return path


def desk_export(db: Path, phone: Phone, *, with_progress: bool = False) -> Path:
    """The desk's export of the demo deck, made at the phone's simulated instant."""
    path = phone.folder.parent / "desk.apkg"
    store, _ = library.open_library(db)
    with store:
        export.export_from_store(
            store, path, deck_ids=("demo",), with_progress=with_progress,
            timestamp=phone.now.timestamp(), day_start_hour=phone.day_start_hour,
        )
    return path


@pytest.fixture
def studied(phone, db) -> Phone:
    """The phone with the demo deck imported on its first day, cards named."""
    phone.import_package(desk_export(db, phone))
    phone.name_cards(LABELS)
    return phone


def study_day_of(phone: Phone, revlog_id: int) -> date:
    """The study day of a log id, counted as osteo-learn counts them with the phone's day start."""
    instant = datetime.fromtimestamp(revlog_id / 1000).astimezone()
    return (instant - timedelta(hours=phone.day_start_hour)).date()


def kinds(phone: Phone, label: str) -> list[tuple[int, int]]:
    """(type, ease) of a card's log rows."""
    return [(row[7], row[2]) for row in phone.revlog(label)]


# -- days --------------------------------------------------------------------------------


def test_anki_counts_the_simulated_days_from_the_phones_creation_day(phone):
    first_crt = phone.col.crt
    for days in (0, 1, 2, 30):
        phone.go_to(phone.created + timedelta(days=days))
        assert phone.col.sched.today == days
        offset = phone.col.get_config("creationOffset")
        assert anki_today(phone.col.crt, offset, phone.day_start_hour) == days
        # Each simulated day moves the creation time one day back.
        assert first_crt - phone.col.crt == days * 86_400


def test_the_phone_refuses_days_gone_by_and_days_to_come(phone):
    phone.go_to(phone.created + timedelta(days=2))
    with pytest.raises(ValueError, match="is past"):
        phone.go_to(phone.created + timedelta(days=1))
    with pytest.raises(ValueError, match="after the real study day"):
        phone.go_to(date.today() + timedelta(days=2))


def test_a_desk_export_with_progress_arrives_due_on_the_desk_calendar_day(phone, db):
    day0 = phone.created + timedelta(days=10)
    store, _ = library.open_library(db)
    with store:
        pks = {card.label: card.pk for card in store.cards.all(("demo",))}

        def desk(label, grade, day):
            instant = datetime.combine(day, datetime.min.time()).astimezone() + timedelta(hours=phone.day_start_hour + 2)
            store.log.record(pks[label], grade, instant, day, 3000)

        # q1: 5 then 5 a day later: 1 day, then 6 days (due day0 + 1). q2: 4 the day before: due day0.
        desk("demo/q1", 5, day0 - timedelta(days=6))
        desk("demo/q1", 5, day0 - timedelta(days=5))
        desk("demo/q2", 4, day0 - timedelta(days=1))
        due = {label: card.state.due for label, card in ((c.label, c) for c in store.cards.all(("demo",))) if card.state.due}
    assert due == {"demo/q1": day0 + timedelta(days=1), "demo/q2": day0}
    phone.go_to(day0)
    phone.import_package(desk_export(db, phone, with_progress=True))
    phone.name_cards(LABELS)
    assert {label: phone.due_day(label) for label in due} == due
    # On day0 Anki offers q2 as a review, and q1 not yet; on the next day q1.
    today = phone.study(default="good")
    assert [(a.label, a.kind) for a in today if a.kind == REVIEW] == [("demo/q2", REVIEW)]
    tomorrow = phone.study_day(day0 + timedelta(days=1), default="good")
    assert ("demo/q1", REVIEW) in [(a.label, a.kind) for a in tomorrow]


# -- answering -------------------------------------------------------------------------


def test_learning_steps_are_answered_after_their_simulated_minutes(studied):
    given = studied.study({"demo/q1": ["again", "good", "good"]}, default="easy")
    rows = studied.revlog("demo/q1")
    # Anki's default steps are 1 and 10 minutes, then a day: ivl < 0 counts seconds.
    assert [(row[7], row[2], row[3]) for row in rows] == [(LEARN, 1, -60), (LEARN, 3, -600), (LEARN, 3, 1)]
    ids = [row[0] for row in rows]
    assert ids[1] - ids[0] >= 60_000 and ids[2] - ids[1] >= 600_000
    assert [a.revlog_id for a in given if a.label == "demo/q1"] == ids
    assert studied.due_day("demo/q1") == studied.today + timedelta(days=1)


def test_a_learning_card_left_overnight_is_due_when_the_phone_is_switched_on(studied):
    studied.study({"demo/q1": ["again"]})  # then the student stops
    card = studied.card("demo/q1")
    assert card.queue == 1 and card.due > time.time()  # due in a minute, on the phone's clock
    next_day = studied.today + timedelta(days=1)
    studied.go_to(next_day)
    assert studied.card("demo/q1").due <= time.time()  # overdue by a day
    (first,) = studied.study({"demo/q1": ["good"]})
    assert (first.label, first.kind, study_day_of(studied, first.revlog_id)) == ("demo/q1", LEARN, next_day)


def test_log_ids_are_the_simulated_instants_of_each_study_day(studied):
    days = [studied.created + timedelta(days=n) for n in range(10)]
    given = [answer for day in days for answer in studied.study_day(day, default="good")]
    assert len({answer.day for answer in given}) >= 3
    for answer in given:
        assert study_day_of(studied, answer.revlog_id) == answer.day
    assert [row[0] for row in studied.revlog()] == [answer.revlog_id for answer in given]
    assert [answer.revlog_id for answer in given] == sorted(answer.revlog_id for answer in given)


def test_an_undone_answer_leaves_no_row(studied):
    given = studied.study({"demo/q1": ["hard", "undo", "easy"]})
    assert [(a.label, a.rating) for a in given] == [("demo/q1", "easy")]
    assert kinds(studied, "demo/q1") == [(LEARN, 4)]


def test_a_lapse_is_relearned(studied):
    studied.study({"demo/q1": ["easy"]})
    studied.study_day(studied.due_day("demo/q1"), {"demo/q1": ["again", "good"]}, default="good")
    assert kinds(studied, "demo/q1") == [(LEARN, 4), (REVIEW, 1), (RELEARN, 3)]
    assert studied.card("demo/q1").lapses == 1


def test_set_due_date_logs_a_manual_row_with_ease_0_at_the_simulated_instant(studied):
    studied.study({"demo/q1": ["easy"]})
    studied.go_to(studied.today + timedelta(days=1))
    studied.set_due_date("demo/q1", "5")
    row = studied.revlog("demo/q1")[-1]
    assert (row[7], row[2], row[5]) == (MANUAL, 0, 2500)  # type, ease, factor: the card's
    assert study_day_of(studied, row[0]) == studied.today
    assert studied.due_day("demo/q1") == studied.today + timedelta(days=5)


def test_reset_logs_a_manual_row_with_factor_0(studied):
    studied.study({"demo/q1": ["easy"]})
    studied.forget("demo/q1")
    row = studied.revlog("demo/q1")[-1]
    assert (row[7], row[2], row[5]) == (MANUAL, 0, 0)
    assert studied.card("demo/q1").type == 0


def test_a_cram_deck_logs_filtered_rows_with_factor_0_and_keeps_the_schedule(studied):
    studied.study({"demo/q1": ["easy"]})
    studied.go_to(studied.today + timedelta(days=1))
    before = studied.card("demo/q1")
    studied.filtered_deck("Cram", '"note:Osteo Learn Basic" card:1 front:*first*', reschedule=False)
    given = studied.study({"demo/q1": ["good"]}, deck="Cram")
    assert [(a.label, a.kind) for a in given] == [("demo/q1", FILTERED)]
    row = studied.revlog("demo/q1")[-1]
    assert (row[7], row[2], row[5]) == (FILTERED, 3, 0)
    after = studied.card("demo/q1")
    assert (after.did, after.odid) == (before.did, 0)  # Good ends the preview: the card is home
    assert (after.due, after.ivl, after.factor) == (before.due, before.ivl, before.factor)


def test_a_rescheduling_filtered_deck_logs_an_early_review_as_type_3_with_its_factor(studied):
    studied.study({"demo/q1": ["easy"]})  # a review card, due in days
    studied.go_to(studied.today + timedelta(days=1))
    due_before = studied.due_day("demo/q1")
    assert due_before > studied.today
    studied.filtered_deck("Ahead", "front:*first*", reschedule=True)
    given = studied.study({"demo/q1": ["good"]}, deck="Ahead")
    assert [(a.label, a.kind) for a in given] == [("demo/q1", FILTERED)]
    row = studied.revlog("demo/q1")[-1]
    assert (row[7], row[2]) == (FILTERED, 3) and row[5] > 0
    studied.empty_filtered_deck("Ahead")
    assert studied.card("demo/q1").odid == 0
    assert studied.due_day("demo/q1") != due_before


def test_a_deleted_notes_log_stays_in_the_colpkg_and_leaves_the_deck_apkg(studied):
    studied.study({"demo/q3": ["easy"]}, default="good")  # q3 comes third
    card_id = studied.card_id("demo/q3")
    studied.delete_note("demo/q3")
    with open_package(studied.export("colpkg")) as package:
        assert package.conn.execute("SELECT count(*) FROM revlog WHERE cid = ?", (card_id,)).fetchone() == (1,)
        assert package.conn.execute("SELECT count(*) FROM cards WHERE id = ?", (card_id,)).fetchone() == (0,)
    with open_package(studied.export("apkg")) as package:
        assert package.conn.execute("SELECT count(*) FROM revlog WHERE cid = ?", (card_id,)).fetchone() == (0,)


def test_a_second_deck_is_in_the_colpkg_and_not_in_the_osteo_deck_export(studied):
    other = studied.add_note("Spanish", "hola", "hello", label="spanish/hola")
    given = studied.study({"spanish/hola": ["easy"]}, deck="Spanish")
    assert [(a.label, a.card_id) for a in given] == [("spanish/hola", other)]
    with open_package(studied.export("colpkg")) as package:
        assert package.conn.execute("SELECT count(*) FROM revlog WHERE cid = ?", (other,)).fetchone() == (1,)
    with open_package(studied.export("apkg")) as package:
        assert package.conn.execute("SELECT count(*) FROM cards WHERE id = ?", (other,)).fetchone() == (0,)


# -- a fortnight, and its exports ----------------------------------------------------------


@pytest.fixture
def a_fortnight(studied):
    return studied, fortnight(studied, LABELS)


def test_the_fortnight_leaves_every_kind_of_row_anki_writes(a_fortnight):
    phone, story = a_fortnight
    rows = phone.revlog()
    found = {(row[7], row[2] > 0, row[5] > 0) for row in rows}  # (type, an answer?, a factor?)
    assert {(LEARN, True, False), (LEARN, True, True), (REVIEW, True, True), (RELEARN, True, True)} <= found
    assert (FILTERED, True, False) in found  # cram
    assert (FILTERED, True, True) in found  # a rescheduled early review
    assert (MANUAL, False, True) in found  # Set Due Date
    given = [answer.revlog_id for day in story.answers.values() for answer in day]
    assert sorted(given) == [row[0] for row in rows if row[2] > 0]
    # Every row is stamped on its simulated day.
    assert all(phone.created <= study_day_of(phone, row[0]) <= phone.today for row in rows)
    # The deleted note's card keeps its rows; the second deck has its own.
    assert any(row[1] == story.deleted for row in rows)
    assert phone.col.db.scalar("SELECT count(*) FROM cards WHERE id = ?", story.deleted) == 0
    assert any(row[1] == phone.card_id(story.other) for row in rows)
    # Anki's Check Database finds nothing to fix: the simulated days left a
    # consistent collection (each card's last review time is its last answer).
    assert phone.col.fix_integrity() == ("Database rebuilt and optimized.", True)


@pytest.mark.parametrize(("kind", "legacy", "version"), [("apkg", True, 2), ("apkg", False, 3), ("colpkg", True, 2), ("colpkg", False, 3)])
def test_each_export_of_the_fortnight_carries_the_phones_log(a_fortnight, kind, legacy, version):
    phone, story = a_fortnight
    rows = phone.revlog()
    kept = [label for label in LABELS if label != story.deleted_label]
    osteo = {phone.card_id(label) for label in kept}
    with open_package(phone.export(kind, legacy=legacy)) as package:
        assert (package.kind, package.version) == (kind, version)
        exported = [tuple(row) for row in package.conn.execute("SELECT id, cid, ease, ivl, lastIvl, factor, time, type FROM revlog ORDER BY id")]
        cards = dict(package.conn.execute("SELECT id, due FROM cards"))
    if kind == "colpkg":
        assert exported == rows
    else:  # the Osteo Learn deck: its cards' rows only
        assert exported == [row for row in rows if row[1] in osteo]
    for label in kept:
        assert cards[phone.card_id(label)] == phone.card(label).due

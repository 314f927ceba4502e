"""Card control travels to Anki: suspended, buried, flagged and leech, checked in the real Anki.

With progress (``--with-progress``, "Import any learning progress" ticked),
suspended cards arrive in Anki's queue -1, cards buried on the export's
study day in queue -3 (buried by the user), flagged cards with Anki's red
flag, and the note of a leech with Anki's ``leech`` tag. Without progress
Anki starts every card afresh and drops all of these itself.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from test_export import D0, deck_file, db, guid, import_into, noon, open_store, study  # noqa: F401 (fixtures)

from osteo_learn.anki import export
from osteo_learn.core.control import Action

D1 = D0 + timedelta(days=1)
TODAY = D0 + timedelta(days=8)


def control(db) -> None:
    """After the study days: q1 suspended, q2 flagged, letters c1 buried today, q3 a leech."""
    study(db)
    with open_store(db) as store:
        pk = {c.ref: c.pk for c in store.cards.all(("demo",))}
        store.control.record([pk["demo/q1"]], Action.SUSPEND, noon(TODAY), TODAY)
        store.control.record([pk["demo/q2"]], Action.FLAG, noon(TODAY), TODAY, note="unclear")
        store.control.record([pk["demo/letters#1"]], Action.BURY, noon(TODAY), TODAY)
        store.log.record(pk["demo/q3"], 5, noon(D0), D0, 1000)
        assert store.log.record(pk["demo/q3"], 1, noon(D1), D1, 1000, leech_lapses=1).made_leech


def anki_card(anki, card_id: str, ordinal: int = 0) -> tuple[int, int, int]:
    nid = anki.db.scalar("SELECT id FROM notes WHERE guid = ?", guid(card_id))
    return tuple(anki.db.first("SELECT type, queue, flags FROM cards WHERE nid = ? AND ord = ?", nid, ordinal))


def tags(anki, card_id: str) -> list[str]:
    return anki.get_note(anki.db.scalar("SELECT id FROM notes WHERE guid = ?", guid(card_id))).tags


def export_demo(db, path, with_progress: bool) -> None:
    with open_store(db) as store:
        export.export_from_store(
            store, path, deck_ids=("demo",), with_progress=with_progress, timestamp=datetime.now().timestamp(), today=TODAY
        )


def test_suspended_buried_flagged_and_leech_cards_arrive_so_in_anki(tmp_path, db, deck_file, anki):
    control(db)
    export_demo(db, tmp_path / "out.apkg", with_progress=True)
    import_into(anki, tmp_path / "out.apkg", with_scheduling=True)
    assert anki_card(anki, "q1") == (2, -1, 0)  # suspended
    assert anki_card(anki, "q2") == (2, 2, 1)  # red flag, studied as usual
    assert anki_card(anki, "letters", 0) == (2, -3, 0)  # buried today
    assert anki_card(anki, "letters", 1) == (2, 2, 0)  # its sibling is not
    assert anki_card(anki, "q3") == (2, -1, 0)  # a leech is suspended
    assert "leech" in tags(anki, "q3") and "leech" not in tags(anki, "q1")
    # Anki's own search finds them as it finds its own.
    assert len(anki.find_cards("is:suspended")) == 2
    assert len(anki.find_cards("is:buried")) == 1
    assert len(anki.find_cards("flag:1")) == 1
    assert len(anki.find_cards("tag:leech")) == 1


def test_a_bury_of_an_earlier_day_is_not_exported(tmp_path, db, deck_file, anki):
    control(db)
    with open_store(db) as store:
        export.export_from_store(
            store, tmp_path / "later.apkg", deck_ids=("demo",), with_progress=True,
            timestamp=datetime.now().timestamp(), today=TODAY + timedelta(days=1),
        )
    import_into(anki, tmp_path / "later.apkg", with_scheduling=True)
    assert anki_card(anki, "letters", 0)[1] == 2


def test_without_progress_anki_starts_every_card_afresh_as_the_readme_says(tmp_path, db, deck_file, anki):
    """Not importing progress, Anki resets each card: suspension, bury and flag, and takes off the leech tag."""
    control(db)
    export_demo(db, tmp_path / "out.apkg", with_progress=False)
    import_into(anki, tmp_path / "out.apkg", with_scheduling=False)
    assert [anki_card(anki, c) for c in ("q1", "q2", "q3")] == [(0, 0, 0)] * 3
    assert "leech" not in tags(anki, "q3")

"""Statistics: the store's aggregate queries, the drawing, --json, and the indexes that keep them fast."""

from __future__ import annotations

import json
import sqlite3
from datetime import date, datetime, timedelta, timezone

import pytest
from click.testing import CliRunner
from study_deck import DECK_ID, study_db, write_deck

from osteo_learn.store import schema
from osteo_learn.terminal import stats_screen as stats
from osteo_learn.commands.cli import cli
from osteo_learn.store import Store
from osteo_learn.store.stats import CardCounts, Retention
from osteo_learn.terminal.style import Style

TODAY = date(2026, 3, 20)


@pytest.fixture
def db(tmp_path):
    return study_db(tmp_path)


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=timezone.utc)


def pks(store: Store) -> dict[str, int]:
    return {c.card.id + (f" c{c.ordinal}" if c.card.kind == "cloze" else ""): c.pk for c in store.cards.all([DECK_ID])}


def days_ago(n: int) -> date:
    return TODAY - timedelta(days=n)


def answer(store: Store, pk: int, grade: int, day: date):
    return store.log.record(pk, grade, at(day), day, 4000)


@pytest.fixture
def history(db):
    """A hand-made history, worked out below; returns the database path.

    weak-bones: graded 5 on five days in a row (days 9..5 ago). Intervals
    1, 6, ceil(6*2.7)=17, ceil(17*2.8)=48, ceil(48*2.9)=140: its reviews of
    days 7 and 6 ago were young (interval before 6 and 17), of day 5 ago
    mature (48). EF 3.0, due in 135 days.
    mri-use: new 3 days ago (5), failed 2 days ago (1), a same-day repeat (4),
    then 2 (failed again) yesterday. EF 2.6, 1 lapse, due today.
    case-mri: new yesterday, graded 3; EF 2.36, due today.
    fracture c1: graded 4 today, then the answer undone.
    """
    with Store.open(db) as store:
        pk = pks(store)
        for n in (9, 8, 7, 6, 5):
            answer(store, pk["weak-bones"], 5, days_ago(n))
        answer(store, pk["mri-use"], 5, days_ago(3))
        answer(store, pk["mri-use"], 1, days_ago(2))
        answer(store, pk["mri-use"], 4, days_ago(2))
        answer(store, pk["mri-use"], 2, days_ago(1))
        answer(store, pk["case-mri"], 3, days_ago(1))
        undone = answer(store, pk["fracture-nerve c1"], 4, TODAY)
        store.log.undo(undone.id, at(TODAY))
    return db


def test_reviews_per_day_counts_answers_and_leaves_out_undone_ones(history):
    with Store.open(history) as store:
        per_day = store.stats.reviews_per_day(days_ago(30))
        assert per_day == {
            days_ago(9): 1, days_ago(8): 1, days_ago(7): 1, days_ago(6): 1, days_ago(5): 1,
            days_ago(3): 1, days_ago(2): 2, days_ago(1): 2,
        }
        assert store.stats.reviews_per_day(days_ago(2)) == {days_ago(2): 2, days_ago(1): 2}


def test_retention_splits_scheduled_reviews_into_young_and_mature(history):
    with Store.open(history) as store:
        # Scheduled reviews (not first answers, not repeats): weak-bones on days
        # 8, 7, 6 (intervals before 1, 6, 17: young, recalled) and 5 (48: mature,
        # recalled); mri-use on days 2 (1) and 1 (2), young, both failed.
        assert store.stats.retention(days_ago(30)) == Retention(
            young_reviews=5, young_recalled=3, mature_reviews=1, mature_recalled=1
        )
        assert store.stats.retention(days_ago(4)) == Retention(
            young_reviews=2, young_recalled=0, mature_reviews=0, mature_recalled=0
        )


def test_streak_counts_days_in_a_row_up_to_today_or_yesterday(history):
    with Store.open(history) as store:
        # Today's only answer was undone, so the streak runs to yesterday:
        # days 1, 2, 3 ago; day 4 ago has none.
        assert store.stats.streak(TODAY) == 3
        assert store.stats.streak(days_ago(5)) == 5
        assert store.stats.streak(days_ago(4)) == 5  # day 4 ago has none: counted from day 5 ago
        assert store.stats.streak(TODAY + timedelta(days=2)) == 0
        pk = pks(store)
        answer(store, pk["fracture-nerve c1"], 5, TODAY)
        assert store.stats.streak(TODAY) == 4


def test_due_forecast_card_counts_and_hardest_cards(history):
    with Store.open(history) as store:
        assert store.stats.due_forecast(TODAY + timedelta(days=1), TODAY + timedelta(days=200)) == {
            days_ago(5) + timedelta(days=140): 1
        }
        assert store.stats.card_counts(TODAY, [DECK_ID]) == CardCounts(new=2, young=2, mature=1, retired=0, due_today=2)
        hardest = store.stats.hardest_cards(10)
        # case-mri EF 2.36; mri-use EF 2.6 but a lapse; weak-bones EF 3.0 without one is left out.
        assert [c.card.id for c in hardest] == ["case-mri", "mri-use"]
        assert store.stats.hardest_cards(1) == hardest[:1]


def test_deck_filter_narrows_every_statistic(history):
    with Store.open(history) as store:
        assert store.stats.reviews_per_day(days_ago(30), ["osteoporosis-leg-numbness"]) == {}
        assert store.stats.retention(days_ago(30), ["osteoporosis-leg-numbness"]) == Retention(0, 0, 0, 0)
        assert store.stats.streak(TODAY, ["osteoporosis-leg-numbness"]) == 0
        assert store.stats.hardest_cards(10, ["osteoporosis-leg-numbness"]) == []
        counts = store.stats.card_counts(TODAY, ["osteoporosis-leg-numbness"])
        assert counts.young == counts.mature == counts.due_today == 0 and counts.new > 0
        assert store.stats.streak(TODAY, [DECK_ID]) == 3


def test_retired_cards_are_counted_apart(tmp_path):
    db = tmp_path / "s.db"
    deck = write_deck(tmp_path / "decks")
    CliRunner().invoke(cli, ["add-deck", "--db", str(db), str(deck)])
    text = deck.read_text().split("[[cards]]")
    deck.write_text("[[cards]]".join(text[:-1]))  # drop the last card, mri-use; the next run retires it
    result = CliRunner().invoke(cli, ["stats", "--db", str(db), "--deck", DECK_ID, "--json"], env={"OSTEO_LEARN_TODAY": TODAY.isoformat()})
    assert json.loads(result.output)["cards"] == {"new": 4, "young": 0, "mature": 0, "retired": 1, "due_today": 0, "suspended": 0}


# -- the command ------------------------------------------------------------------


def stats_command(db, *args):
    return CliRunner().invoke(cli, ["stats", "--db", str(db), *args], env={"OSTEO_LEARN_TODAY": TODAY.isoformat()})


def test_stats_json_gives_every_number(history):
    result = stats_command(history, "--deck", DECK_ID, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["today"] == "2026-03-20"
    assert data["decks"] == [DECK_ID]
    assert data["reviews_per_day"]["total"] == 10
    assert data["reviews_per_day"]["days"]["2026-03-18"] == 2
    assert data["reviews_per_day"]["from"] == "2025-09-22"  # Monday, 25 weeks before this week's
    assert len(data["due_forecast"]) == 30 and data["due_forecast"][0] == {"day": "2026-03-21", "due": 0}
    assert data["retention"]["young"] == {"reviews": 5, "recalled": 3, "rate": 0.6}
    assert data["retention"]["mature"] == {"reviews": 1, "recalled": 1, "rate": 1.0}
    assert data["cards"] == {"new": 2, "young": 2, "mature": 1, "retired": 0, "due_today": 2, "suspended": 0}
    assert data["streak"] == {"days": 3, "studied_today": False}
    assert [h["card"] for h in data["hardest"]] == ["case-mri", "mri-use"]
    assert data["hardest"][0] == {
        "deck": DECK_ID, "card": "case-mri", "ordinal": 1, "ease_factor": 2.36, "lapses": 0, "interval": 1, "due": "2026-03-20",
    }


def test_stats_draws_every_section(history):
    result = stats_command(history, "--deck", DECK_ID)
    out = result.output
    assert result.exit_code == 0, out
    assert "Reviews, last 26 weeks  10 answers on 8 days, at most 2 in a day" in out
    assert "Mon " in out and "less · ░ ▒ ▓ █ more" in out
    assert "Due in the next 30 days  0 reviews, 2 due today" in out
    assert "young (interval < 21 d)   60%  ████████████          3 of 5" in out
    assert "mature (interval 21+ d)  100%  ████████████████████  1 of 1" in out
    assert "Cards  5 in all, 2 due today" in out
    assert "Streak  3 days in a row (study today to keep it)" in out
    # One deck: card ids without it; cut to the 80 columns of a terminal that is not one.
    assert "  2.36      0      1 d  case-mri  Which test can help identify nerve…\n" in out
    assert "  2.60      1      1 d  mri-use  What does MRI show well?" in out
    assert "\x1b[" not in out


def test_heatmap_shades_days_by_their_share_of_the_busiest_day():
    today = date(2026, 3, 22)  # a Sunday: the last column is full
    found = stats.Stats(
        today=today,
        deck_ids=(),
        heatmap_start=today - timedelta(days=6, weeks=25),
        reviews_per_day={today: 8, today - timedelta(days=1): 1, today - timedelta(days=3): 5},
        retention_since=today,
        retention=Retention(0, 0, 0, 0),
        forecast={},
        cards=CardCounts(0, 0, 0, 0, 0),
        streak=2,
        hardest=[],
    )
    text = stats.render(found, Style(False), 80)
    week = text.splitlines()[2:9]  # Monday to Sunday, the last column this week
    assert week[0].startswith("Mon ") and week[6].startswith("Sun ")
    assert week[6].endswith("· █")  # 8 of 8: the darkest shade; the Sunday before: none
    assert week[5].endswith("░")  # 1 of 8: the lightest
    assert week[3].endswith("▓")  # 5 of 8: ceil(4 * 5 / 8) = 3
    assert week[4].endswith("·")  # Friday: none
    assert "Due in the next 30 days  0 reviews, 0 due today\n  nothing falls due" in text
    assert "none yet" in text


def test_stats_on_a_new_database_says_there_is_nothing_yet(tmp_path):
    result = stats_command(tmp_path / "empty.db")
    assert result.exit_code == 0, result.output
    assert "0 answers on 0 days" in result.output
    assert "no reviews" in result.output
    assert "Streak  no study yesterday or today" in result.output


def test_stats_unknown_deck_is_an_error(db):
    result = stats_command(db, "--deck", "nope")
    assert result.exit_code == 1
    assert "Error: no deck 'nope'" in result.output


# -- speed on long histories ------------------------------------------------------------


def test_stats_queries_read_only_covering_indexes(history):
    with Store.open(history) as store:
        plans = {
            "per day": "SELECT day, count(*) FROM reviews WHERE day >= '2026-01-01' AND undone_at IS NULL GROUP BY day",
            "retention": "SELECT interval_before >= 21, grade >= 3, count(*) FROM reviews"
            " WHERE day >= '2026-01-01' AND kind = 'review' AND undone_at IS NULL GROUP BY 1, 2",
            "streak probe": "SELECT 1 FROM reviews WHERE day = '2026-01-01' AND undone_at IS NULL",
            "young": "SELECT count(*) FROM cards AS c WHERE c.due IS NOT NULL AND c.retired = 0 AND c.interval < 21",
            "hardest": "SELECT id FROM cards AS c WHERE c.due IS NOT NULL AND c.retired = 0 ORDER BY c.ease, c.lapses DESC LIMIT 10",
            "forecast": "SELECT c.due, count(*) FROM cards AS c WHERE c.due BETWEEN '2026-01-01' AND '2026-02-01'"
            " AND c.due IS NOT NULL AND c.retired = 0 AND c.suspended = 0 GROUP BY c.due",
            "new": "SELECT count(*) FROM cards AS c WHERE c.due IS NULL AND c.retired = 0 AND c.suspended = 0",
            "due today": "SELECT count(*) FROM cards AS c WHERE c.due IS NOT NULL AND c.retired = 0 AND c.suspended = 0 AND c.due <= '2026-01-01'",
            "suspended": "SELECT count(*) FROM cards AS c WHERE c.suspended = 1 AND c.retired = 0 AND c.due IS NULL",
            "leeches": "SELECT id FROM cards AS c WHERE c.leech = 1 AND c.retired = 0 ORDER BY c.lapses DESC, c.deck_id, c.position, c.ord",
        }
        for name, sql in plans.items():
            plan = " ".join(row[3] for row in store.conn.execute("EXPLAIN QUERY PLAN " + sql))
            assert "USING INDEX" in plan or "USING COVERING INDEX" in plan, (name, plan)
            assert "TEMP B-TREE FOR ORDER BY" not in plan, (name, plan)
            if name in ("per day", "retention", "streak probe"):
                assert "COVERING INDEX reviews_stats" in plan, (name, plan)


def test_a_database_of_schema_1_gains_the_stats_indexes_when_opened(tmp_path):
    from sqlite_utils import Database
    from sqlite_utils.migrations import Migrations

    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    first = Migrations("osteo-learn")
    first(name="0001_initial")(schema._initial)
    first.apply(Database(conn))
    conn.execute(f"PRAGMA application_id = {schema.APPLICATION_ID}")
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    with Store.open(path) as store:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == schema.VERSION >= 2
        names = {row[0] for row in store.conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert {"reviews_stats", "cards_interval", "cards_ease"} <= names

"""Ways of studying and the truths a session tells, in line mode through the real CLI.

Ahead, failed, by kind; per-deck new-card limits and decks interleaved;
vignette options shuffled per study day with the option chosen logged;
leeches; a session running past the day-start hour; a move west; and the
small truths of the summary.
"""

from __future__ import annotations

import io
import re
from datetime import date, datetime, timedelta

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from study_deck import DECK, DECK_ID, study_db, write_deck
from test_session import log, review, set_new_per_day, shown, state

from osteo_learn.commands.cli import cli
from osteo_learn.core.settings import Settings
from osteo_learn.core.shuffle import option_order
from osteo_learn.store import Store
from osteo_learn.terminal.keys import ENTER
from osteo_learn.terminal.session import Session
from osteo_learn.terminal.summary import Options

DAY = "2026-03-02"


@pytest.fixture
def db(tmp_path):
    return study_db(tmp_path)


def config(db, *args):
    assert CliRunner().invoke(cli, ["config", "--db", str(db), *args]).exit_code == 0


def mri_letter(day: str) -> str:
    """The letter MRI (the right option, first in the file) is shown with on ``day``."""
    return "abcd"[option_order("demo", "case-mri", date.fromisoformat(day), 4).index(0)]


def learn_all(db, day=DAY):
    """The four cards of the day (fracture-nerve c2 waits: its sibling c1 is studied), each graded 5."""
    result = review(db, "", "5", "", "5", mri_letter(day), "5", "", "5", day=day)
    assert result.exit_code == 0 and "Session over." in result.output, result.output


# -- ahead, failed, kind ----------------------------------------------------------


def test_ahead_studies_the_reviews_due_in_the_next_days_and_says_how_sm2_counts_them(db):
    learn_all(db)  # due 03-03
    review(db, "", "5", "", "5", mri_letter("2026-03-03"), "5", "", "5", day="2026-03-03")  # I(2) = 6: due 03-09
    result = review(db, "", "5", "q", day="2026-03-04", args=("--deck", DECK_ID, "--ahead", "5"))
    out = result.output
    assert "Studying ahead: reviews due by 2026-03-09. SM-2 takes an early review as if on time" in out
    assert "Card 1 of 4  0 new · 4 review" in out
    assert "review ahead, due in 5 days (2026-03-09)" in out
    # EF 2.7 after two 5s: the next interval is 6 x 2.7 = 16.2, rounded up: 17 days from today.
    assert state(db, "weak-bones").due == date(2026, 3, 21)
    assert "4 cards of this study left" not in out and "3 cards of this study left; osteo-learn review --deck demo --ahead 5 goes on." in out
    nothing = review(db, day="2026-03-04", args=("--deck", DECK_ID, "--ahead", "1"))
    assert "Nothing due by 2026-03-05 in demo." in nothing.output


def test_failed_studies_again_the_cards_graded_below_3_in_the_last_days(db):
    config(db, "new-per-day", "4")
    review(db, "", "1", "", "5", "b", "0", "", "5", "q")  # weak-bones and the case failed
    result = review(db, "q", args=("--deck", DECK_ID, "--failed"))
    assert result.exit_code == 0
    assert "Card 1 of 2  0 new · 2 review" in result.output
    assert shown(result.output) == ["weak-bones"]
    nothing = review(db, day="2026-03-03", args=("--deck", DECK_ID, "--failed"))
    assert "No card in demo was failed today." in nothing.output
    two_days = review(db, "", "4", "q", day="2026-03-03", args=("--deck", DECK_ID, "--failed", "2"))
    assert "Card 1 of 2" in two_days.output and shown(two_days.output) == ["weak-bones", "case-mri"]


def test_kind_narrows_the_session_to_one_kind_of_card(db):
    result = review(db, "q", args=("--deck", DECK_ID, "--kind", "vignette"))
    assert "Card 1 of 1  1 new" in result.output
    assert "Which test can help identify nerve compression?" in result.output


def test_ahead_and_failed_together_are_a_usage_error(db):
    result = review(db, args=("--ahead", "3", "--failed"))
    assert result.exit_code == 2
    assert "--ahead and --failed are two ways of studying: give one" in result.output


# -- new cards of several decks -------------------------------------------------------


OTHER = DECK.replace('id = "demo"', 'id = "alpha"').replace('title = "Demo deck"', 'title = "Alpha deck"')
OTHER = OTHER.replace("What happens to bones with age?", "Alpha: what happens to bones?").replace(
    "What does MRI show well?", "Alpha: what does MRI show?"
)


def test_new_cards_of_several_decks_come_interleaved_in_deck_order_within_each_decks_limit(db, tmp_path):
    alpha = write_deck(tmp_path / "alpha", text=OTHER)
    assert CliRunner().invoke(cli, ["add-deck", "--db", str(db), str(alpha)]).exit_code == 0
    config(db, "new-per-day", "5")
    config(db, "new-per-day", "2", "--deck", "demo")
    result = CliRunner().invoke(
        cli, ["review", "--db", str(db), "--deck", "demo", "--deck", "alpha"], input="q\n", env={"OSTEO_LEARN_TODAY": DAY}
    )
    assert "Card 1 of 5  5 new" in result.output
    # demo was added first, so it comes first although "alpha" sorts before it.
    with Store.open(db) as store:
        from osteo_learn.terminal import plans

        plan = plans.day_plan(store, store.settings.values(), Options(("demo", "alpha")), date(2026, 3, 2))
        assert [e.card.ref for e in plan.entries] == [
            "demo/weak-bones",
            "alpha/weak-bones",
            "demo/fracture-nerve#1",
            "alpha/fracture-nerve#1",
            "alpha/case-mri",
        ]


# -- vignettes ------------------------------------------------------------------------


def test_the_log_keeps_the_option_chosen_and_a_repeat_shows_the_same_order(db):
    config(db, "new-per-day", "3")
    blood = "abcd"[option_order("demo", "case-mri", date(2026, 3, 2), 4).index(1)]
    result = review(db, "", "5", "", "5", blood, "1", mri_letter(DAY), "4")
    with Store.open(db) as store:
        chosen = [r.chosen for r in store.log.entries()]
    assert chosen == [None, None, "Blood count", "MRI"]
    out = result.output

    def options_after(at: int) -> list[str]:
        return [line for line in out[at:].splitlines() if re.match(r"  [A-D]  ", line)][:4]

    first, repeat = out.index("A 70-year-old woman"), out.rindex("A 70-year-old woman")
    assert first != repeat and options_after(first) == options_after(repeat)


@given(st.text(min_size=1, max_size=12), st.text(min_size=1, max_size=12), st.dates(), st.sampled_from([4, 5]))
def test_option_order_is_a_permutation_that_depends_only_on_card_and_day(deck_id, card_id, day, count):
    order = option_order(deck_id, card_id, day, count)
    assert sorted(order) == list(range(count))
    assert order == option_order(deck_id, card_id, day, count)


def test_option_order_changes_from_day_to_day():
    orders = {option_order("demo", "case-mri", date(2026, 3, 1) + timedelta(days=n), 4) for n in range(30)}
    assert len(orders) > 10


# -- leeches --------------------------------------------------------------------------


def test_a_leech_is_suspended_in_the_session_which_says_what_to_do(db):
    config(db, "leech-lapses", "1")
    config(db, "new-per-day", "1")
    review(db, "", "5")
    result = review(db, "", "1", "q", day="2026-03-03", args=("--deck", DECK_ID, "--new", "0"))
    out = result.output
    assert (
        "Saved: grade 1, next review tomorrow (2026-03-04). Leech: 1 lapse, so it is suspended. "
        "Rewrite it (o), then osteo-learn unsuspend demo/weak-bones." in out
    )
    assert "Leech: demo/weak-bones is suspended; rewrite it, or osteo-learn unsuspend demo/weak-bones." in out
    assert "Session over." in out  # no same-day repeat of a suspended card
    stats = CliRunner().invoke(cli, ["stats", "--db", str(db), "--deck", DECK_ID], env={"OSTEO_LEARN_TODAY": "2026-03-03"})
    assert "Leeches  1 card suspended for lapsing too often" in stats.output
    assert "osteo-learn unsuspend demo/CARD" in stats.output and "1  weak-bones  What happens to bones with age?" in stats.output
    listed = CliRunner().invoke(cli, ["cards", "--db", str(db), "--leeches"], env={"OSTEO_LEARN_TODAY": "2026-03-03"})
    assert "leech: suspended for lapsing too often; rewrite it, then osteo-learn unsuspend demo/weak-bones" in listed.output


def test_undoing_the_answer_that_made_a_leech_takes_the_leech_back(db):
    config(db, "leech-lapses", "1")
    config(db, "new-per-day", "1")
    review(db, "", "5")
    result = review(db, "", "1", "u", "", "4", "q", day="2026-03-03", args=("--deck", DECK_ID, "--new", "1"))
    assert "Undone: grade 1 of demo/weak-bones" in result.output
    with Store.open(db) as store:
        card = next(c for c in store.cards.all() if c.ref == "demo/weak-bones")
        assert not card.leech and not card.suspended
        assert [e.undone_at is not None for e in store.control.events(card.pk)] == [True]


# -- the clock ------------------------------------------------------------------------


class ScriptedKeys:
    """Keys from a script; ``(seconds, key)`` moves the session's clock on before the key."""

    single_key = False

    def __init__(self, clock: list[float], script):
        self.clock = clock
        self.script = list(script)

    def read(self) -> str:
        if not self.script:
            return "\x04"
        item = self.script.pop(0)
        if isinstance(item, tuple):
            self.clock[0] += item[0]
            item = item[1]
        return item

    def read_line(self) -> str:
        return self.read()

    def pause(self) -> None: ...

    def resume(self) -> None: ...


def test_an_answer_after_the_day_start_hour_counts_for_the_new_study_day_and_the_session_says_so(db):
    set_new_per_day(db, 1)
    clock = [0.0]
    now = datetime(2026, 3, 3, 3, 59, 0).astimezone()
    out = io.StringIO()
    keys = ScriptedKeys(clock, [ENTER, (10, "3"), ENTER, (120, "4"), "q"])
    with Store.open(db) as store:
        Session(
            store, Settings(new_per_day=1), now, date(2026, 3, 2), Options((DECK_ID,)), keys, out, elapsed=lambda: clock[0]
        ).run()
    text = out.getvalue()
    assert "Saved: grade 3, next review tomorrow (2026-03-03); again later today." in text
    assert (
        "Saved: grade 4, next review in 6 days (2026-03-09). A new study day began (2026-03-03, at 4:00): "
        "that answer counts for it; today's queue is 0 due, 1 new, 0 repeat." in text
    )
    assert "tomorrow (2026-03-03)" not in text.split("A new study day began")[1]
    assert [(day, card, grade, kind) for day, card, grade, kind, _ in log(db)] == [
        ("2026-03-02", "weak-bones", 3, "new"),
        ("2026-03-03", "weak-bones", 4, "review"),
    ]
    assert "fracture" in text.split("A new study day began")[1] or "A spinal [...]" in text


def test_moving_west_does_not_give_a_second_days_new_cards_in_the_same_hours(db):
    set_new_per_day(db, 1)
    tokyo = {"OSTEO_LEARN_NOW": "2026-03-03T10:00:00+09:00"}  # 01:00 UTC
    first = CliRunner().invoke(cli, ["review", "--db", str(db), "--deck", DECK_ID], input="\n5\n", env=tokyo)
    assert "Studied 1 card" in first.output
    hawaii = {"OSTEO_LEARN_NOW": "2026-03-02T16:00:00-10:00"}  # 02:00 UTC: an hour later, a day earlier locally
    later = CliRunner().invoke(cli, ["review", "--db", str(db), "--deck", DECK_ID], input="n\n", env=hawaii)
    out = later.output
    assert "Study day 2026-03-03: your clock reads 2026-03-02 16:00, earlier than the study day of your last answer" in out
    assert "Card 1 of" not in out
    assert "Today's new cards are done (1 of 1)" in out


# -- small truths ---------------------------------------------------------------------


def test_help_says_failed_cards_come_back_today_and_tomorrow(db):
    result = review(db, "?", "q")
    assert "0-2 failed: the card comes back later today and again tomorrow;" in " ".join(result.output.split("\n"))


def test_due_tomorrow_does_not_count_todays_unfinished_cards(db):
    learn_all(db)  # all four due 03-03
    result = review(db, "", "5", "q", day="2026-03-03", args=("--deck", DECK_ID, "--new", "0"))
    assert "3 cards left for today; run osteo-learn review again to go on." in result.output
    assert "Due tomorrow: 0 cards; within a week: 1." in result.output


def test_next_review_is_not_tomorrow_while_due_cards_are_held_back(db):
    learn_all(db)
    config(db, "reviews-per-day", "1")
    review(db, "", "5", day="2026-03-03", args=("--deck", DECK_ID, "--new", "0"))
    result = review(db, day="2026-03-03", args=("--deck", DECK_ID, "--new", "0"))
    assert "3 more due reviews held back by reviews-per-day (1); for all: osteo-learn review --limit 3" in result.output
    assert "Next review" not in result.output


def test_quitting_extra_new_cards_does_not_say_to_run_review_again(db):
    set_new_per_day(db, 1)
    review(db, "", "5")
    result = review(db, "y", "q")
    assert "Learn 1 more now? [y/N]" in result.output
    assert "1 of the extra new cards not studied; they stay new." in result.output
    assert "run osteo-learn review again" not in result.output

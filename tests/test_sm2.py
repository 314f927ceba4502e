"""The SM-2 scheduler: worked examples by hand, the published rules re-done
independently, and hypothesis properties for the invariants."""

from __future__ import annotations

import ast
import copy
import dataclasses
import math
import sys
from datetime import date, datetime, timedelta
from decimal import ROUND_CEILING, Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from osteo_learn.core import sm2
from osteo_learn.core.sm2 import (
    INITIAL_EASE,
    MAX_INTERVAL,
    MIN_EASE,
    CardState,
    Grade,
    NewCard,
    ReviewedCard,
    preview,
    replay,
    review,
)

DAY = date(2025, 3, 1)


def grade_every_due_day(grades, start=DAY):
    """Review a new card on each due day with ``grades``; every state after."""
    states = []
    state: CardState = CardState.new()
    today = start
    for grade in grades:
        state = review(state, grade, today)
        states.append(state)
        today = state.due
    return states


# --- Grades -------------------------------------------------------------------


def test_grades_run_0_to_5_with_supermemo_meanings():
    assert [(int(g), g.meaning) for g in Grade] == [
        (0, "complete blackout"),
        (1, "incorrect; the answer remembered once seen"),
        (2, "incorrect; the answer seemed easy once seen"),
        (3, "correct with serious difficulty"),
        (4, "correct after hesitation"),
        (5, "perfect response"),
    ]


def test_grade_3_or_more_is_a_successful_recall():
    assert [g.passed for g in Grade] == [False, False, False, True, True, True]


@pytest.mark.parametrize("text, grade", [("0", Grade.BLACKOUT), (" 5\n", Grade.PERFECT)])
def test_grade_parse_reads_a_digit(text, grade):
    assert Grade.parse(text) is grade


@pytest.mark.parametrize("text", ["", "6", "-1", "05", "a", "perfect", "٣"])
def test_grade_parse_rejects_anything_but_a_digit_0_to_5(text):
    with pytest.raises(ValueError, match="a grade is a digit from 0 to 5"):
        Grade.parse(text)


def test_review_accepts_a_plain_int_grade():
    assert review(CardState.new(), 4, DAY) == review(CardState.new(), Grade(4), DAY)


@pytest.mark.parametrize("bad", [6, -1, True, 4.0, "4", None])
def test_review_rejects_a_grade_outside_0_to_5(bad):
    with pytest.raises(ValueError, match="a grade is an int from 0 to 5"):
        review(CardState.new(), bad, DAY)


# --- New cards ----------------------------------------------------------------


def test_new_card_has_ease_2_5_and_no_repetitions():
    card = CardState.new()
    assert isinstance(card, NewCard)
    assert (card.repetitions, card.ease, card.interval, card.due, card.lapses) == (
        0,
        250,
        0,
        None,
        0,
    )
    assert card.ease_factor == 2.5 and card.ease == INITIAL_EASE
    assert card.last_review is None


def test_new_card_fields_cannot_be_set():
    with pytest.raises(TypeError):
        NewCard(repetitions=3)  # type: ignore[call-arg]
    with pytest.raises(dataclasses.FrozenInstanceError):
        CardState.new().ease = 300  # type: ignore[misc]


# --- Worked examples, checked by hand -------------------------------------------


def test_first_success_is_1_day_second_6_third_interval_times_ease_before_grade():
    states = grade_every_due_day([4, 4, 5])
    # 1st success: I(1) = 1. Grade 4 changes EF by 0.1 - 1*(0.08 + 1*0.02) = 0.
    # 2nd success: I(2) = 6, EF still 2.5.
    # 3rd success: I(3) = ceil(6 * 2.5) = 15 with the EF before this grade;
    # the EF after it (2.5 + 0.1 = 2.6) would give ceil(15.6) = 16.
    assert [s.interval for s in states] == [1, 6, 15]
    assert [s.ease for s in states] == [250, 250, 260]
    assert [s.repetitions for s in states] == [1, 2, 3]
    # Due dates are the study day plus the interval: Mar 1 + 1, Mar 2 + 6, Mar 8 + 15.
    assert [s.due for s in states] == [date(2025, 3, 2), date(2025, 3, 8), date(2025, 3, 23)]
    assert [s.last_review for s in states] == [
        date(2025, 3, 1),
        date(2025, 3, 2),
        date(2025, 3, 8),
    ]


def test_grade_4_keeps_ease_and_intervals_round_up():
    states = grade_every_due_day([4] * 6)
    # EF stays 2.5: 1, 6, ceil(6*2.5)=15, ceil(15*2.5)=ceil(37.5)=38,
    # ceil(38*2.5)=95, ceil(95*2.5)=ceil(237.5)=238.
    assert [s.interval for s in states] == [1, 6, 15, 38, 95, 238]
    assert {s.ease for s in states} == {250}


def test_grade_3_lowers_ease_by_0_14_down_to_1_3():
    states = grade_every_due_day([3] * 11)
    # Grade 3: change = 0.1 - 2*(0.08 + 2*0.02) = 0.1 - 0.24 = -0.14.
    # EF: 2.5 -> 2.36 -> 2.22 -> 2.08 -> 1.94 -> 1.80 -> 1.66 -> 1.52 -> 1.38
    #     -> 1.24, clamped to 1.3 -> 1.3 ...
    assert [s.ease for s in states] == [236, 222, 208, 194, 180, 166, 152, 138, 130, 130, 130]
    # Intervals, each from the EF before the grade:
    # 1; 6; ceil(6*2.22)=ceil(13.32)=14; ceil(14*2.08)=ceil(29.12)=30;
    # ceil(30*1.94)=ceil(58.2)=59; ceil(59*1.80)=ceil(106.2)=107;
    # ceil(107*1.66)=ceil(177.62)=178; ceil(178*1.52)=ceil(270.56)=271;
    # ceil(271*1.38)=ceil(373.98)=374; ceil(374*1.3)=ceil(486.2)=487;
    # ceil(487*1.3)=ceil(633.1)=634.
    assert [s.interval for s in states] == [1, 6, 14, 30, 59, 107, 178, 271, 374, 487, 634]
    # Rounding to nearest would have given 13, 29, 58, ... instead.


@pytest.mark.parametrize(
    "grade, ease_change",
    [
        # 0.1 - d*(0.08 + d*0.02) with d = 5 - q, in hundredths: 10 - d*(8 + 2d).
        (5, +10),  # d=0: 10 - 0 = +10
        (4, 0),  # d=1: 10 - 1*10 = 0
        (3, -14),  # d=2: 10 - 2*12 = -14
    ],
)
def test_ease_changes_by_the_sm2_formula_on_success(grade, ease_change):
    after = review(CardState.new(), grade, DAY)
    assert after.ease == 250 + ease_change


def test_five_perfect_grades_give_ease_exactly_3_and_140_days_become_420():
    states = grade_every_due_day([5] * 6)
    # EF: 2.5 + 5*0.1 = 3.0 after five 5s (2.6, 2.7, 2.8, 2.9, 3.0).
    # Intervals: 1; 6; ceil(6*2.7)=ceil(16.2)=17; ceil(17*2.8)=ceil(47.6)=48;
    # ceil(48*2.9)=ceil(139.2)=140; then 140*3.0 = 420 exactly.
    assert [s.interval for s in states] == [1, 6, 17, 48, 140, 420]
    assert states[4].ease_factor == 3
    assert states[4].ease == 300
    # The trap this avoids: a float EF drifts to 3.0000000000000004 and
    # rounding 420.00000000000006 up gives 421.
    float_ease = 2.5
    for _ in range(5):
        float_ease += 0.1
    assert math.ceil(140 * float_ease) == 421


def test_ease_has_no_upper_bound_and_interval_stops_at_max():
    states = grade_every_due_day([5] * 12)
    # Continuing the five 5s above: ceil(420*3.1)=1302; ceil(1302*3.2)=ceil(4166.4)=4167;
    # ceil(4167*3.3)=ceil(13751.1)=13752; ceil(13752*3.4)=ceil(46756.8)=46757 > 36500,
    # so 36500; then ceil(36500*3.5) is clamped to 36500 again.
    assert [s.interval for s in states] == [
        1, 6, 17, 48, 140, 420, 1302, 4167, 13752, 36500, 36500, 36500,
    ]  # fmt: skip
    assert states[-1].ease_factor == Fraction(37, 10)  # 2.5 + 12*0.1, above 2.5
    assert states[-1].due == states[-1].last_review + timedelta(days=MAX_INTERVAL)


def test_grade_below_3_resets_repetitions_keeps_ease_and_is_due_tomorrow():
    before = grade_every_due_day([5, 3, 4])[-1]
    # EF 2.5 + 0.1 - 0.14 + 0 = 2.46; intervals 1, 6, ceil(6*2.36)=ceil(14.16)=15.
    assert (before.repetitions, before.ease, before.interval) == (3, 246, 15)
    for grade in (0, 1, 2):
        after = review(before, grade, date(2025, 6, 1))
        assert after.repetitions == 0
        assert after.ease == 246  # unchanged: the formula would lower it
        assert after.interval == 1
        assert after.due == date(2025, 6, 2)


def test_after_a_failure_the_next_successes_are_1_then_6_days_again():
    states = grade_every_due_day([4, 4, 4, 1, 4, 4, 4])
    # 1, 6, 15; failure -> 1 day; then 1 (first success again), 6,
    # and ceil(6*2.5) = 15 with the EF the failure left unchanged.
    assert [s.interval for s in states] == [1, 6, 15, 1, 1, 6, 15]
    assert [s.repetitions for s in states] == [1, 2, 3, 0, 1, 2, 3]


def test_late_review_uses_scheduled_interval_not_days_elapsed():
    card = grade_every_due_day([4, 4])[-1]
    assert card.interval == 6
    late = card.due + timedelta(days=30)  # 36 days after the last review
    after = review(card, 4, late)
    # ceil(6 * 2.5) = 15, not ceil(36 * 2.5) = 90.
    assert after.interval == 15
    assert after.due == late + timedelta(days=15)


def test_early_review_uses_scheduled_interval_not_days_elapsed():
    card = grade_every_due_day([4, 4, 4])[-1]
    assert card.interval == 15
    early = card.last_review + timedelta(days=2)
    after = review(card, 4, early)
    # ceil(15 * 2.5) = ceil(37.5) = 38, not ceil(2 * 2.5) = 5.
    assert after.interval == 38
    assert after.due == early + timedelta(days=38)


def test_lapses_count_failures_of_cards_recalled_before():
    states = grade_every_due_day([0, 2, 4, 1, 0, 5, 5, 2])
    # 0, 2: never recalled yet, not lapses. 4: recalled. 1: lapse 1.
    # 0: repetitions already 0, not a lapse. 5, 5: recalled. 2: lapse 2.
    assert [s.lapses for s in states] == [0, 0, 0, 1, 1, 1, 1, 2]


def test_lapses_do_not_change_the_schedule():
    with_lapse = grade_every_due_day([4, 1, 4, 4, 4])[-1]
    without = grade_every_due_day([1, 1, 4, 4, 4])[-1]
    assert (with_lapse.lapses, without.lapses) == (1, 0)
    assert dataclasses.replace(with_lapse, lapses=0).interval == without.interval == 15


def test_preview_gives_next_state_for_every_grade_in_order():
    card = grade_every_due_day([4, 4])[-1]  # 6 days, EF 2.5
    shown = preview(card, card.due)
    assert list(shown) == list(Grade)
    # Fail -> 1 day; 3 -> ceil(6*2.5) = 15 (EF 2.36 after); 4 and 5 likewise 15.
    assert [s.interval for s in shown.values()] == [1, 1, 1, 15, 15, 15]
    assert [s.ease for s in shown.values()] == [250, 250, 250, 236, 250, 260]


def test_replay_of_nothing_is_a_new_card():
    assert replay([]) == CardState.new()


def test_replay_follows_the_history_in_order():
    history = [(date(2025, 3, 1), Grade.PERFECT), (date(2025, 3, 2), 4), (date(2025, 3, 9), 3)]
    state = replay(history)
    # 1 day, 6 days, ceil(6 * 2.6) = ceil(15.6) = 16 days from Mar 9.
    assert (state.repetitions, state.interval, state.due) == (3, 16, date(2025, 3, 25))
    assert state.ease == 250 + 10 + 0 - 14


def test_review_never_returns_a_new_card():
    assert all(isinstance(s, ReviewedCard) for s in preview(CardState.new(), DAY).values())


def test_today_must_be_a_date_not_a_datetime():
    with pytest.raises(TypeError, match="today must be a date"):
        review(CardState.new(), 5, datetime(2025, 3, 1, 12, 0))


# --- Rebuilding a state from stored columns -------------------------------------

STORED = ReviewedCard(
    repetitions=3,
    ease=250,
    interval=15,
    due=date(2025, 3, 16),
    lapses=0,
    last_review=date(2025, 3, 1),
)


def test_stored_columns_rebuild_the_state():
    row = dataclasses.asdict(STORED)
    assert ReviewedCard(**row) == STORED
    assert STORED.ease_factor == Fraction(5, 2)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"repetitions": -1}, "repetitions must be 0 or more"),
        ({"lapses": -1}, "lapses must be 0 or more"),
        ({"ease": 128}, "ease must be at least 130"),
        ({"interval": 0, "due": date(2025, 3, 1)}, "interval must be 1 to 36500 days"),
        ({"interval": 36501, "due": date(2125, 3, 2)}, "interval must be 1 to 36500 days"),
        ({"repetitions": 0}, "interval must be 1 day after 0 repetitions"),
        ({"repetitions": 1}, "interval must be 1 day after 1 repetitions"),
        ({"repetitions": 2}, "interval must be 6 days after 2 repetitions"),
        ({"interval": 6, "due": date(2025, 3, 7)}, "more than 6 days after 3 repetitions"),
        ({"due": date(2025, 3, 17)}, "due must be last_review \\+ interval"),
    ],
)
def test_stored_state_with_bad_value_is_rejected(change, message):
    with pytest.raises(ValueError, match=message):
        dataclasses.replace(STORED, **change)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"ease": 2.5}, "ease must be an int"),
        ({"repetitions": True}, "repetitions must be an int"),
        ({"interval": "15"}, "interval must be an int"),
        ({"due": "2025-03-16"}, "due must be a date"),
        ({"last_review": datetime(2025, 3, 1)}, "last_review must be a date"),
    ],
)
def test_stored_state_with_bad_type_is_rejected(change, message):
    with pytest.raises(TypeError, match=message):
        dataclasses.replace(STORED, **change)


# --- The module stays pure --------------------------------------------------------

SOURCE = Path(sm2.__file__).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "clock_read", ["date.today(", "datetime.now(", "datetime.utcnow(", "time.time("]
)
def test_module_never_reads_the_clock(clock_read):
    assert clock_read not in SOURCE


def imported_modules(source):
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0])
    return imported


def test_module_imports_only_the_standard_library():
    assert imported_modules(SOURCE) <= set(sys.stdlib_module_names)


def test_module_imports_no_clock_randomness_or_storage():
    assert not imported_modules(SOURCE) & {"time", "random", "secrets", "os", "sqlite3"}


@pytest.mark.parametrize(
    "reading",
    [
        "rounded *up*",
        "*as it was before this grade*",
        "EF is *not* changed",
        "repetitions restart",
        "never from the days that\n  actually passed",
        "Our one addition to the algorithm",
        "``lapses`` is bookkeeping",
        "Rule 7 belongs to the review session",
        "same-day repeats are logged but do not change the card's schedule",
    ],
)
def test_module_docstring_states_each_reading(reading):
    assert reading in sm2.__doc__


# --- The published rules, re-done independently --------------------------------


def sm2_by_the_text(history):
    """SM-2 as the published rules state it, in Decimal, step by step.

    Returns (n, EF, I, due, lapses) after each (day, q) in ``history``:
    n counts the repetitions since the last failure, I is the interval.
    """
    n, ef, i, lapses = 0, Decimal("2.5"), 0, 0
    out = []
    for day, q in history:
        q = int(q)
        if q < 3:
            # Rule 6: repetitions from the beginning, EF untouched.
            if n > 0:
                lapses += 1
            n, i = 0, 1
        else:
            n += 1
            if n == 1:
                i = 1
            elif n == 2:
                i = 6
            else:
                i = int((i * ef).to_integral_value(rounding=ROUND_CEILING))
            i = min(i, 36500)
            ef = ef + (Decimal("0.1") - (5 - q) * (Decimal("0.08") + (5 - q) * Decimal("0.02")))
            if ef < Decimal("1.3"):
                ef = Decimal("1.3")
        out.append((n, ef, i, day + timedelta(days=i), lapses))
    return out


days = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))
grades = st.sampled_from(Grade)
# Each history draws its grades from one pool: any grade, rare failures, or
# only successes, so that long runs also reach the EF floor and the maximum.
GRADE_POOLS = (
    tuple(Grade),
    (
        Grade.BLACKOUT,
        *[Grade.CORRECT_DIFFICULT] * 3,
        *[Grade.CORRECT_HESITANT] * 6,
        *[Grade.PERFECT] * 10,
    ),
    (Grade.CORRECT_DIFFICULT, Grade.CORRECT_HESITANT, Grade.PERFECT),
)


@st.composite
def histories(draw, min_size=0, max_size=30):
    """(study day, grade) pairs, days in order; gaps ignore due dates on purpose."""
    pool = draw(st.sampled_from(GRADE_POOLS))
    day = draw(days)
    history = []
    steps = st.tuples(st.integers(0, 400), st.sampled_from(pool))
    for gap, grade in draw(st.lists(steps, min_size=min_size, max_size=max_size)):
        day += timedelta(days=gap)
        history.append((day, grade))
    return history


states = st.one_of(st.just(CardState.new()), histories().map(replay))
# Single-step properties are cheap to satisfy; fewer examples keep the file fast.
few = settings(max_examples=50)


@settings(max_examples=40)
@given(histories(min_size=50, max_size=250))
def test_matches_the_published_rules_on_long_random_histories(history):
    state: CardState = CardState.new()
    for (day, grade), expected in zip(history, sm2_by_the_text(history), strict=True):
        state = review(state, grade, day)
        n, ef, interval, due, lapses = expected
        got = (state.repetitions, state.ease_factor, state.interval, state.due, state.lapses)
        assert got == (n, Fraction(ef), interval, due, lapses)


@few
@given(histories())
def test_ease_never_falls_below_1_3(history):
    state: CardState = CardState.new()
    for day, grade in history:
        state = review(state, grade, day)
        assert state.ease >= MIN_EASE
        assert state.ease_factor >= Fraction(13, 10)


@few
@given(states, grades, days)
def test_review_never_changes_its_input(state, grade, today):
    snapshot = copy.deepcopy(state)
    review(state, grade, today)
    preview(state, today)
    assert state == snapshot
    with pytest.raises(dataclasses.FrozenInstanceError):
        state.interval = 99  # type: ignore[misc]


@few
@given(states, grades, days)
def test_review_is_deterministic(state, grade, today):
    assert review(state, grade, today) == review(state, grade, today)


@few
@given(states, grades, days)
def test_due_is_today_plus_interval(state, grade, today):
    after = review(state, grade, today)
    assert after.due == today + timedelta(days=after.interval)
    assert after.last_review == today
    assert 1 <= after.interval <= MAX_INTERVAL


@few
@given(states, st.sampled_from([g for g in Grade if g.passed]), days)
def test_success_counts_a_repetition_and_never_shrinks_the_interval(state, grade, today):
    after = review(state, grade, today)
    assert after.repetitions == state.repetitions + 1
    assert after.lapses == state.lapses
    assert after.interval >= state.interval
    # From the second success on the interval grows strictly (6 > 1, and
    # ceil(I * EF) > I since EF >= 1.3), until it reaches the maximum.
    if state.repetitions >= 1:
        assert after.interval > state.interval or after.interval == MAX_INTERVAL


@few
@given(states, st.sampled_from([g for g in Grade if not g.passed]), days)
def test_failure_resets_repetitions_keeps_ease_and_is_due_tomorrow(state, grade, today):
    after = review(state, grade, today)
    assert after.repetitions == 0
    assert after.ease == state.ease
    assert after.interval == 1
    assert after.due == today + timedelta(days=1)
    assert after.lapses == state.lapses + (state.repetitions > 0)


@few
@given(histories())
def test_replay_equals_folding_review(history):
    state: CardState = CardState.new()
    for day, grade in history:
        state = review(state, grade, day)
    assert replay(history) == state
    assert replay(iter(history)) == state


@few
@given(histories(), grades, days)
def test_replaying_a_history_reproduces_the_state_stored_after_it(history, grade, today):
    # What the store does: keep the state's columns, then rebuild the state
    # from them and from the review log; both must agree.
    stored = review(replay(history), grade, today)
    row = dataclasses.asdict(stored)
    assert ReviewedCard(**row) == stored == replay([*history, (today, grade)])


@few
@given(states, days)
def test_preview_agrees_with_review_for_every_grade(state, today):
    assert preview(state, today) == {g: review(state, g, today) for g in Grade}

"""The union rule (core/history.py): which of a card's answers, in time order, schedule it."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from osteo_learn.core import sm2
from osteo_learn.core.history import AnswerKind, judge, replay

D = date(2026, 3, 2)


def kinds(answers) -> list[str]:
    return [verdict.kind for verdict in judge(answers)]


def test_the_first_answer_of_each_study_day_schedules_and_later_ones_are_repeats():
    answers = [(D, 1), (D, 4), (D + timedelta(days=1), 5), (D + timedelta(days=1), 2)]
    assert kinds(answers) == ["new", "repeat", "review", "repeat"]
    # Only the day's first answers go through SM-2: 1 (a failure, due the next
    # day), then 5 (the first success after it: 1 day).
    expected = sm2.review(sm2.review(sm2.CardState.new(), 1, D), 5, D + timedelta(days=1))
    assert replay(answers) == expected


def test_a_repeat_leaves_the_state_as_it_was():
    (first, repeat) = judge([(D, 5), (D, 0)])
    assert repeat.kind is AnswerKind.REPEAT and repeat.before == repeat.after == first.after


def test_a_failed_first_answer_is_still_the_new_one_and_the_next_day_reviews():
    assert kinds([(D, 0), (D + timedelta(days=1), 4)]) == ["new", "review"]


def test_judging_continues_a_history_from_its_state_and_days():
    earlier = [(D, 4), (D + timedelta(days=1), 4)]
    later = [(D + timedelta(days=1), 1), (D + timedelta(days=7), 4)]
    whole = list(judge(earlier + later))
    state = whole[len(earlier) - 1].after
    assert list(judge(later, state=state, days={D, D + timedelta(days=1)})) == whole[len(earlier) :]


def test_an_empty_history_is_a_new_card():
    assert replay([]) == sm2.CardState.new()
    assert list(judge([])) == []


@given(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 5)), max_size=40))
def test_the_replay_is_sm2_over_the_first_answer_of_each_day(answers):
    history = [(D + timedelta(days=day), grade) for day, grade in sorted(answers, key=lambda a: a[0])]
    firsts, seen = [], set()
    for day, grade in history:
        if day not in seen:
            seen.add(day)
            firsts.append((day, grade))
    assert replay(history) == sm2.replay(firsts)
    verdicts = list(judge(history))
    assert sum(v.kind == "new" for v in verdicts) == (1 if history else 0)
    assert sum(v.kind != "repeat" for v in verdicts) == len(firsts)

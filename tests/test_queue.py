"""The day's queue: limits, order, sibling burying and rule-7 repeats, on plain data."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from osteo_learn.core import queue
from osteo_learn.core.queue import Counts, Entry, Kind, Queue, plan


@dataclass(frozen=True)
class Item:
    pk: int
    note: str

    @property
    def sibling_key(self):
        return ("deck", self.note)


def items(*specs: str, start: int = 1) -> list[Item]:
    """Items numbered from ``start``; each spec is the note it belongs to."""
    return [Item(start + i, note) for i, note in enumerate(specs)]


def pks(entries) -> list[int]:
    return [e.card.pk for e in entries]


def test_reviews_come_before_new_cards_in_the_given_order():
    due = items("a", "b", start=1)
    new = items("c", "d", start=10)
    result = plan(due, new, review_limit=200, new_limit=20)
    assert pks(result.entries) == [1, 2, 10, 11]
    assert [e.kind for e in result.entries] == [Kind.REVIEW, Kind.REVIEW, Kind.NEW, Kind.NEW]


def test_new_cards_stop_at_what_is_left_of_the_daily_limit():
    new = items(*"abcdef", start=10)
    result = plan([], new, review_limit=200, new_limit=3)
    assert pks(result.entries) == [10, 11, 12]


def test_reviews_stop_at_the_review_limit_and_say_so():
    due = items(*"abcde")
    result = plan(due, [], review_limit=2, new_limit=20)
    assert pks(result.entries) == [1, 2]
    assert result.reviews_over_limit


def test_no_limit_reached_is_reported_when_all_reviews_fit():
    result = plan(items("a", "b"), [], review_limit=2, new_limit=20)
    assert not result.reviews_over_limit


def test_a_new_sibling_of_a_due_card_is_buried_and_replaced_by_the_next_new_card():
    due = items("cloze")
    new = [Item(10, "cloze"), Item(11, "other"), Item(12, "third")]
    result = plan(due, new, review_limit=200, new_limit=2)
    assert pks(result.entries) == [1, 11, 12]
    assert result.buried_new == 1


def test_only_the_first_of_two_siblings_due_the_same_day_is_shown():
    due = [Item(1, "cloze"), Item(2, "other"), Item(3, "cloze")]
    result = plan(due, [], review_limit=200, new_limit=20)
    assert pks(result.entries) == [1, 2]
    assert result.buried_reviews == 1


def test_new_siblings_are_spread_over_days():
    # A cloze with three deletions, new: one deletion a day.
    new = [Item(10, "cloze"), Item(11, "cloze"), Item(12, "cloze"), Item(13, "next")]
    result = plan([], new, review_limit=200, new_limit=20)
    assert pks(result.entries) == [10, 13]
    assert result.buried_new == 2


def test_siblings_studied_earlier_today_are_buried():
    due = [Item(1, "cloze"), Item(2, "other")]
    new = [Item(10, "cloze"), Item(11, "fresh")]
    result = plan(due, new, studied_siblings={("deck", "cloze")}, review_limit=200, new_limit=20)
    assert pks(result.entries) == [2, 11]
    assert result.buried == 2


def test_repeats_owed_today_come_first_and_are_never_buried():
    repeats = [Item(5, "cloze")]
    due = [Item(1, "a")]
    result = plan(due, [], repeats=repeats, studied_siblings={("deck", "cloze")}, review_limit=200, new_limit=20)
    assert pks(result.entries) == [5, 1]
    assert result.entries[0].kind is Kind.REPEAT


def test_a_card_graded_below_4_comes_back_three_cards_later():
    q = Queue([Entry(card, Kind.REVIEW) for card in items(*"abcde")])
    repeat = q.answer(3)
    assert repeat == Entry(Item(1, "a"), Kind.REPEAT)
    assert pks(q.pending) == [2, 3, 4, 1, 5]


def test_a_repeat_goes_last_when_few_cards_remain():
    q = Queue([Entry(card, Kind.NEW) for card in items("a", "b")])
    q.answer(0)
    assert pks(q.pending) == [2, 1]
    q.answer(5)
    q.answer(2)
    assert pks(q.pending) == [1]
    assert q.current.kind is Kind.REPEAT


def test_grades_4_and_5_end_a_card_for_the_day():
    q = Queue([Entry(card, Kind.REVIEW) for card in items("a", "b")])
    assert q.answer(4) is None
    assert q.answer(5) is None
    assert q.current is None


def test_counts_and_position_follow_answers():
    q = Queue([Entry(Item(1, "a"), Kind.REVIEW), Entry(Item(2, "b"), Kind.NEW), Entry(Item(3, "c"), Kind.NEW)])
    assert q.counts() == Counts(new=2, review=1, repeat=0)
    assert q.position == (1, 3)
    q.answer(1)
    assert q.counts() == Counts(new=2, review=0, repeat=1)
    assert q.position == (2, 4)


def test_undo_puts_the_queue_back_and_returns_the_card():
    q = Queue([Entry(card, Kind.REVIEW) for card in items(*"abc")])
    before = q.pending
    q.answer(2)
    back = q.undo()
    assert back == Entry(Item(1, "a"), Kind.REVIEW)
    assert q.pending == before
    assert q.answered == 0


def test_undo_with_nothing_answered_raises():
    q = Queue([])
    try:
        q.undo()
    except IndexError:
        pass
    else:
        raise AssertionError("undo of nothing must raise")


# -- properties ---------------------------------------------------------------

notes = st.sampled_from("abcdefgh")
card_lists = st.lists(notes, max_size=25)


@st.composite
def inputs(draw):
    due = [Item(i, note) for i, note in enumerate(draw(card_lists), start=1)]
    new = [Item(1000 + i, note) for i, note in enumerate(draw(card_lists))]
    studied = {("deck", n) for n in draw(st.sets(notes, max_size=3))}
    return due, new, studied, draw(st.integers(0, 30)), draw(st.integers(0, 30))


@given(inputs())
def test_plan_never_shows_two_siblings_or_a_sibling_of_todays_cards(data):
    due, new, studied, review_limit, new_limit = data
    result = plan(due, new, studied_siblings=studied, review_limit=review_limit, new_limit=new_limit)
    keys = [e.card.sibling_key for e in result.entries]
    assert len(keys) == len(set(keys))
    assert not set(keys) & studied


@given(inputs())
def test_plan_respects_limits_order_and_fills_up_to_them(data):
    due, new, studied, review_limit, new_limit = data
    result = plan(due, new, studied_siblings=studied, review_limit=review_limit, new_limit=new_limit)
    reviews = [e.card for e in result.entries if e.kind is Kind.REVIEW]
    fresh = [e.card for e in result.entries if e.kind is Kind.NEW]
    assert len(reviews) <= review_limit and len(fresh) <= new_limit
    # Reviews first; each group keeps the order it was given in.
    assert [e.kind for e in result.entries] == [Kind.REVIEW] * len(reviews) + [Kind.NEW] * len(fresh)
    assert reviews == [c for c in due if c in reviews]
    assert fresh == [c for c in new if c in fresh]
    # Nothing is left out that could have been shown: below a limit, every
    # card left out has a sibling in the queue or studied today.
    shown = {c.sibling_key for c in reviews + fresh} | studied
    if len(reviews) < review_limit:
        assert all(c.sibling_key in shown for c in due if c not in reviews)
    if len(fresh) < new_limit:
        assert all(c.sibling_key in shown for c in new if c not in fresh)


@settings(max_examples=200)
@given(st.lists(notes, min_size=0, max_size=12, unique=True), st.lists(st.integers(0, 5), max_size=80))
def test_a_session_ends_only_when_every_card_last_scored_4_or_more(notes_, grades):
    cards = [Item(i, n) for i, n in enumerate(notes_)]
    q = Queue([Entry(c, Kind.REVIEW) for c in cards])
    last: dict[int, int] = {}
    shown: dict[int, int] = {}
    for grade in grades:
        if q.current is None:
            break
        pk = q.current.card.pk
        shown[pk] = shown.get(pk, 0) + 1
        last[pk] = grade
        q.answer(grade)
    owed = {pk for pk, grade in last.items() if grade < queue.REPEAT_BELOW}
    unseen = {c.pk for c in cards} - set(last)
    # What is left is exactly the cards not yet shown and those owed a repeat.
    assert {e.card.pk for e in q.pending} == owed | unseen
    assert len(q.pending) == len(owed) + len(unseen)
    assert all(e.kind is Kind.REPEAT for e in q.pending if e.card.pk in owed)


@given(st.lists(notes, min_size=1, max_size=10, unique=True), st.lists(st.integers(0, 5), min_size=1, max_size=30))
def test_undoing_every_answer_restores_the_starting_queue(notes_, grades):
    start = tuple(Entry(Item(i, n), Kind.NEW) for i, n in enumerate(notes_))
    q = Queue(start)
    states = [q.pending]
    for grade in grades:
        if q.current is None:
            break
        q.answer(grade)
        states.append(q.pending)
    while q.answered:
        states.pop()
        q.undo()
        assert q.pending == states[-1]
    assert q.pending == start


@given(st.integers(0, 20), st.integers(0, 5))
def test_a_repeat_comes_back_after_gap_cards_or_last(others, grade):
    cards = items(*("n" + str(i) for i in range(others + 1)))
    q = Queue([Entry(c, Kind.REVIEW) for c in cards])
    q.answer(grade)
    position = [e.card.pk for e in q.pending].index(1) if grade < 4 else None
    if grade < 4:
        assert position == min(queue.REPEAT_GAP, others)
    else:
        assert 1 not in pks(q.pending)


def test_the_queue_reads_no_clock_database_or_terminal():
    import subprocess
    import sys

    code = (
        "import sys, osteo_learn.core.queue\n"
        "print(sorted(m for m in ('sqlite3', 'click', 'osteo_learn.system', 'osteo_learn.store', 'osteo_learn.terminal')"
        " if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"

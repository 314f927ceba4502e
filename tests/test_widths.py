"""Any terminal from 40 to 200 columns: nothing of the review is cut or broken inside a word; stats fit 60.

The review's text is at most 90 columns wide (wider terminals get 90), so
every screen is drawn at each width from 40 to 90 and every line checked:
no wider than the width, and every word of the card, of the grade list,
of the hints and of the help whole on one line.
"""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from osteo_learn.core import sm2
from osteo_learn.core import cloze
from osteo_learn.core.cards import Cloze, Vignette
from osteo_learn.core.queue import Counts, Entry, Kind
from osteo_learn.store.library import open_library
from osteo_learn.terminal import stats_screen
from osteo_learn.terminal.card_screen import CardScreen, CardView
from osteo_learn.terminal.layout import width_of
from osteo_learn.terminal.screen import HELP, Hint, fit_hints, help_text, wrap_words
from osteo_learn.terminal.session import MAX_WIDTH
from osteo_learn.terminal.style import Style

TODAY = date(2026, 3, 2)
PLAIN = Style(False)


@pytest.fixture(scope="module")
def cards(tmp_path_factory):
    db = tmp_path_factory.mktemp("widths") / "s.db"
    store, _ = open_library(db)
    with store:
        found = store.cards.all()
        return found, store.decks.source_document(found[0].deck_id)


def words(text: str) -> set[str]:
    return {w for w in text.replace("[", " ").replace("]", " ").split()}


def assert_fits(text: str, width: int, expected_words: set[str]) -> None:
    lines = text.split("\n")
    assert max(width_of(line) for line in lines) <= width, max(lines, key=width_of)
    shown = words(text)
    missing = {w for w in expected_words if w not in shown and width_of(w) < width - 8}
    assert not missing, missing


def screens(stored, width: int, source) -> list[tuple[str, set[str]]]:
    """Every stage of a card (question, answer, source), with the words it must show whole."""
    painter = CardScreen(PLAIN, width, screen=True, today=TODAY)
    card = stored.card
    content = card.content
    view = CardView(Entry(stored, Kind.NEW))
    if isinstance(content, Cloze):
        texts = [cloze.render(content.text, stored.ordinal, reveal=True, mark=lambda s: f"[{s}]"), content.extra]
    else:
        texts = [str(v) for v in vars(content).values() if isinstance(v, str)]
    if isinstance(content, Vignette):
        view.order = (1, 0, 3, 2, 4)[: len(content.options)]
        view.choice = view.order[0]
        texts += list(content.options)
    expected = set().union(*(words(t) for t in texts))
    out = []
    header = painter.header((12, 345), Counts(120, 200, 25), "Can Osteoporosis Cause Leg Numbness?")
    out.append((header, {"Card", "12", "of", "345", "120", "new", "200", "review", "25", "repeat"}))
    out.append(("\n\n".join(painter.blocks(view, sm2.CardState.new())), set()))
    view.revealed = True
    view.show_source = True
    out.append(("\n\n".join(painter.blocks(view, sm2.CardState.new(), source)), expected | {"How", "well", "did", "you", "recall", "it?"}))
    return out


@settings(max_examples=60, deadline=None)
@given(width=st.integers(40, MAX_WIDTH), index=st.integers(0, 200))
def test_every_screen_of_every_card_fits_the_width_with_words_whole(cards, width, index):
    found, source = cards
    stored = found[index % len(found)]
    for text, expected in screens(stored, width, source):
        assert_fits(text, width, expected)


@given(width=st.integers(40, 200))
def test_hints_fit_one_line_with_each_hint_whole_and_help_kept(width):
    hints = [
        Hint("0-5", "grade", 0),
        Hint("s", "source", 4),
        Hint("u", "undo", 3),
        Hint("-", "bury", 6),
        Hint("!", "suspend", 7),
        Hint("f", "flag", 5),
        Hint("o", "edit", 8),
        Hint("q", "quit", 2),
        Hint("?", "help", 1),
    ]
    line = fit_hints(hints, min(width, MAX_WIDTH), PLAIN)
    assert "\n" not in line and width_of(line) <= min(width, MAX_WIDTH)
    items = line.split(" · ")
    assert items[0] == "0-5 grade" and items[-1] == "? help"
    assert all(f"{h.key} {h.does}" in items for h in hints if f"{h.key} {h.does}" in line)
    if width >= 90:
        assert len(items) == len(hints)


@given(width=st.integers(40, 200))
def test_the_help_fits_with_every_key_and_word(width):
    text = help_text(PLAIN, min(width, MAX_WIDTH))
    assert_fits(text, min(width, MAX_WIDTH), {w for key, meaning in HELP for w in (key + " " + meaning).split()})


@given(width=st.integers(40, 200), days=st.integers(1, 400))
def test_the_saved_line_wraps_between_words_and_keeps_a_command_whole(width, days):
    text = (
        f"Saved: grade 1, next review in {days} days (2026-04-05); again later today. Leech: 8 lapses, so it "
        "is suspended. Rewrite it (o), then osteo-learn unsuspend osteoporosis-leg-numbness/vertebral-collapse-cloze#2."
    )
    w = min(width, MAX_WIDTH)
    wrapped = wrap_words(text, w)
    command = "osteo-learn unsuspend osteoporosis-leg-numbness/vertebral-collapse-cloze#2."
    if len(command) <= w:  # (a longer one has to break, as any word longer than the line)
        assert wrapped.replace("\n", " ") == text
        assert any(command in line for line in wrapped.split("\n"))
        assert max(width_of(line) for line in wrapped.split("\n")) <= w


def test_the_grade_list_is_a_table_when_it_fits_and_two_lines_a_grade_when_not(cards):
    found, _ = cards
    stored = next(c for c in found if c.kind == "basic")
    view = CardView(Entry(stored, Kind.NEW), revealed=True)
    wide = CardScreen(PLAIN, 90, screen=True, today=TODAY).grades(view, sm2.CardState.new())
    assert "  0  complete blackout                            1 day, and again today" in wide.split("\n")
    narrow = CardScreen(PLAIN, 40, screen=True, today=TODAY).grades(view, sm2.CardState.new()).split("\n")
    assert narrow[:2] == ["  0  complete blackout", "     → 1 day, and again today"]
    assert "  1  incorrect; the answer remembered" in narrow and "     once seen" in narrow


@pytest.fixture(scope="module")
def studied(tmp_path_factory):
    """The bundled deck after a few weeks of study, with a leech."""
    from datetime import datetime, timedelta, timezone

    db = tmp_path_factory.mktemp("stats") / "s.db"
    store, _ = open_library(db)
    with store:
        day = date(2026, 1, 1)
        for n in range(60):
            for card in list(store.queue.due(day))[:30] + list(store.queue.new(today=day))[:5]:
                grade = (card.pk * 7 + n) % 6
                store.log.record(card.pk, grade, datetime(day.year, day.month, day.day, 12, tzinfo=timezone.utc), day, 3000, leech_lapses=3)
            day += timedelta(days=1)
        return stats_screen.collect(store, day)


@given(width=st.integers(60, 100))
def test_stats_fit_any_width_from_60_columns(studied, width):
    assert studied.leeches and studied.hardest
    text = stats_screen.render(studied, PLAIN, width)
    assert max(width_of(line) for line in text.split("\n")) <= width, max(text.split("\n"), key=width_of)
    assert "Leeches" in text and "Hardest cards" in text


@given(width=st.integers(60, 100))
def test_stats_of_a_new_database_fit_any_width_from_60_columns(tmp_path_factory, width):
    db = tmp_path_factory.mktemp("empty") / "s.db"
    store, _ = open_library(db)
    with store:
        text = stats_screen.render(stats_screen.collect(store, TODAY), PLAIN, width)
    assert max(width_of(line) for line in text.split("\n")) <= width, max(text.split("\n"), key=width_of)

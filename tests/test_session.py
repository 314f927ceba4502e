"""The review session in line mode (stdin not a terminal), through the real CLI on a real database."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

import pytest
from click.testing import CliRunner
from study_deck import DECK, DECK_ID, study_db, write_deck

from osteo_learn.core import sm2
from osteo_learn.commands.cli import cli
from osteo_learn.terminal.card_screen import describe_interval, source_passage
from osteo_learn.store import Store

DAY = "2026-03-02"

FRONTS = {
    "weak-bones": "What happens to bones with age?",
    "fracture-nerve c1": "A spinal [...] may press on a nerve.",
    "fracture-nerve c2": "A spinal fracture may press on a [structure].",
    "case-mri": "Which test can help identify nerve compression?",
    "mri-use": "What does MRI show well?",
}


@pytest.fixture
def db(tmp_path):
    return study_db(tmp_path)


_SESSIONS: dict[tuple[str, str], int] = {}


def review(db, *lines: str, day: str = DAY, args=("--deck", DECK_ID)):
    """One session; each line is one answer ("" is Enter). Sessions of one database
    on one day start a minute apart from noon, so their answers are in the order
    the sessions ran, however long each took."""
    text = "".join(line + "\n" for line in lines)
    n = _SESSIONS[str(db), day] = _SESSIONS.get((str(db), day), -1) + 1
    start = datetime.combine(date.fromisoformat(day), time(12)) + timedelta(minutes=n)
    return CliRunner().invoke(cli, ["review", "--db", str(db), *args], input=text, env={"OSTEO_LEARN_NOW": start.isoformat()})


def shown(output: str) -> list[str]:
    """The cards put on screen, in order, recognised by their front."""
    found = []
    for match in re.finditer("|".join(map(re.escape, FRONTS.values())), output):
        found.append(next(name for name, front in FRONTS.items() if front == match.group(0)))
    return found


def log(db) -> list[tuple[str, str, int, str, bool]]:
    """(day, card, grade, kind, undone) for every row of the review log."""
    with Store.open(db) as store:
        cards = {c.pk: c for c in store.cards.all(include_retired=True)}
        rows = []
        for r in store.log.entries():
            card = cards[r.card_pk]
            name = card.card.id + (f" c{card.ordinal}" if card.card.kind == "cloze" else "")
            rows.append((r.day.isoformat(), name, int(r.grade), r.kind, r.undone_at is not None))
        return rows


def state(db, card_id: str, ordinal: int = 1) -> sm2.CardState:
    with Store.open(db) as store:
        return next(c.state for c in store.cards.all() if c.card.id == card_id and c.ordinal == ordinal)


def set_new_per_day(db, n: int) -> None:
    assert CliRunner().invoke(cli, ["config", "--db", str(db), "new-per-day", str(n)]).exit_code == 0


# -- one card ---------------------------------------------------------------------


def test_basic_card_shows_the_front_then_the_back_and_saves_the_grade(db):
    result = review(db, "", "5", "q")
    assert result.exit_code == 0, result.output
    front_at = result.output.index("What happens to bones with age?")
    back_at = result.output.index("They weaken.")
    saved_at = result.output.index("Saved: grade 5, next review tomorrow (2026-03-03).")
    assert front_at < back_at < saved_at
    assert log(db) == [(DAY, "weak-bones", 5, "new", False)]


def test_header_shows_progress_counts_and_deck(db):
    result = review(db, "q")
    assert "Card 1 of 4  4 new · 0 review · 0 repeat" in result.output
    assert "Demo deck" in result.output


def test_grade_screen_previews_the_interval_of_every_grade(db):
    set_new_per_day(db, 1)
    review(db, "", "5")
    result = review(db, "", "q", day="2026-03-03")
    # weak-bones after one success: a success now gives I(2) = 6 days, a failure 1 day.
    assert re.search(r"0  complete blackout\s+1 day, and again today", result.output)
    assert re.search(r"3  correct with serious difficulty\s+6 days, and again today", result.output)
    assert re.search(r"5  perfect response\s+6 days\n", result.output)


def test_enter_shows_the_answer_but_never_grades(db):
    result = review(db, "", "", "", "q")
    assert result.output.count("Enter does not grade") == 2
    assert log(db) == []


def test_a_grade_before_the_answer_is_shown_is_refused(db):
    result = review(db, "4", "q")
    assert "Look at the answer before grading." in result.output
    assert "They weaken." not in result.output
    assert log(db) == []


def test_a_wrong_key_reprompts_and_grades_nothing(db):
    result = review(db, "x", "", "7", "hello", "3", "q")
    assert "'x' does nothing here (? for help)." in result.output
    assert "'7' does nothing here" in result.output
    assert "That key does nothing here" in result.output
    assert log(db) == [(DAY, "weak-bones", 3, "new", False)]


def test_help_lists_the_keys(db):
    result = review(db, "?", "q")
    assert "undo the last answer" in result.output
    assert "end the session" in result.output


def test_cloze_hides_the_active_deletion_and_marks_it_on_reveal(db):
    result = review(db, "", "5", "", "5", "q")
    assert "A spinal [...] may press on a nerve." in result.output
    assert "A spinal [fracture] may press on a nerve." in result.output
    assert "Numbness in the leg follows." in result.output


def test_vignette_wrong_pick_allows_only_grades_0_to_2(db):
    set_new_per_day(db, 3)
    # On 2026-03-02 the options are shown as A Chest X-ray, B Blood count, C Urine test, D MRI.
    result = review(db, "", "5", "", "5", "b", "4", "1", "q")
    out = result.output
    assert "A  Chest X-ray" in out and "D  MRI" in out
    assert "✓ D  MRI ← right answer" in out
    assert "✗ B  Blood count ← your answer" in out
    assert "Wrong: you picked B; the answer is D." in out
    assert "MRI can help identify nerve compression; the others do not." in out
    assert "Your pick was wrong, a failed recall: grade 0, 1 or 2." in out
    grades = out[out.index("Wrong: you picked B") :]
    assert "3  correct with serious difficulty" not in grades.split("Saved")[0]
    assert log(db)[-1] == (DAY, "case-mri", 1, "new", False)


def test_vignette_right_pick_allows_only_grades_3_to_5(db):
    set_new_per_day(db, 3)
    result = review(db, "", "5", "", "5", "d", "2", "5", "q")
    out = result.output
    assert "✓ D  MRI ← your answer, right" in out
    assert "Right: D." in out
    assert "Your pick was right: grade 3, 4 or 5." in out
    assert log(db)[-1] == (DAY, "case-mri", 5, "new", False)


def test_vignette_letters_are_case_insensitive_and_others_refused(db):
    set_new_per_day(db, 3)
    result = review(db, "", "5", "", "5", "", "F", "D", "5", "q")
    assert "Space does nothing here" not in result.output
    assert "Enter does nothing here" in result.output
    assert "'F' does nothing here" in result.output
    assert log(db)[-1][1:3] == ("case-mri", 5)


def test_source_shows_the_whole_paragraph_with_the_excerpt_marked(db):
    result = review(db, "", "s", "5", "q")
    assert "Source: Demo article" in result.output
    assert (
        "[Bones weaken with age.] A fracture of the spine may press on a nerve, causing numbness in the leg."
        in " ".join(result.output.split())
    )


def test_the_source_is_not_shown_before_the_answer(db):
    result = review(db, "s", "q")
    assert "The source is shown with the answer." in result.output
    assert "Source:" not in result.output


# -- rule 7, undo, limits ---------------------------------------------------------


def test_a_card_graded_3_comes_back_the_same_session_until_it_scores_4(db):
    set_new_per_day(db, 2)
    # weak-bones 3, fracture c1 5, weak-bones again (repeat) 3, then 4.
    result = review(db, "", "3", "", "5", "", "3", "", "4")
    assert result.exit_code == 0, result.output
    assert shown(result.output) == ["weak-bones", "fracture-nerve c1", "weak-bones", "weak-bones"]
    assert [row[1:4] for row in log(db)] == [
        ("weak-bones", 3, "new"),
        ("fracture-nerve c1", 5, "new"),
        ("weak-bones", 3, "repeat"),
        ("weak-bones", 4, "repeat"),
    ]
    assert "Same-day repeat: the grade does not change the schedule" in result.output
    # The schedule is the one grade 3 set: repeats leave it alone.
    assert state(db, "weak-bones") == sm2.review(sm2.CardState.new(), 3, date(2026, 3, 2))
    assert "Session over." in result.output


def test_a_repeat_owed_from_an_earlier_session_comes_first_in_the_next(db):
    review(db, "", "2", "q")
    result = review(db, "", "5", "q")
    assert shown(result.output)[0] == "weak-bones"
    assert "same-day repeat" in result.output
    assert [row[3] for row in log(db)] == ["new", "repeat"]


def test_undo_restores_the_card_and_shows_it_again(db):
    result = review(db, "", "2", "u", "", "5", "q")
    assert "Undone: grade 2 of demo/weak-bones; answer it again." in result.output
    # The next card was already on screen when u took the answer back.
    assert shown(result.output) == ["weak-bones", "fracture-nerve c1", "weak-bones", "fracture-nerve c1"]
    assert log(db) == [(DAY, "weak-bones", 2, "new", True), (DAY, "weak-bones", 5, "new", False)]
    assert state(db, "weak-bones") == sm2.review(sm2.CardState.new(), 5, date(2026, 3, 2))


def test_undo_after_the_reveal_takes_back_the_previous_answer(db):
    result = review(db, "", "4", "", "u", "q")
    assert "Undone: grade 4 of demo/weak-bones" in result.output
    assert log(db) == [(DAY, "weak-bones", 4, "new", True)]
    assert isinstance(state(db, "weak-bones"), sm2.NewCard)


def test_undo_of_a_graded_3_card_removes_its_repeat(db):
    set_new_per_day(db, 1)
    result = review(db, "", "3", "u", "", "4")
    # Shown, its repeat put on screen, taken back, shown again and passed: no repeat left.
    assert shown(result.output) == ["weak-bones", "weak-bones", "weak-bones"]
    assert [row[2:] for row in log(db)] == [(3, "new", True), (4, "new", False)]
    assert "Session over." in result.output


def test_undo_with_nothing_answered_says_so(db):
    result = review(db, "u", "q")
    assert "Nothing to undo in this session." in result.output


def test_quit_keeps_the_answers_and_leaves_the_rest_due(db):
    result = review(db, "", "4", "q")
    assert result.exit_code == 0
    assert "Session ended." in result.output
    assert "3 cards left for today" in result.output
    again = review(db, "q")
    assert "Card 1 of 3  3 new" in again.output
    assert shown(again.output) == ["fracture-nerve c1"]


def test_end_of_input_ends_the_session_cleanly(db):
    result = review(db, "", "5")
    assert result.exit_code == 0
    assert "Studied 1 card" in result.output


def test_new_card_limit_counts_across_the_sessions_of_a_day(db):
    set_new_per_day(db, 2)
    first = review(db, "", "5", "q")
    assert "Card 1 of 2  2 new" in first.output
    second = review(db, "q")
    assert "Card 1 of 1  1 new" in second.output
    review(db, "", "5")
    third = review(db)
    assert "Nothing to review now in demo." in third.output


def test_new_and_limit_options_change_one_session(db):
    result = review(db, "q", args=("--deck", DECK_ID, "--new", "1"))
    assert "Card 1 of 1  1 new" in result.output
    result = review(db, "q", args=("--deck", DECK_ID, "--new", "0"))
    assert "Nothing to review now in demo." in result.output


def test_review_limit_caps_due_reviews(db):
    review(db, "", "5", "", "5", "d", "5", "", "5")
    result = review(db, "q", day="2026-03-03", args=("--deck", DECK_ID, "--limit", "2", "--new", "0"))
    assert "Card 1 of 2  0 new · 2 review" in result.output
    assert "2 more due reviews held back by --limit 2; for all: osteo-learn review --limit 4" in result.output


def test_reviews_per_day_counts_every_session_of_the_day(db):
    review(db, "", "5", "", "5", "d", "5", "", "5")  # four cards learned; due the next day
    assert CliRunner().invoke(cli, ["config", "--db", str(db), "reviews-per-day", "3"]).exit_code == 0
    day2, no_new = "2026-03-03", ("--deck", DECK_ID, "--new", "0")
    first = review(db, "", "5", "", "5", "q", day=day2, args=no_new)
    assert "Card 1 of 3  0 new · 3 review" in first.output
    assert "1 card left for today" in first.output
    # One still queued, one held back: both come with --limit 2.
    assert "1 more due review held back by reviews-per-day (3); for all: osteo-learn review --limit 2" in first.output
    # Two answered: one of the day's three is left, whatever the session.
    second = review(db, "a", "5", day=day2, args=no_new)  # the case: choose A, then grade
    assert "Card 1 of 1  0 new · 1 review" in second.output
    third = review(db, day=day2, args=no_new)
    assert "Nothing to review now in demo." in third.output
    assert "1 more due review held back by reviews-per-day (3); for all: osteo-learn review --limit 1" in third.output
    # --limit goes past the day's limit for one session.
    fourth = review(db, "", "5", day=day2, args=(*no_new, "--limit", "1"))
    assert "Card 1 of 1  0 new · 1 review" in fourth.output
    assert "held back" not in fourth.output
    assert [kind for _, _, _, kind, _ in log(db)].count("review") == 4


def test_tag_narrows_the_queue(db):
    result = review(db, "q", args=("--deck", DECK_ID, "--tag", "diagnosis"))
    assert "Card 1 of 2  2 new" in result.output
    assert shown(result.output) == ["case-mri"]


def test_unknown_deck_is_an_error(db):
    result = review(db, args=("--deck", "nope"))
    assert result.exit_code == 1
    assert "Error: no deck 'nope'" in result.output


# -- siblings -------------------------------------------------------------------


def test_cloze_siblings_are_not_shown_on_the_same_day(db):
    today = review(db, "", "5", "", "5", "d", "5", "", "5")
    assert "fracture-nerve c2" not in shown(today.output)
    # The next day c1 is due, so c2 waits again; on a day c1 is not studied it comes.
    next_day = review(db, "", "5", "", "5", "", "5", "", "5", day="2026-03-03")
    assert "fracture-nerve c2" not in shown(next_day.output)


# -- nothing to do --------------------------------------------------------------


def test_nothing_due_says_when_the_next_review_is_and_offers_new_cards_ahead(db):
    set_new_per_day(db, 1)
    review(db, "", "5")
    result = review(db, "y", "", "5")
    out = result.output
    assert "Nothing to review now in demo." in out
    assert "Next review: tomorrow (2026-03-03), 1 card." in out
    assert "Today's new cards are done (1 of 1); 4 new cards remain." in out
    assert "Learn 1 more now? [y/N]" in out
    assert shown(out) == ["fracture-nerve c1"]
    assert [row[1] for row in log(db)] == ["weak-bones", "fracture-nerve c1"]


def test_declining_to_study_ahead_ends_with_a_hint(db):
    set_new_per_day(db, 1)
    review(db, "", "5")
    result = review(db, "n")
    assert "Tomorrow, or now with: osteo-learn review --new 1" in result.output
    assert result.exit_code == 0


# -- the summary ------------------------------------------------------------------


def test_summary_counts_cards_new_recall_and_next_reviews(db):
    set_new_per_day(db, 2)
    result = review(db, "", "2", "", "5", "", "4")
    out = result.output
    assert "Studied 2 cards in" in out
    assert "2 new learned, 0 reviews, 1 same-day repeat." in out
    assert "Recalled (grade 3 or more): 1 of 2, 50%." in out
    assert "Due tomorrow: 2 cards; within a week: 2." in out


# -- hostile text and the default command ----------------------------------------


def test_control_characters_in_deck_text_are_never_printed(tmp_path):
    hostile = DECK.replace(
        'front = "What happens to bones with age?"',
        'front = "What happens\\u001b[2J\\u001b]0;owned\\u0007 to bones\\r with age?\\u009b31m"',
    )
    deck = write_deck(tmp_path / "decks", text=hostile)
    db = tmp_path / "hostile.db"
    assert CliRunner().invoke(cli, ["add-deck", "--db", str(db), str(deck)]).exit_code == 0
    result = review(db, "", "q")
    assert "What happens to bones with age?" in result.output
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f]", result.output)


def test_osteo_learn_without_a_command_starts_the_review(tmp_path):
    result = CliRunner().invoke(cli, [], input="q\n", env={"OSTEO_LEARN_DB": str(tmp_path / "s.db"), "OSTEO_LEARN_TODAY": DAY})
    assert result.exit_code == 0, result.output
    assert "Card 1 of 20  20 new" in result.output
    assert "How does the article's summary describe the link between osteoporosis and leg numbness?" in " ".join(result.output.split())


# -- pure helpers -------------------------------------------------------------------


def test_intervals_read_as_days_then_months_then_years():
    assert [describe_interval(d) for d in (1, 6, 59, 91, 400)] == ["1 day", "6 days", "59 days", "3.0 months", "1.1 years"]


def test_source_passage_finds_the_excerpt_across_whitespace_and_blank_line_paragraphs():
    document = "Title\n\nFirst para.\n\nOne two\nthree four. Five.\n\nLast."
    assert source_passage(document, "two three   four.") == ("One ", "two three four.", " Five.")
    assert source_passage(document, "missing") is None


# -- seven days ---------------------------------------------------------------------


def test_a_student_studying_seven_days_sees_the_right_cards_each_day(db):
    """Seven study days with new-per-day 2, worked out by hand from SM-2 and the queue rules.

    Cards in deck order: W weak-bones, C1/C2 fracture-nerve (siblings),
    V case-mri (MRI, shown as A on 03-03, D on 03-04, B on 03-05), M mri-use. "new" is a card's first answer.

    day 1 (03-02): no reviews; new W, C1 (C2 buried: C1 is in the queue).
        W 3 -> I=1, EF 2.36, due 03-03; owed a repeat (3 < 4). C1 5 -> due 03-03.
        W again (repeat) 4 -> schedule unchanged.
    day 2 (03-03): due W, C1 (deck order); new C2 buried (C1 due), V, M.
        W 5 -> I(2)=6, due 03-09. C1 2 -> failed: reps 0, due 03-04, 1 lapse, repeat owed;
        put back after 2 cards (the end). V picked B (wrong) 1 -> due 03-04, repeat owed.
        M 5 -> due 03-04. Then repeats: C1 4, V (picked A) 4.
    day 3 (03-04): due C1, V, M; C2 buried (C1 due). All 5: C1 -> I=1 due 03-05,
        V -> I=1 due 03-05, M -> I(2)=6 due 03-10.
    day 4 (03-05): due C1, V; C2 buried. Both 5 -> I(2)=6, due 03-11.
    day 5 (03-06): nothing due; C2 new at last. 5 -> due 03-07.
    day 6 (03-07): due C2. 5 -> I(2)=6, due 03-13.
    day 7 (03-08): nothing due; no new card left; next review W on 03-09.
    """
    set_new_per_day(db, 2)
    days = [
        ("2026-03-02", ["", "3", "", "5", "", "4"], ["weak-bones", "fracture-nerve c1", "weak-bones"]),
        (
            "2026-03-03",
            ["", "5", "", "2", "b", "1", "", "5", "", "4", "a", "4"],
            ["weak-bones", "fracture-nerve c1", "case-mri", "mri-use", "fracture-nerve c1", "case-mri"],
        ),
        ("2026-03-04", ["", "5", "d", "5", "", "5"], ["fracture-nerve c1", "case-mri", "mri-use"]),
        ("2026-03-05", ["", "5", "b", "5"], ["fracture-nerve c1", "case-mri"]),
        ("2026-03-06", ["", "5"], ["fracture-nerve c2"]),
        ("2026-03-07", ["", "5"], ["fracture-nerve c2"]),
        ("2026-03-08", [], []),
    ]
    for day, keys, expected in days:
        result = review(db, *keys, day=day)
        assert result.exit_code == 0, (day, result.output)
        assert shown(result.output) == expected, day
        if expected:
            assert "Session over." in result.output, day
    assert "Nothing to review now in demo." in result.output
    assert "Next review: tomorrow (2026-03-09), 1 card." in result.output
    assert "No cards to study." not in result.output
    dues = {
        name: state(db, *key).due.isoformat()
        for name, key in {
            "W": ("weak-bones",),
            "C1": ("fracture-nerve", 1),
            "C2": ("fracture-nerve", 2),
            "V": ("case-mri",),
            "M": ("mri-use",),
        }.items()
    }
    assert dues == {"W": "2026-03-09", "C1": "2026-03-11", "C2": "2026-03-13", "V": "2026-03-11", "M": "2026-03-10"}
    assert state(db, "weak-bones").ease == 246
    assert state(db, "fracture-nerve", 1).lapses == 1


# -- store queries behind the session ---------------------------------------------


def test_repeats_owed_are_cards_whose_latest_answer_of_the_day_is_below_4(db):
    from datetime import datetime, timezone

    day = date(2026, 3, 2)
    at = datetime(2026, 3, 2, 12, tzinfo=timezone.utc)
    with Store.open(db) as store:
        pk = {c.card.id + str(c.ordinal): c.pk for c in store.cards.all([DECK_ID])}
        store.log.record(pk["weak-bones1"], 3, at, day, 1000)
        store.log.record(pk["fracture-nerve1"], 5, at, day, 1000)
        store.log.record(pk["mri-use1"], 2, at, day, 1000)
        store.log.record(pk["mri-use1"], 4, at, day, 1000)
        undone = store.log.record(pk["case-mri1"], 1, at, day, 1000)
        store.log.undo(undone.id, at)
        assert [c.card.id for c in store.queue.repeats_owed(day)] == ["weak-bones"]
        assert [c.card.id for c in store.queue.repeats_owed(day, tags=["diagnosis"])] == []
        assert store.queue.repeats_owed(date(2026, 3, 3)) == []


def test_source_document_and_deck_titles_come_from_the_deck_table(db):
    from study_deck import SOURCE_TEXT

    with Store.open(db) as store:
        assert store.decks.source_document(DECK_ID) == ("Demo article", SOURCE_TEXT)
        assert store.decks.titles()[DECK_ID] == "Demo deck"

"""Card control and finding cards from the command line: suspend, unsuspend, flag, unflag, cards --search."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from study_deck import DECK, study_db, write_deck

from osteo_learn.commands.cli import cli
from osteo_learn.store import Store

DAY = "2026-03-02"


@pytest.fixture
def db(tmp_path):
    return study_db(tmp_path)


def run(db, *args, input=None):
    return CliRunner().invoke(cli, [args[0], "--db", str(db), *args[1:]], input=input, env={"OSTEO_LEARN_TODAY": DAY})


def rows(db, *args):
    result = run(db, "cards", "--deck", "demo", "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_suspend_and_unsuspend_name_cards_and_log_each_change(db):
    result = run(db, "suspend", "demo/weak-bones", "demo/fracture-nerve#2")
    assert result.exit_code == 0, result.output
    assert result.output == "Suspended demo/weak-bones.\nSuspended demo/fracture-nerve#2.\n"
    assert [r["ref"] for r in rows(db, "--suspended")] == ["demo/weak-bones", "demo/fracture-nerve#2"]
    again = run(db, "suspend", "demo/weak-bones")
    assert again.output == "demo/weak-bones was already suspended; nothing changed.\n"
    # A whole cloze entry names all its deletions.
    result = run(db, "unsuspend", "demo/fracture-nerve")
    assert result.output == "demo/fracture-nerve#1 was already not suspended; nothing changed.\nUnsuspended demo/fracture-nerve#2.\n"
    with Store.open(db) as store:
        assert [(e.action, e.origin) for e in store.control.events()] == [
            ("suspend", "command"),
            ("suspend", "command"),
            ("unsuspend", "command"),
        ]
    # The suspended card is not studied.
    review = run(db, "review", "--deck", "demo", input="q\n")
    # (fracture-nerve#2 is back, but waits for another day: its sibling #1 is studied today.)
    assert "Card 1 of 3  3 new" in review.output and "What happens to bones with age?" not in review.output


def test_flag_with_a_note_and_unflag(db):
    result = run(db, "flag", "--note", "The answer\nis incomplete", "demo/case-mri")
    assert result.output == "Flagged demo/case-mri.\n"
    [row] = rows(db, "--flagged")
    assert (row["ref"], row["flag_note"]) == ("demo/case-mri", "The answer is incomplete")
    listing = run(db, "cards", "--flagged")
    assert listing.output.splitlines() == [
        "demo/case-mri  vignette · new · never studied",
        "  Which test can help identify nerve compression?",
        "  flagged: The answer is incomplete",
        "1 card found.",
    ]
    assert run(db, "unflag", "demo/case-mri").output == "Unflagged demo/case-mri.\n"
    assert rows(db, "--flagged") == []


@pytest.mark.parametrize(
    "name, message",
    [
        ("weak-bones", "Error: 'weak-bones' is not a card: write deck-id/card-id, or deck-id/card-id#N for one deletion of a cloze"),
        ("nope/weak-bones", "Error: nope/weak-bones: no deck 'nope' (decks: osteoporosis-leg-numbness, demo)"),
        ("demo/nope", "Error: demo/nope: no card 'nope' in deck 'demo' (see osteo-learn cards --deck demo)"),
        ("demo/fracture-nerve#3", "Error: demo/fracture-nerve#3: 'fracture-nerve' has no deletion #3 (it has #1, #2)"),
        ("demo/weak-bones#1", "Error: demo/weak-bones#1: 'weak-bones' is a basic card, not a cloze; name it without #1"),
    ],
)
def test_a_card_that_is_not_there_is_an_error_and_nothing_changes(db, name, message):
    result = run(db, "suspend", "demo/mri-use", name)
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == message
    assert rows(db, "--suspended") == []


def test_search_is_case_and_accent_insensitive_and_shows_text_state_and_due(tmp_path):
    text = DECK.replace('back = "They weaken."', 'back = "They weaken: ostéoporose."')
    deck = write_deck(tmp_path / "decks", text=text)
    db = tmp_path / "s.db"
    assert CliRunner().invoke(cli, ["add-deck", "--db", str(db), str(deck)]).exit_code == 0
    run(db, "review", "--deck", "demo", input="\n5\nq\n")
    result = run(db, "cards", "--search", "OSTEOPOROSE")
    assert result.output.splitlines() == [
        "demo/weak-bones  basic · learned · due 2026-03-03",
        "  What happens to bones with age?",
        "1 card found.",
    ]
    # A cloze is found by its deletion's text, and each deletion is its own card.
    assert [r["ref"] for r in rows(db, "--search", "spinal FRACTURE")] == ["demo/fracture-nerve#1", "demo/fracture-nerve#2"]
    assert [r["text"] for r in rows(db, "--search", "spinal FRACTURE")] == [
        "A spinal [...] may press on a nerve.",
        "A spinal fracture may press on a [structure].",
    ]
    # Vignette options and the source excerpt are searched too.
    assert [r["ref"] for r in rows(db, "--search", "urine")] == ["demo/case-mri"]
    assert [r["ref"] for r in rows(db, "--search", "soft tissue well")] == ["demo/mri-use"]
    assert run(db, "cards", "--search", "nothing like this").output == "0 cards found.\n"


def test_repeated_tags_widen_and_deck_and_tag_narrow_together(db):
    assert [r["ref"] for r in rows(db, "--tag", "diagnosis")] == ["demo/case-mri", "demo/mri-use"]
    assert [r["ref"] for r in rows(db, "--tag", "diagnosis", "--tag", "symptoms")] == [
        "demo/fracture-nerve#1",
        "demo/fracture-nerve#2",
        "demo/case-mri",
        "demo/mri-use",
    ]
    both = json.loads(run(db, "cards", "--json", "--deck", "demo", "--deck", "osteoporosis-leg-numbness", "--tag", "diagnosis").stdout)
    assert {r["deck"] for r in both} == {"demo", "osteoporosis-leg-numbness"}
    assert all("diagnosis" in r["tags"] for r in both)


@pytest.mark.parametrize("command", ["review", "cards", "export"])
def test_an_unknown_tag_is_an_error_like_an_unknown_deck(db, tmp_path, command):
    extra = ["-o", str(tmp_path / "x.apkg")] if command == "export" else []
    result = run(db, command, "--tag", "diagnosis", "--tag", "diagnosys", *extra, input="q\n")
    assert result.exit_code == 1
    assert result.output.splitlines()[-1].startswith("Error: no tag 'diagnosys' (tags: ")


def test_config_new_per_day_for_one_deck_within_the_global_cap(db):
    result = run(db, "config", "new-per-day", "2", "--deck", "demo")
    assert result.exit_code == 0, result.output
    assert "new-per-day = 2 for deck demo  (within the global 20)" in result.output
    assert run(db, "config", "leech-lapses", "3", "--deck", "demo").exit_code == 2
    assert run(db, "config", "new-per-day", "2", "--deck", "nope").exit_code == 1
    review = run(db, "review", "--deck", "demo", input="q\n")
    assert "Card 1 of 2  2 new" in review.output
    result = run(db, "config", "new-per-day", "--reset", "--deck", "demo")
    assert "deck demo has no limit of its own; the global one applies" in result.output
    assert "Card 1 of 4  4 new" in run(db, "review", "--deck", "demo", input="q\n").output


def test_the_first_review_says_once_where_the_database_was_created_and_how_to_come_back(tmp_path):
    db = tmp_path / "first.db"
    result = CliRunner().invoke(cli, ["review", "--db", str(db)], input="q\n", env={"OSTEO_LEARN_TODAY": DAY})
    notice = f"Created your study database {db}: your progress is kept there. Come back with osteo-learn review --db {db}."
    assert result.output.count(notice) == 1
    again = CliRunner().invoke(cli, ["review", "--db", str(db)], input="q\n", env={"OSTEO_LEARN_TODAY": DAY})
    assert "Created" not in again.output

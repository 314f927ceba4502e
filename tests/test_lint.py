"""Item-writing warnings: each fires on a small bad deck and not on its corrected form."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from osteo_learn.commands.cli import cli
from osteo_learn.core.cards import Basic, Card, Cloze, Deck, SourceDocument, Vignette
from osteo_learn.core.lint import lint

ARTICLE = (
    "Osteoporosis weakens bones. A vertebral compression fracture may press on a nearby nerve root. "
    "Narrowing of the spinal canal is called spinal stenosis. An MRI can show nerve compression; "
    "a CT scan shows the bone. Physical therapy is tried first; surgery is considered when symptoms persist."
)


def deck_of(*contents, sources: dict[int, str] | None = None) -> Deck:
    """A deck with one card per content, ids c0, c1, ..., on lines 10, 20, ...;
    each card's source is the article with its answer (unless ``sources`` says)."""
    sources = sources or {}
    cards = tuple(
        Card(f"c{i}", ("demo",), sources.get(i, f"{ARTICLE} {_answer(content)}"), content, line=10 * (i + 1))
        for i, content in enumerate(contents)
    )
    return Deck("demo", "Demo", "A demo deck.", SourceDocument("Demo", Path("demo.txt"), ARTICLE), cards, Path("demo.toml"))


def _answer(content) -> str:
    if isinstance(content, Basic):
        return content.back
    return content.answer if isinstance(content, Vignette) else ""


def codes(deck: Deck) -> list[tuple[str, str]]:
    return [(w.card_id, w.code) for w in lint(deck)]


def case(options, answer, *, stem="A 70-year-old woman has had numbness in her left leg for three months.", question="Which of the following is the most appropriate next step?"):
    return Vignette(stem, question, tuple(options), answer, "Explained from the article.")


GOOD_OPTIONS = ["MRI of the lumbar spine", "Physical therapy referral", "Decompression surgery", "Repeat visit in a year"]


def test_a_well_written_deck_has_no_warning():
    deck = deck_of(
        Basic("What is narrowing of the spinal canal called?", "Spinal stenosis."),
        Cloze("A vertebral compression {{c1::fracture}} may press on a nearby {{c2::nerve root}}."),
        case(GOOD_OPTIONS, "MRI of the lumbar spine"),
    )
    assert lint(deck) == []


def test_a_key_much_longer_than_every_distractor_is_a_cue():
    long_key = "An MRI of the lumbar spine to look for nerve compression by a fracture"
    bad = deck_of(case([long_key, "CT scan", "Blood count", "Bone scan"], long_key))
    fixed = deck_of(case(["MRI of the lumbar spine", "CT of the lumbar spine", "Complete blood count", "Whole-body bone scan"], "MRI of the lumbar spine"))
    assert codes(bad) == [("c0", "long-key")]
    assert codes(fixed) == []


def test_the_only_option_sharing_a_word_with_the_case_is_a_cue():
    stem = "A 70-year-old woman has numbness down her leg; examination suggests a nerve root is pressed."
    bad = deck_of(case(["Pressed nerve root", "Vitamin deficiency", "Poor circulation", "Muscle strain"], "Pressed nerve root", stem=stem))
    fixed = deck_of(case(["Pressed nerve root", "Pressed blood vessel", "Inflamed muscle root", "Nerve damage from diabetes"], "Pressed nerve root", stem=stem))
    assert codes(bad) == [("c0", "echoed-key")]
    assert ("c0", "echoed-key") not in codes(fixed)


@pytest.mark.parametrize("option", ["All of the above", "None of the above"])
def test_all_or_none_of_the_above_is_a_warning(option):
    bad = deck_of(case([*GOOD_OPTIONS[:3], option], GOOD_OPTIONS[0]))
    assert ("c0", "above") in codes(bad)
    assert codes(deck_of(case(GOOD_OPTIONS, GOOD_OPTIONS[0]))) == []


@pytest.mark.parametrize("word", ["always", "never", "only", "completely"])
def test_absolute_words_in_options_are_warnings(word):
    bad = deck_of(case([GOOD_OPTIONS[0], f"Surgery is {word} needed", *GOOD_OPTIONS[2:]], GOOD_OPTIONS[0]))
    assert [w.code for w in lint(bad)] == ["absolute"]
    assert word in lint(bad)[0].message


def test_an_article_only_the_key_fits_is_a_grammatical_cue():
    options = ["Electromyography", "Spine radiograph", "Blood count", "Bone scan"]
    bad = deck_of(case(options, "Electromyography", question="The most appropriate first test is an"))
    fixed = deck_of(case(options, "Electromyography", question="Which test is most appropriate first?"))
    assert codes(bad) == [("c0", "article")]
    assert codes(fixed) == []


def test_a_plural_lead_in_only_the_key_matches_is_a_grammatical_cue():
    question = "Which of the following are the most likely findings?"
    bad = deck_of(case(["Narrowed nerve exits", "Normal spine", "A healed rib", "Weak grip"], "Narrowed nerve exits", question=question))
    fixed = deck_of(case(["Narrowed nerve exits", "Widened disc spaces", "Healed rib fractures", "Thickened ligaments"], "Narrowed nerve exits", question=question))
    assert codes(bad) == [("c0", "number")]
    assert codes(fixed) == []


def test_a_yes_no_front_is_a_warning():
    bad = deck_of(Basic("Does osteoporosis itself typically cause leg numbness?", "No, not typically."))
    fixed = deck_of(Basic("How does osteoporosis usually lead to leg numbness?", "Indirectly, through changes in the spine."))
    assert codes(bad) == [("c0", "yes-no")]
    assert codes(fixed) == []


def test_a_front_that_gives_another_cards_answer_away_is_a_warning():
    asked = Basic("What is narrowing of the spinal canal called?", "Spinal stenosis.")
    bad = deck_of(asked, Basic("Which symptoms can narrowing of the spinal canal (spinal stenosis) cause?", "Numbness."))
    fixed = deck_of(asked, Basic("Which symptoms can a narrowed spinal canal cause?", "Numbness."))
    assert codes(bad) == [("c1", "shows-answer")]
    assert "c0" in lint(bad)[0].message
    assert codes(fixed) == []


def test_naming_a_term_in_passing_gives_nothing_away():
    deck = deck_of(
        Basic("What is narrowing of the spinal canal called?", "Spinal stenosis."),
        Basic("Which test can show spinal stenosis?", "An MRI."),
    )
    assert codes(deck) == []


def test_a_front_listing_the_deletions_of_a_cloze_prints_its_set():
    listed = Cloze("Imaging such as {{c1::MRI}} or {{c2::CT}} can show nerve compression.")
    bad = deck_of(listed, Basic("What do MRI and CT scans show?", "The bone and the nerves."))
    fixed = deck_of(listed, Basic("Which test measures the electrical activity of muscles?", "EMG."))
    assert codes(bad) == [("c1", "shows-answer")]
    assert codes(fixed) == []


def test_a_deletion_shown_elsewhere_in_its_own_text_is_guessable():
    bad = deck_of(Cloze("A {{c1::fracture}} of a vertebra, a compression fracture, may press on a nerve."))
    fixed = deck_of(Cloze("A {{c1::fracture}} of a vertebra may press on a nerve."))
    assert codes(bad) == [("c0", "sibling-answer")]
    assert codes(fixed) == []


def test_a_sibling_deletion_with_the_same_answer_is_a_warning():
    bad = deck_of(Cloze("{{c1::MRI}} shows nerves; {{c2::MRI}} also shows discs."))
    assert codes(bad) == [("c0", "sibling-answer"), ("c0", "sibling-answer")]


def test_near_duplicate_fronts_are_a_warning():
    one = Basic("Which imaging test can help identify nerve compression in the lower back?", "An MRI.")
    bad = deck_of(one, Basic("Which imaging test can help identify nerve compression in the low back?", "MRI."))
    fixed = deck_of(one, Basic("Which test measures the electrical activity of muscles?", "EMG."))
    assert codes(bad) == [("c1", "near-duplicate")]
    assert "c0" in lint(bad)[0].message
    assert codes(fixed) == []


def test_a_source_shorter_than_its_answer_is_a_warning():
    card = Basic("What may a vertebral compression fracture press on?", "A nearby nerve root, which can cause numbness in the leg.")
    assert codes(deck_of(card, sources={0: "press on a nearby nerve root"})) == [("c0", "short-source")]
    assert codes(deck_of(card, sources={0: ARTICLE})) == []


def test_a_source_sharing_no_content_word_with_its_answer_is_a_warning():
    card = Basic("What is tried first?", "Physical therapy.")
    assert codes(deck_of(card, sources={0: "Osteoporosis weakens bones and vertebrae."})) == [("c0", "unrelated-source")]
    assert codes(deck_of(card, sources={0: "Physical therapy is tried first"})) == []


def test_warnings_come_in_file_order_with_file_line_and_card_id():
    deck = deck_of(
        Basic("Is surgery tried first?", "No."),
        case([GOOD_OPTIONS[0], "None of the above", *GOOD_OPTIONS[2:]], GOOD_OPTIONS[0]),
    )
    found = [str(w) for w in lint(deck)]
    assert found[0].startswith("demo.toml:10: card 'c0': warning (yes-no): ")
    assert found[1].startswith("demo.toml:20: card 'c1': warning (above): ")


def test_the_near_duplicate_check_stays_linear_on_a_large_deck():
    # 3,000 fronts that all share their words: compared through rare word
    # triples only, never pair by pair (which would be 4.5 million pairs).
    deck = deck_of(*(Basic(f"What does card number {n} of the spine deck ask about nerve {n * 7}?", f"Fact {n}.") for n in range(3000)))
    assert all(w.code != "near-duplicate" for w in lint(deck))


# -- the command -----------------------------------------------------------------------------

DECK_FILE = """\
id = "demo"
title = "Demo deck"
description = "A small deck for tests."

[source]
title = "Demo article"
file = "demo.txt"

[[cards]]
id = "stenosis"
kind = "basic"
tags = ["mechanism"]
front = "{front}"
back = "{back}"
source = "Narrowing of the spinal canal is called spinal stenosis."
"""


def write_deck(tmp_path: Path, front: str, back: str = "Spinal stenosis.") -> Path:
    (tmp_path / "demo.txt").write_text(ARTICLE)
    path = tmp_path / "demo.toml"
    path.write_text(textwrap.dedent(DECK_FILE.format(front=front, back=back)))
    return path


def test_check_prints_warnings_and_exits_0_unless_strict(tmp_path):
    path = write_deck(tmp_path, "Is narrowing of the spinal canal called spinal stenosis?", back="Yes: spinal stenosis.")
    result = CliRunner().invoke(cli, ["check", str(path)])
    assert result.exit_code == 0, result.output
    assert f"{path}:13: card 'stenosis': warning (yes-no): the front is answered by yes or no" in result.stderr
    assert result.stdout.strip().endswith("(1 basic, 0 cloze, 0 vignette); 1 item-writing warning")
    strict = CliRunner().invoke(cli, ["check", "--strict", str(path)])
    assert strict.exit_code == 1
    assert strict.stderr.strip().endswith("Error: 1 of 1 deck file(s) have item-writing warnings (--strict)")


def test_check_strict_passes_a_deck_without_warnings(tmp_path):
    path = write_deck(tmp_path, "What is narrowing of the spinal canal called?")
    result = CliRunner().invoke(cli, ["check", "--strict", str(path)])
    assert result.exit_code == 0, result.output
    assert "warning" not in result.output


def test_the_released_decks_known_flaws_are_found_and_the_rewrite_has_none(tmp_path):
    """The deck as released before its rewrite had a yes/no front, fronts
    printing other cards' answers and cut sources (found by reading it); the
    rewritten bundled deck has none of them."""
    from osteo_learn.core.deck import load

    repo = Path(__file__).resolve().parents[1]
    (tmp_path / "sources").mkdir()
    source = repo / "decks" / "sources" / "osteoporosis-leg-numbness.txt"
    (tmp_path / "sources" / source.name).write_bytes(source.read_bytes())
    released = tmp_path / "released.toml"
    released.write_bytes((repo / "tests" / "data" / "osteoporosis-leg-numbness-75107f8.toml").read_bytes())
    found = set(codes(load(released)))
    assert {
        ("direct-cause", "yes-no"),
        ("direct-cause", "short-source"),
        ("structural-changes-common", "shows-answer"),
        ("tools-question", "shows-answer"),
        ("preventive-effects", "shows-answer"),
    } <= found
    assert lint(load(repo / "decks" / "osteoporosis-leg-numbness.toml")) == []

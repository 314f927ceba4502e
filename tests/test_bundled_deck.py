"""Content checks of the bundled deck, read straight from its TOML file.

These tests deliberately use only ``tomllib`` so that they guard the study
material itself (faithful sources, enough well-formed cards and vignettes)
independently of the deck loader.
"""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from pathlib import Path

import pytest

DECKS = Path(__file__).parents[1] / "decks"
DECK_FILE = DECKS / "osteoporosis-leg-numbness.toml"

ID_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
TAG_RE = re.compile(r"[a-z]+(?:-[a-z]+)*")
DELETION_RE = re.compile(r"\{\{c(\d+)::(.*?)(?:::(.*?))?\}\}", re.DOTALL)
# Deletions taken out of a cloze after students had studied them. A deletion
# number is part of a card's identity (its review history hangs on it), so
# the remaining deletions keep their numbers and a retired number is never
# given to new text.
RETIRED_DELETIONS = {
    "leg-symptoms": {2},
    "sciatic-sensations": {1},
    "silent-disease-cloze": {1},
}
FORBIDDEN_OPTION_PHRASES = ("all of the above", "none of the above", "except")
STOP_WORDS = {
    "a", "an", "and", "are", "as", "at", "by", "for", "from", "in", "into", "is", "it",
    "its", "of", "on", "or", "since", "the", "then", "to", "with", "without",
}


def normalise_space(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def deck() -> dict:
    with DECK_FILE.open("rb") as handle:
        return tomllib.load(handle)


@pytest.fixture(scope="module")
def source_text(deck) -> str:
    return (DECK_FILE.parent / deck["source"]["file"]).read_text(encoding="utf-8")


def cards_of(deck: dict, *kinds: str) -> list[dict]:
    return [card for card in deck["cards"] if card["kind"] in kinds]


def words(text: str) -> list[str]:
    return [w for w in re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)*", text.lower()) if w not in STOP_WORDS]


def mentioned(word: str, text_words: set[str]) -> bool:
    """A word counts as mentioned if a word of the text shares its first five letters
    (a crude stem, so "injection" matches "injections" and "narrowed" matches "narrow")."""
    stem = word[:5]
    return any(other[:5] == stem for other in text_words)


def test_deck_id_is_well_formed_and_matches_file_name(deck):
    assert ID_RE.fullmatch(deck["id"])
    assert deck["id"] == DECK_FILE.stem


def test_description_says_the_deck_is_study_material_not_medical_advice(deck):
    description = deck["description"].lower()
    assert "not medical advice" in description
    assert "article" in description


def test_every_source_excerpt_occurs_in_the_source_document(deck, source_text):
    document = normalise_space(source_text)
    missing = [card["id"] for card in deck["cards"] if normalise_space(card["source"]) not in document]
    assert missing == []


def test_every_source_excerpt_is_more_than_a_fragment(deck):
    short = [card["id"] for card in deck["cards"] if len(card["source"].split()) < 2]
    assert short == []


def test_deck_has_at_least_forty_flashcards_and_eight_vignettes(deck):
    assert len(cards_of(deck, "basic", "cloze")) >= 40
    assert len(cards_of(deck, "vignette")) >= 8


def test_card_ids_are_unique_and_well_formed(deck):
    ids = [card["id"] for card in deck["cards"]]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
    assert [i for i in ids if not ID_RE.fullmatch(i)] == []


def test_every_card_has_at_least_one_well_formed_tag(deck):
    for card in deck["cards"]:
        assert card["tags"], card["id"]
        assert all(TAG_RE.fullmatch(tag) for tag in card["tags"]), card["id"]


def test_deck_uses_a_small_set_of_topic_tags(deck):
    tags = {tag for card in deck["cards"] for tag in card["tags"]}
    assert 5 <= len(tags) <= 8, sorted(tags)


def test_cards_have_the_fields_of_their_kind_filled_in(deck):
    required = {
        "basic": ("front", "back"),
        "cloze": ("text",),
        "vignette": ("stem", "question", "options", "answer", "explanation"),
    }
    for card in deck["cards"]:
        assert card["kind"] in required, card["id"]
        for key in ("source",) + required[card["kind"]]:
            assert card.get(key), (card["id"], key)


def test_every_cloze_has_deletions_numbered_from_one_with_gaps_only_where_retired(deck):
    for card in cards_of(deck, "cloze"):
        found = DELETION_RE.findall(card["text"])
        assert found, card["id"]
        assert all(answer.strip() for _, answer, _ in found), card["id"]
        numbers = {int(n) for n, _, _ in found}
        retired = RETIRED_DELETIONS.get(card["id"], set())
        assert not numbers & retired, (card["id"], "reuses a retired deletion number")
        everything = numbers | retired
        assert sorted(everything) == list(range(1, max(everything) + 1)), card["id"]


def test_retired_deletions_belong_to_cloze_cards_of_the_deck(deck):
    cloze_ids = {card["id"] for card in cards_of(deck, "cloze")}
    assert set(RETIRED_DELETIONS) <= cloze_ids


def test_cloze_answers_are_short(deck):
    for card in cards_of(deck, "cloze"):
        for _, answer, _ in DELETION_RE.findall(card["text"]):
            assert len(answer.split()) <= 5, (card["id"], answer)


def test_each_vignette_has_four_or_five_distinct_options(deck):
    for card in cards_of(deck, "vignette"):
        options = card["options"]
        assert len(options) in (4, 5), card["id"]
        assert len({normalise_space(o).lower() for o in options}) == len(options), card["id"]


def test_each_vignette_answer_is_one_of_its_options(deck):
    for card in cards_of(deck, "vignette"):
        assert card["options"].count(card["answer"]) == 1, card["id"]


def test_no_vignette_option_uses_all_none_of_the_above_or_except(deck):
    for card in cards_of(deck, "vignette"):
        for option in card["options"]:
            lowered = option.lower()
            assert not any(phrase in lowered for phrase in FORBIDDEN_OPTION_PHRASES), (card["id"], option)


def test_vignette_lead_ins_do_not_use_except(deck):
    for card in cards_of(deck, "vignette"):
        assert "except" not in card["question"].lower(), card["id"]


def test_correct_answer_is_seldom_the_longest_option(deck):
    vignettes = cards_of(deck, "vignette")
    longest = [
        card["id"]
        for card in vignettes
        if all(len(card["answer"]) > len(o) for o in card["options"] if o != card["answer"])
    ]
    assert len(longest) <= len(vignettes) // 4, longest


def test_correct_answer_position_varies_across_vignettes(deck):
    # A student must not learn that the answer is always (or mostly) option A.
    vignettes = cards_of(deck, "vignette")
    positions = Counter(card["options"].index(card["answer"]) for card in vignettes)
    assert max(positions.values()) * 2 <= len(vignettes), positions
    assert len(positions) >= 3, positions


def test_each_vignette_explanation_addresses_every_option(deck):
    # At least half of each option's content words must appear in the
    # explanation: an explanation that ignores an option fails, while free
    # rewording of the explanation stays allowed.
    for card in cards_of(deck, "vignette"):
        explanation_words = set(words(card["explanation"]))
        for option in card["options"]:
            option_words = words(option)
            hits = [w for w in option_words if mentioned(w, explanation_words)]
            assert option_words and len(hits) * 2 >= len(option_words), (card["id"], option)


def test_vignettes_together_cover_every_topic(deck):
    covered = {tag for card in cards_of(deck, "vignette") for tag in card["tags"]}
    for topic in ("symptoms", "mechanism", "diagnosis", "treatment", "surgery", "prevention"):
        assert topic in covered, topic


def test_flashcards_cover_every_topic(deck):
    covered = {tag for card in cards_of(deck, "basic", "cloze") for tag in card["tags"]}
    for topic in ("overview", "symptoms", "mechanism", "diagnosis", "treatment", "surgery", "prevention"):
        assert topic in covered, topic


def test_strings_are_plain_text_without_html_or_markdown(deck):
    markup = re.compile(r"<[a-zA-Z/][^>]*>|\*\*|__|`")
    for card in deck["cards"]:
        for key, value in card.items():
            values = value if isinstance(value, list) else [value]
            for text in values:
                assert not markup.search(text), (card["id"], key)

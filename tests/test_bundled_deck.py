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
}
# Entries taken out of the deck after students had studied them. Their review
# history stays in students' databases under these ids (the cards are
# retired, hidden from review), so no new card may ever take one of them.
RETIRED_IDS = frozenset({
    "advanced-fracture-cloze", "collapse-alters-alignment", "collapse-lower-back",
    "conservative-besides-injections", "dexa-is-screening", "early-recognition-actions",
    "emg-meaning", "epidural-purpose", "evaluation-trigger", "exercise-type",
    "herniated-disc-link", "indirect-not-unrelated", "indirect-route",
    "injection-is-conservative", "lumbar-region", "misalignment-conditions",
    "misalignment-narrows-exits", "nutrients", "preventive-effects", "primarily-known-for",
    "progression-needed", "radiculopathy-term", "sciatic-name", "sciatic-where-felt",
    "silent-disease-cloze", "slow-not-stop", "spinal-stenosis-term",
    "structural-changes-common", "summary-sets-stage", "surgery-when", "tests-spinal-damage",
    "tools-question", "usual-cause-of-leg-numbness", "vignette-injection-purpose",
    "vignette-radiculopathy", "why-minor-trauma",
})
FORBIDDEN_OPTION_PHRASES = ("all of the above", "none of the above", "except")
# Absolute words tell a test-wise student that an option is wrong.
ABSOLUTE_WORDS = {"always", "never", "only", "completely", "all", "none", "every"}
STOP_WORDS = {
    "a", "an", "and", "are", "as", "at", "by", "for", "from", "in", "into", "is", "it",
    "its", "of", "on", "or", "since", "the", "then", "to", "with", "without",
}
# Words of a lead-in that say nothing about the answer, and the deck's subject,
# which every case names: neither makes an option stand out.
NEUTRAL_WORDS = STOP_WORDS | {
    "which", "following", "most", "likely", "appropriate", "best", "this", "her", "his",
    "osteoporosis",
}
YES_NO_START = re.compile(r"(is|are|was|were|does|do|did|can|could|should|will|would|has|have|may)\b", re.IGNORECASE)


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


def stems(text: str) -> set[str]:
    """Content words cut to their first five letters (a crude stem, as in ``mentioned``)."""
    return {w[:5] for w in re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)*", text.lower()) if w not in NEUTRAL_WORDS}


def sentences(document: str) -> list[str]:
    """The article's sentences, whitespace-normalised; headings (no final period) left out."""
    found = []
    for line in document.splitlines():
        line = line.strip()
        if line.endswith("."):
            found += [normalise_space(s) for s in re.split(r"(?<=[.!?])\s+(?=[A-Z])", line)]
    return found


def prompts(deck: dict) -> list[tuple[str, str]]:
    """(card id, the text a card shows besides its own answer): a basic card's
    front, a cloze entry's text outside all of its deletions."""
    shown = []
    for card in deck["cards"]:
        if card["kind"] == "basic":
            shown.append((card["id"], card["front"]))
        elif card["kind"] == "cloze":
            shown.append((card["id"], DELETION_RE.sub(" ... ", card["text"])))
    return shown


def flashcard_answers(deck: dict) -> list[tuple[str, str]]:
    """(card id, answer): a basic card's back, each deletion of a cloze."""
    found = []
    for card in deck["cards"]:
        if card["kind"] == "basic":
            found.append((card["id"], card["back"]))
        elif card["kind"] == "cloze":
            found += [(card["id"], answer) for _, answer, _ in DELETION_RE.findall(card["text"])]
    return found


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


def test_every_source_excerpt_is_whole_sentences_of_the_article(deck, source_text):
    # A source cut mid-sentence may not support its card on its own: each one
    # runs from the start of a sentence to the end of one.
    article = sentences(source_text)
    runs = {" ".join(article[i:j]) for i in range(len(article)) for j in range(i + 1, len(article) + 1)}
    cut = [card["id"] for card in deck["cards"] if normalise_space(card["source"]) not in runs]
    assert cut == []


def test_every_sentence_of_the_article_is_the_source_of_some_card(deck, source_text):
    sources = [normalise_space(card["source"]) for card in deck["cards"]]
    uncovered = [s for s in sentences(source_text) if not any(s in source for source in sources)]
    assert uncovered == []


def test_every_flashcard_source_is_longer_than_its_answer_and_shares_a_word_with_it(deck):
    by_id = {card["id"]: card for card in deck["cards"]}
    for card_id, answer in flashcard_answers(deck):
        source = by_id[card_id]["source"]
        assert len(source) > len(answer), (card_id, answer)
        assert stems(answer) & stems(source), (card_id, answer)


def test_deck_has_at_least_forty_flashcards_and_sixteen_vignettes(deck):
    # Flashcards are counted as studied: one per basic entry, one per deletion.
    studied = len(cards_of(deck, "basic")) + sum(
        len({n for n, _, _ in DELETION_RE.findall(card["text"])}) for card in cards_of(deck, "cloze")
    )
    assert studied >= 40
    assert len(cards_of(deck, "vignette")) >= 16


def test_no_card_takes_the_id_of_a_retired_card(deck):
    assert {card["id"] for card in deck["cards"]} & RETIRED_IDS == set()


def test_no_basic_card_asks_a_yes_no_question(deck):
    assert [card["id"] for card in cards_of(deck, "basic") if YES_NO_START.match(card["front"])] == []


def test_no_card_shows_the_answer_of_another_card(deck):
    # A front, or a cloze's text outside its deletions, must not contain the
    # answer of another card (an answer's leading article and final period
    # aside). The deletions of one cloze show each other: they are one set.
    def plain(text: str) -> str:
        return " " + " ".join(re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)*", text.lower())) + " "

    shown = []
    for card_id, answer in flashcard_answers(deck):
        core = plain(re.sub(r"^(the|a|an|to|for a|as an|an indirect one:)\s+", "", answer.strip().lower()))
        for other_id, prompt in prompts(deck):
            if other_id != card_id and core in plain(prompt):
                shown.append((other_id, card_id, core.strip()))
    assert shown == []


def test_no_two_flashcard_prompts_are_near_duplicates(deck):
    from difflib import SequenceMatcher

    texts = [(card_id, normalise_space(DELETION_RE.sub(r"\2", text)).lower()) for card_id, text in prompts(deck)]
    similar = [
        (a, b)
        for i, (a, x) in enumerate(texts)
        for b, y in texts[i + 1 :]
        if SequenceMatcher(None, x, y).ratio() > 0.6
    ]
    assert similar == []


def test_no_cloze_context_repeats_one_of_its_own_deletions(deck):
    for card in cards_of(deck, "cloze"):
        context = normalise_space(DELETION_RE.sub(" ", card["text"])).lower()
        for _, answer, _ in DELETION_RE.findall(card["text"]):
            assert normalise_space(answer).lower() not in context, (card["id"], answer)


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


def test_correct_answer_is_never_the_longest_option(deck):
    # Some distractor is strictly longer than the key, in every vignette.
    longest = [
        card["id"]
        for card in cards_of(deck, "vignette")
        if all(len(card["answer"]) >= len(o) for o in card["options"] if o != card["answer"])
    ]
    assert longest == []


def test_correct_answer_positions_are_spread_evenly_over_a_to_e(deck):
    # A student must not learn that the answer is mostly one letter: the five
    # positions are keyed as often as each other, give or take one.
    positions = Counter(card["options"].index(card["answer"]) for card in cards_of(deck, "vignette"))
    counts = [positions.get(i, 0) for i in range(5)]
    assert max(counts) - min(counts) <= 1, counts


def test_no_vignette_option_uses_an_absolute_word(deck):
    for card in cards_of(deck, "vignette"):
        for option in card["options"]:
            assert not set(re.findall(r"[a-z]+", option.lower())) & ABSOLUTE_WORDS, (card["id"], option)


def test_no_vignette_option_alone_echoes_the_case_or_lead_in(deck):
    # An option that repeats a word of the stem or lead-in draws the eye,
    # unless every option does.
    for card in cards_of(deck, "vignette"):
        case = stems(card["stem"] + " " + card["question"])
        echoing = [o for o in card["options"] if stems(o) & case]
        assert echoing == [] or len(echoing) == len(card["options"]), (card["id"], echoing)


def test_vignette_lead_ins_end_without_an_article_cue(deck):
    for card in cards_of(deck, "vignette"):
        assert card["question"].endswith("?"), card["id"]
        assert card["question"].rstrip("?").split()[-1].lower() not in ("a", "an"), card["id"]


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


def test_the_bundled_deck_passes_check_strict():
    from click.testing import CliRunner

    from osteo_learn.commands.cli import cli

    result = CliRunner().invoke(cli, ["check", "--strict"])
    assert result.exit_code == 0, result.output
    assert "warning" not in result.output

"""Item-writing cues in a valid deck: what a board item writer would send back.

A deck can be valid and still teach test-taking: a key that is the longest
option or the only one echoing the stem, an "an" that only the key fits, a
card whose front prints another card's answer, two cards asking the same
thing the same way, a ``source`` too short to support its card. These are
*warnings*, found by heuristics over the text (the NBME item-writing guide's
"technical flaws" and Wozniak's rules of formulating knowledge); each one
says what to change. :func:`lint` is pure: a deck in, warnings out.

The rules, by code:

==================  ===========================================================
``long-key``        a vignette's key much longer than every other option
``echoed-key``      the key the only option sharing a content word with the case
``above``           "all of the above" or "none of the above" among the options
``absolute``        an absolute word (always, never, only, completely...) in an option
``article``         the lead-in ends in "a" or "an" and only the key fits it
``number``          the lead-in asks for a singular or plural only the key matches
``yes-no``          a basic front answered by yes or no
``shows-answer``    a front, cloze context or case that contains another card's answer
``sibling-answer``  a cloze deletion whose answer the rest of its text shows
``near-duplicate``  two fronts that ask nearly the same thing the same way
``short-source``    a source shorter than the answer it supports
``unrelated-source``  a source sharing no content word with its card's answer
==================  ===========================================================
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path

from osteo_learn.core import cloze
from osteo_learn.core.cards import Basic, Card, Cloze, Deck, Vignette

# How much longer than the longest other option a key may be before it stands out.
LONG_KEY_RATIO = 1.5
LONG_KEY_MIN_EXTRA = 12  # characters

# Fronts this similar (0-1, over their words) ask the same thing the same way.
NEAR_DUPLICATE = 0.85
# ... compared on this many words of each (a front is short; two fronts of
# 100,000 characters took seconds a pair to compare whole).
NEAR_DUPLICATE_WORDS = 200

# An answer of more words than this is a sentence: it is not looked for in other fronts.
SHORT_ANSWER_WORDS = 6

# An answer found in more fronts than this is a term of the deck's topic, not a giveaway.
COMMON_ANSWER = 50

ABSOLUTE_WORDS = frozenset(
    "always never only completely entirely totally absolutely invariably certainly guaranteed".split()
)

# Words that carry no content of their own, for matching content words.
STOP_WORDS = frozenset(
    """
    a about above after again against all also am an and any are as at be because been before being
    below between both but by can cannot could did do does doing down during each few for from further
    had has have having he her here hers him his how i if in into is it its itself just may me might
    more most much must my no nor not now of off on once one or other our out over own same she should
    so some such than that the their them then there these they this those through to too under until
    up upon very via was we were what when where which while who whom why will with would you your
    following best likely most next patient patients man woman year years old
    """.split()
)

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_YES_NO_FRONT = re.compile(r"^(is|are|was|were|do|does|did|can|could|should|will|would|has|have|may|might)\b", re.IGNORECASE)
_YES_NO_BACK = re.compile(r"^(yes|no)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Warning:
    """One item-writing cue, with its place and what to change."""

    path: Path
    line: int
    card_id: str
    code: str
    message: str

    def __str__(self) -> str:
        place = f"{self.path}:{self.line}" if self.line else f"{self.path}"
        return f"{place}: card '{self.card_id}': warning ({self.code}): {self.message}"


def lint(deck: Deck) -> list[Warning]:
    """Every item-writing cue in ``deck``, in file order."""
    found: list[Warning] = []
    for card in deck.cards:
        found += [_warning(deck, card, *cue) for cue in _card_cues(card)]
    found += [_warning(deck, card, *cue) for card, *cue in _deck_cues(deck)]
    return sorted(found, key=lambda w: (w.line, w.card_id, w.code))


def _warning(deck: Deck, card: Card, code: str, message: str, field: str) -> Warning:
    """A warning placed on the line of the card's field it is about."""
    return Warning(deck.path, card.line_of(field), card.id, code, message)


# -- one card at a time --------------------------------------------------------------


def _card_cues(card: Card) -> Iterator[tuple[str, str, str]]:
    """(code, message, field) for each cue within one card."""
    content = card.content
    if isinstance(content, Vignette):
        yield from _vignette_cues(content)
    if isinstance(content, Basic) and _YES_NO_FRONT.match(content.front.strip()) and _YES_NO_BACK.match(content.back.strip()):
        yield "yes-no", "the front is answered by yes or no; ask for the fact itself (what, which, how) so recall is more than a coin toss", "front"
    if isinstance(content, Cloze):
        for number in content.numbers():
            for answer in cloze.answers(content.text, number):
                context = cloze.render(content.text, number, reveal=False)
                if _contains(context, answer):
                    yield (
                        "sibling-answer",
                        f"deletion c{number} ({_quote(answer)}) still shows in the rest of its text; "
                        "hide every place it stands or reword the other",
                        "text",
                    )
    yield from _source_cues(card)


def _vignette_cues(item: Vignette) -> Iterator[tuple[str, str, str]]:
    key = item.answer
    others = [o for o in item.options if o != key]
    longest = max(len(o) for o in others)
    if len(key) >= LONG_KEY_RATIO * longest and len(key) - longest >= LONG_KEY_MIN_EXTRA:
        yield "long-key", f"the key ({len(key)} characters) is much longer than every other option (at most {longest}); shorten it or give the others the same detail", "options"
    case_words = _content_words(item.stem + " " + item.question)
    sharing = [o for o in item.options if _content_words(o) & case_words]
    if sharing == [key]:
        shared = sorted(_content_words(key) & case_words)
        yield "echoed-key", f"only the key shares words with the case ({', '.join(shared)}); reword the key or let the other options use the case's words too", "options"
    for option in item.options:
        text = option.casefold()
        if "all of the above" in text or "none of the above" in text:
            yield "above", f"option {_quote(option)}: avoid 'all/none of the above'; give a single best answer", "options"
        absolute = sorted(ABSOLUTE_WORDS & set(_words(option)))
        if absolute:
            yield "absolute", f"option {_quote(option)} uses {', '.join(absolute)}: absolute words tell a test-wise student it is wrong; state it without them", "options"
    lead = _words(item.question)
    if lead and lead[-1] in ("a", "an"):
        fits = [o for o in item.options if _starts_with_vowel(o) == (lead[-1] == "an")]
        if fits == [key]:
            yield "article", f"the lead-in ends in '{lead[-1]}' and only the key fits it; end the lead-in before the article", "question"
    wanted, numbers = _number_asked(lead), [_number(o) for o in item.options]
    if wanted is not None and None not in numbers:
        matching = [o for o, plural in zip(item.options, numbers) if plural == wanted]
        if matching == [key]:
            yield "number", f"the lead-in asks for a {'plural' if wanted else 'singular'} and only the key is one; make the options agree in number", "options"


def _source_cues(card: Card) -> Iterator[tuple[str, str, str]]:
    """The source must hold at least the answer, and speak of it. A case's
    source backs its explanation (why the key is right), so the key and the
    explanation together must share a word with it."""
    answer = _answer_text(card)
    if not answer:
        return
    backed = f"{answer} {card.content.explanation}" if isinstance(card.content, Vignette) else answer
    if len(card.source) < len(answer):
        yield "short-source", f"the source ({len(card.source)} characters) is shorter than the answer it supports ({len(answer)}); quote the whole passage", "source"
    elif _content_words(backed) and not _content_words(backed) & _content_words(card.source):
        yield "unrelated-source", "the source shares no content word with the answer; quote the passage that states it", "source"


# -- across the deck -------------------------------------------------------------------


def _deck_cues(deck: Deck) -> Iterator[tuple[Card, str, str, str]]:
    """(card, code, message, field) for each cue between cards."""
    yield from _shown_answers(deck)
    yield from _near_duplicates(deck)


def _shown_answers(deck: Deck) -> Iterator[tuple[Card, str, str, str]]:
    """Flashcards whose front or cloze context gives another flashcard's answer away.

    A front gives an answer away when it states the answer together with
    the other card's cue: at least half (and at least two) of the content
    words the other card asks with, the deck's topic words (those in more
    than a quarter of its fronts) left out. Naming a term in passing is no
    giveaway; "narrowing of the spinal canal (spinal stenosis)" on one card
    is, for a card asking what narrowing of the spinal canal is called. Cases are
    left out on both sides: a stem states findings other cards ask about,
    and a key is decided by its case. A front listing two or more deletions
    of a cloze beside a word of that cloze's context prints its set.

    Linear in the deck: each front's word runs are looked up among the
    answers; an answer found in more than :data:`COMMON_ANSWER` fronts is a
    term of the topic, not a giveaway, and is not followed further.
    """
    flashcards = [card for card in deck.cards if not isinstance(card.content, Vignette)]
    prompts = [(card, _words(_prompt(card)), _content_words(_prompt(card))) for card in flashcards]
    frequency = Counter(word for _, _, words in prompts for word in words)
    topic = {word for word, n in frequency.items() if len(prompts) >= 8 and n > len(prompts) / 4}
    # Every short answer by its words: (owner, the answer as written, is one deletion of a set).
    answers: dict[tuple[str, ...], list[tuple[int, str, bool]]] = defaultdict(list)
    for index, (card, _, _) in enumerate(prompts):
        in_set = isinstance(card.content, Cloze) and len(card.content.numbers()) > 1
        for answer in _short_answers(card):
            if _content_words(answer):
                answers[tuple(_words(answer))].append((index, answer, in_set))
    answers_of: dict[int, list[tuple[str, ...]]] = defaultdict(list)
    for run, owners in answers.items():
        for owner, _, _ in owners:
            answers_of[owner].append(run)
    found = [(index, sorted(set(_runs(words, answers)))) for index, (_, words, _) in enumerate(prompts)]
    seen_in = Counter(run for _, runs in found for run in runs)
    for index, runs in found:
        card, _, card_words = prompts[index]
        listed: dict[int, set[str]] = defaultdict(set)
        for run in runs:
            if seen_in[run] > COMMON_ANSWER:
                continue
            for owner, answer, in_set in answers[run]:
                if owner == index:
                    continue
                if in_set:
                    listed[owner].add(run)
                cue = prompts[owner][2] - _content_words(answer) - topic
                shared = cue & card_words
                if len(shared) >= max(2, len(cue) / 2):
                    yield (
                        card,
                        "shows-answer",
                        f"states {_quote(answer)} beside the cue of card '{prompts[owner][0].id}' ({', '.join(sorted(shared))}): "
                        "it gives that card's answer away; reword one of them",
                        _prompt_field(card),
                    )
        for owner, shown in sorted(listed.items()):
            # The set printed in the cloze's own context (a word of it beside them).
            context = prompts[owner][2] - {_singular(word) for run in answers_of[owner] for word in run} - topic
            if len(shown) >= 2 and context & card_words:
                terms = ", ".join(_quote(" ".join(run)) for run in sorted(shown))
                yield (
                    card,
                    "shows-answer",
                    f"lists {len(shown)} of the deletions of cloze '{prompts[owner][0].id}' ({terms}) in its context "
                    f"({', '.join(sorted(context & card_words))}): it prints that card's answers; ask without them",
                    _prompt_field(card),
                )


def _runs(words: list[str], answers: dict[tuple[str, ...], list]) -> Iterator[tuple[str, ...]]:
    """The runs of ``words`` (up to :data:`SHORT_ANSWER_WORDS` long) that are answers."""
    for start in range(len(words)):
        for end in range(start + 1, min(start + SHORT_ANSWER_WORDS, len(words)) + 1):
            run = tuple(words[start:end])
            if run in answers:
                yield run


def _near_duplicates(deck: Deck) -> Iterator[tuple[Card, str, str, str]]:
    """Pairs of fronts that ask nearly the same thing the same way.

    Candidates share a rare word triple (one in at most 8 fronts), so a
    large deck is not compared pair by pair.
    """
    fronts = [(card, _words(_prompt(card))) for card in deck.cards]
    by_triple: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for index, (_, words) in enumerate(fronts):
        for triple in {tuple(words[i : i + 3]) for i in range(max(1, len(words) - 2))}:
            by_triple[triple].append(index)
    pairs = set()
    for indexes in by_triple.values():
        if 1 < len(indexes) <= 8:
            pairs.update((a, b) for a in indexes for b in indexes if a < b)
    for a, b in sorted(pairs):
        (first, one), (second, other) = fronts[a], fronts[b]
        matcher = SequenceMatcher(None, one[:NEAR_DUPLICATE_WORDS], other[:NEAR_DUPLICATE_WORDS], autojunk=False)
        if matcher.quick_ratio() >= NEAR_DUPLICATE and matcher.ratio() >= NEAR_DUPLICATE:
            yield second, "near-duplicate", f"asks nearly what card '{first.id}' asks, the same way ({matcher.ratio():.0%} alike); merge them or ask from another side", _prompt_field(second)


# -- text helpers ------------------------------------------------------------------------


def _prompt(card: Card) -> str:
    """What the student sees before answering: the front, the cloze with its deletions shown, the case."""
    content = card.content
    if isinstance(content, Basic):
        return content.front
    if isinstance(content, Cloze):
        # Each deletion is hidden on its own card; the others are shown there.
        return cloze.render(content.text, 0, reveal=False)
    return f"{content.stem} {content.question}"


def _prompt_field(card: Card) -> str:
    return {Basic: "front", Cloze: "text", Vignette: "stem"}[type(card.content)]


def _answer_text(card: Card) -> str:
    content = card.content
    if isinstance(content, Basic):
        return content.back
    if isinstance(content, Cloze):
        return " ".join(d.answer for d in cloze.deletions(content.text))
    return content.answer


def _short_answers(card: Card) -> list[str]:
    """A flashcard's answers short enough to be looked for in other fronts."""
    content = card.content
    if isinstance(content, Basic):
        candidates = [re.sub(r"^(the|a|an)\s+", "", content.back.strip().rstrip("."), flags=re.IGNORECASE)]
    elif isinstance(content, Cloze):
        candidates = [d.answer for d in cloze.deletions(content.text)]
    else:
        candidates = []
    return [a for a in candidates if 0 < len(_words(a)) <= SHORT_ANSWER_WORDS]


def _normal(text: str) -> str:
    return " ".join(_words(text))


def _words(text: str) -> list[str]:
    """Lowercase words without accents, so 'Nerve' and 'nerve' and 'nérve' match."""
    plain = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return _WORD.findall(plain)


def _content_words(text: str) -> set[str]:
    """The words that carry meaning, a plural -s taken off."""
    return {_singular(w) for w in _words(text) if len(w) > 1 and w not in STOP_WORDS and not w.isdigit()}


def _singular(word: str) -> str:
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _contains(text: str, phrase: str) -> bool:
    needle = _normal(phrase)
    return bool(needle) and f" {needle} " in f" {_normal(text)} "


def _starts_with_vowel(text: str) -> bool:
    words = _words(text)
    return bool(words) and words[0][0] in "aeiou"


def _number(option: str) -> bool | None:
    """True for a plural option, False for a singular one, None when it is too long to tell."""
    words = _words(option)
    if not 1 <= len(words) <= 4:
        return None
    return _singular(words[-1]) != words[-1]


def _number_asked(lead: list[str]) -> bool | None:
    """True when the lead-in asks for a plural ("which ... are"), False for a singular ("which ... is"), else None."""
    if not lead or lead[0] != "which":
        return None
    verbs = [w for w in lead[:6] if w in ("is", "are")]
    return None if not verbs else verbs[0] == "are"


def _quote(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return f"'{text}'" if len(text) <= limit else f"'{text[: limit - 1]}…'"

"""Parse a deck file (TOML) into a validated :class:`~osteo_learn.core.cards.Deck`.

Every problem of a file is collected and reported at once, each with the
file, the line and the card id it concerns, so a student writing a deck can
fix them all in one pass. The file is read, decoded and parsed as TOML by
:mod:`osteo_learn.core.deck_file`, which also finds where each key stands
(TOML itself carries no positions after parsing); when the file is written
in another TOML style the messages still name the card id.

Every size is bounded (:mod:`osteo_learn.core.limits`; files by
:mod:`osteo_learn.core.files`), so a deck that passes the check can be
stored, shown and exported; names, keys and values quoted in a message pass
:func:`osteo_learn.core.text.shown`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from osteo_learn.core import cloze, files
from osteo_learn.core.cards import Basic, Card, Cloze, Content, Deck, Kind, SourceDocument, Vignette
from osteo_learn.core.deck_file import DeckError, Lines, Problem, decode, parse_toml, read_bytes, text_of
from osteo_learn.core.limits import (
    ID_PATTERN,
    MAX_ID_LENGTH,
    MAX_TAG_LENGTH,
    MAX_TAGS,
    MAX_TEXT_LENGTH,
    MAX_TITLE_LENGTH,
    OPTION_COUNTS,
    valid_id,
    valid_tag,
)
from osteo_learn.core.text import shown

__all__ = ["DeckError", "Problem", "decode", "load", "parse", "read_bytes", "text_of", "valid_id", "valid_tag"]

DECK_FIELDS = ("id", "title", "description", "source", "cards")
SOURCE_FIELDS = ("title", "file")
COMMON_FIELDS = ("id", "kind", "tags", "source")
KIND_FIELDS: dict[Kind, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # kind: (required fields, optional fields)
    Kind.BASIC: (("front", "back"), ()),
    Kind.CLOZE: (("text",), ("extra",)),
    Kind.VIGNETTE: (("stem", "question", "options", "answer", "explanation"), ()),
}
_KIND_NAMES = frozenset(k.value for k in Kind)

EXCERPT_BUDGET = 5_000_000_000
"""How many characters the look-ups of a deck's excerpts in its source may compare
(some seconds): every excerpt is looked up across the whole document, so a deck
of very many cards from a very long document is refused rather than checked for
minutes."""


def normalise_space(text: str) -> str:
    return " ".join(text.split())


def load(path: Path) -> Deck:
    """Read and validate one deck file; raise :class:`DeckError` listing every problem."""
    path = Path(path)
    return parse(decode(read_bytes(path), path), path)


def parse(text: str, path: Path) -> Deck:
    """Validate the text of a deck file; the source document is read relative to ``path``."""
    data = parse_toml(text, path)
    checker = _Checker(path, Lines.scan(text))
    deck = checker.deck(data)
    if checker.problems:
        raise DeckError(sorted(checker.problems, key=lambda p: p.line or 0))
    assert deck is not None
    return deck


class _Checker:
    """Walks the parsed TOML, building the deck and collecting problems."""

    def __init__(self, path: Path, lines: Lines):
        self.path = path
        self.lines = lines
        self.problems: list[Problem] = []
        self.card_lines: tuple[int, dict[str, int]] = (0, {})
        self.normalised_source = ""
        self.compared = 0  # characters the excerpt look-ups compared so far
        self.over_budget = False

    def problem(self, message: str, line: int | None = None, card_id: str | None = None) -> None:
        self.problems.append(Problem(self.path, message, line, card_id))

    def deck(self, data: dict[str, Any]) -> Deck | None:
        for key in data:
            if key not in DECK_FIELDS:
                self.problem(f"unknown deck field '{shown(key)}' (known: {', '.join(DECK_FIELDS)})", self.lines.top.get(key))
        deck_id = self.string(data, "id", self.lines.top, limit=MAX_ID_LENGTH)
        if deck_id and not ID_PATTERN.fullmatch(deck_id):
            self.problem(f"deck id '{shown(deck_id)}' {_ID_RULE}", self.lines.top.get("id"))
        title = self.string(data, "title", self.lines.top, limit=MAX_TITLE_LENGTH)
        description = self.string(data, "description", self.lines.top)
        source = self.source(data.get("source"))
        raw_cards = data.get("cards")
        if raw_cards is None:
            self.problem("no cards: add at least one [[cards]] table")
            raw_cards = []
        elif not isinstance(raw_cards, list) or not all(isinstance(c, dict) for c in raw_cards):
            self.problem("'cards' must be an array of tables ([[cards]])", self.lines.top.get("cards"))
            raw_cards = []
        elif not raw_cards:
            self.problem("no cards: add at least one [[cards]] table", self.lines.top.get("cards"))
        located = len(self.lines.cards) == len(raw_cards)
        cards, first_seen = [], {}
        for index, raw in enumerate(raw_cards):
            self.card_lines = self.lines.cards[index] if located else (0, {})
            raw_id = raw.get("id")
            if isinstance(raw_id, str) and raw_id.strip():
                if raw_id.strip() in first_seen:
                    where = first_seen[raw_id.strip()]
                    self.problem(
                        f"duplicate card id (first used {'on line ' + str(where) if where else 'earlier'}); "
                        "every card needs its own id",
                        self.card_lines[0] or None,
                        raw_id.strip(),
                    )
                first_seen.setdefault(raw_id.strip(), self.card_lines[0])
            card = self.card(raw, index, source)
            if card is not None:
                cards.append(card)
        if self.problems or source is None:
            return None
        return Deck(deck_id, title, description, source, tuple(cards), self.path)

    def source(self, raw: Any) -> SourceDocument | None:
        line = self.lines.top.get("source")
        if raw is None:
            self.problem('missing [source] table (title = "...", file = "sources/....txt")')
            return None
        if not isinstance(raw, dict):
            self.problem("'source' must be a table with 'title' and 'file'", line)
            return None
        for key in raw:
            if key not in SOURCE_FIELDS:
                self.problem(f"unknown field '{shown(key)}' in [source] (known: title, file)", self.lines.source.get(key))
        title = self.string(raw, "title", self.lines.source, where="[source] ", limit=MAX_TITLE_LENGTH)
        file = self.string(raw, "file", self.lines.source, where="[source] ", limit=1000)
        if not file:
            return None
        path = self.path.parent / file
        try:
            text = text_of(files.read_regular(path, files.MAX_SOURCE_BYTES, "source document"))
        except (files.FileRefused, ValueError) as error:  # ValueError: not UTF-8
            missing = isinstance(error, files.FileRefused) and error.missing
            self.problem(
                f"source document '{shown(file)}' (looked for {shown(path, limit=1000)}): {'no such file' if missing else error}",
                self.lines.source.get("file", line),
            )
            return None
        self.normalised_source = normalise_space(text)
        return SourceDocument(title, path, text)

    def card(self, raw: dict[str, Any], index: int, source: SourceDocument | None) -> Card | None:
        start, keys = self.card_lines
        card_id = raw.get("id")
        label = card_id.strip() if isinstance(card_id, str) and card_id.strip() else None
        before = len(self.problems)

        def fail(message: str, key: str | None = None) -> None:
            line = keys.get(key, start) if key else start
            where = None if label else f"card #{index + 1}: "
            self.problem((where or "") + message, line or None, label)

        if label is None:
            fail("missing or empty 'id'; give every card a stable id", "id")
        elif not ID_PATTERN.fullmatch(label):
            fail(f"id {_ID_RULE}", "id")
        elif len(label) > MAX_ID_LENGTH:
            fail(f"id is {len(label):,} characters; an id may have at most {MAX_ID_LENGTH}", "id")
        kind = raw.get("kind")
        if kind is None:
            fail(f"missing 'kind' (one of: {', '.join(Kind)})")
            return None
        if not isinstance(kind, str) or kind not in _KIND_NAMES:
            fail(f"unknown kind {_quoted(kind)} (one of: {', '.join(Kind)})", "kind")
            return None
        kind = Kind(kind)
        required, optional = KIND_FIELDS[kind]
        for key in raw:
            if key not in COMMON_FIELDS + required + optional:
                known = ", ".join(COMMON_FIELDS + required + optional)
                fail(f"unknown field '{shown(key)}' for a {kind} card (known: {known})", key)
        tags = self.tags(raw.get("tags"), fail)
        excerpt = self.card_string(raw, "source", fail)
        if excerpt and source:
            found = self.find_excerpt(normalise_space(excerpt))
            if found is None:
                fail(
                    f"the deck has too many excerpts to look up in a source document of "
                    f"{len(self.normalised_source):,} characters (the looking up would compare more than "
                    f"{EXCERPT_BUDGET:,} characters); split the deck, or shorten the source document",
                    "source",
                )
            elif not found:
                fail(
                    f"source excerpt does not occur in {shown(source.path.name)}; copy it exactly from the document",
                    "source",
                )
        content = self.content(kind, raw, fail)
        if len(self.problems) > before or content is None:
            return None
        return Card(label, tags, excerpt, content, start, tuple(keys.items()))

    def find_excerpt(self, excerpt: str) -> bool | None:
        """Whether ``excerpt`` occurs in the source; ``None`` (once) when looking it up would
        take the look-ups of this deck past :data:`EXCERPT_BUDGET` characters compared."""
        if self.over_budget:
            return True  # reported once, at the first excerpt not looked up
        if self.compared > EXCERPT_BUDGET:
            self.over_budget = True
            return None
        at = self.normalised_source.find(excerpt)
        self.compared += at + len(excerpt) if at >= 0 else len(self.normalised_source)
        return at >= 0

    def content(self, kind: Kind, raw: dict[str, Any], fail) -> Content | None:
        if kind is Kind.BASIC:
            front, back = (self.card_string(raw, key, fail) for key in ("front", "back"))
            return Basic(front, back)
        if kind is Kind.CLOZE:
            text = self.card_string(raw, "text", fail)
            extra = self.card_string(raw, "extra", fail, required=False)
            if text:
                for issue in cloze.problems(text):
                    fail(f"cloze text {issue}", "text")
            return Cloze(text, extra)
        stem, question, answer, explanation = (
            self.card_string(raw, key, fail) for key in ("stem", "question", "answer", "explanation")
        )
        options = self.options(raw.get("options"), fail)
        if options and answer and answer not in options:
            close = [o for o in options if normalise_space(o).casefold() == normalise_space(answer).casefold()]
            hint = f" (did you mean {_quoted(close[0])}?)" if close else ""
            fail(f"answer {_quoted(answer)} is not one of its options{hint}; copy one option exactly", "answer")
        return Vignette(stem, question, options, answer, explanation)

    def options(self, raw: Any, fail) -> tuple[str, ...]:
        counts = " or ".join(map(str, OPTION_COUNTS))
        if raw is None:
            fail(f"missing 'options' (a list of {counts} answer choices)")
            return ()
        if not isinstance(raw, list) or not all(isinstance(o, str) for o in raw):
            fail("'options' must be a list of strings", "options")
            return ()
        options = tuple(o.strip() for o in raw)
        for option in options:
            if len(option) > MAX_TEXT_LENGTH:
                fail(f"an option is {len(option):,} characters; a text may have at most {MAX_TEXT_LENGTH:,}", "options")
                return ()
        if len(options) not in OPTION_COUNTS:
            fail(f"has {len(options)} options; a vignette needs {counts}", "options")
        if any(not o for o in options):
            fail("an option is empty", "options")
        repeated = sorted({o for o in options if o and options.count(o) > 1})
        if repeated:
            fail(f"options repeat: {', '.join(map(_quoted, repeated))}", "options")
        return options

    def tags(self, raw: Any, fail) -> tuple[str, ...]:
        if raw is None:
            fail('missing \'tags\' (a list of topic tags, e.g. tags = ["mechanism"])')
            return ()
        if not isinstance(raw, list) or not all(isinstance(t, str) for t in raw):
            fail("'tags' must be a list of strings", "tags")
            return ()
        if not raw:
            fail("'tags' is empty; give the card at least one topic tag", "tags")
        if len(raw) > MAX_TAGS:
            fail(f"has {len(raw):,} tags; a card may have at most {MAX_TAGS}", "tags")
            return ()
        for tag in raw:
            if len(tag) > MAX_TAG_LENGTH:
                fail(f"tag {_quoted(tag)} is {len(tag):,} characters; a tag may have at most {MAX_TAG_LENGTH}", "tags")
            elif not valid_tag(tag):
                fail(f"tag {_quoted(tag)} {TAG_RULE}", "tags")
        return tuple(raw)

    def card_string(self, raw: dict[str, Any], key: str, fail, required: bool = True) -> str:
        value = raw.get(key)
        if value is None:
            if required:
                fail(f"missing '{key}'")
            return ""
        if not isinstance(value, str):
            fail(f"'{key}' must be a string, not {_toml_type(value)}", key)
            return ""
        if required and not value.strip():
            fail(f"'{key}' is empty", key)
        if len(value) > MAX_TEXT_LENGTH:
            fail(f"'{key}' is {len(value):,} characters; a text may have at most {MAX_TEXT_LENGTH:,}", key)
            return ""
        return value.strip()

    def string(self, data: dict[str, Any], key: str, lines: dict[str, int], where: str = "", limit: int = MAX_TEXT_LENGTH) -> str:
        value = data.get(key)
        line = lines.get(key)
        if value is None:
            self.problem(f"missing {where}field '{key}'", line)
            return ""
        if not isinstance(value, str):
            self.problem(f"{where}field '{key}' must be a string, not {_toml_type(value)}", line)
            return ""
        if not value.strip():
            self.problem(f"{where}field '{key}' is empty", line)
        if len(value.strip()) > limit:
            self.problem(f"{where}field '{key}' is {len(value.strip()):,} characters; it may have at most {limit:,}", line)
            return ""
        return value.strip()


_ID_RULE = "must be lowercase letters, digits, '.', '_' or '-', starting with a letter or digit"


TAG_RULE = "must be one word of printable characters, without spaces or quotes"


def _quoted(value: Any) -> str:
    """A value from the deck quoted in a message: a string as Python writes it
    (escapes for what is not printable), cut when long; a number as it is;
    anything else by its type."""
    if isinstance(value, str):
        if len(value) > 200:
            return f"{value[:200]!r}… ({len(value):,} characters)"
        return repr(value)
    if isinstance(value, (bool, int, float)):
        return shown(repr(value))
    return _toml_type(value)


def _toml_type(value: Any) -> str:
    names = {bool: "a boolean", int: "an integer", float: "a number", list: "a list", dict: "a table"}
    return names.get(type(value), type(value).__name__)

"""An osteo-learn card as an Anki note: its GUID, its fields as HTML and its tags.

The fields follow the note types of :mod:`osteo_learn.anki.models`. All card
text is HTML-escaped, so ``<``, ``>`` and ``&`` show as written and no card
can carry markup or script into Anki; so are the tags and the deck names,
which Anki puts into a card as they are where a template asks for
``{{Tags}}`` or ``{{Deck}}``.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterator, Sequence

from osteo_learn.anki import models
from osteo_learn.core.cards import Card, Kind
from osteo_learn.core.guid import note_guid
from osteo_learn.core.text import clean, shown
from osteo_learn.store import rows
from osteo_learn.store.export import ExportSelection
from osteo_learn.store.rows import DamagedRow


def text_html(text: str) -> str:
    """Plain card text as HTML: ``<``, ``>``, ``&`` and quotes escaped, line breaks kept.

    Terminal escape sequences and control characters are dropped, as on the
    review screen (:func:`osteo_learn.core.text.clean`): they mean nothing in
    HTML, and Anki would show what follows an ESC as stray text.
    """
    # Every character clean() removes is unprintable: printable text is left as it is.
    if not text.isprintable():
        text = clean(text)
    escaped = html.escape(text)
    if "\n" in escaped:
        escaped = escaped.replace("\r\n", "\n").replace("\n", "<br>")
    return escaped


def _joined_html(texts: tuple[str, ...]) -> str:
    """``"\x1f".join(map(text_html, texts))``, Anki's field separator between,
    escaped in one pass when every text is printable (the common case)."""
    for text in texts:
        if not text.isprintable():
            return "\x1f".join(map(text_html, texts))
    # Escaping works character by character and leaves \x1f alone.
    return html.escape("\x1f".join(texts))


def _options_html(options: Sequence[str], answer: str) -> str:
    right = options.index(answer)
    items = "".join(
        f'<li class="ol-correct">{text_html(option)}</li>' if index == right else f"<li>{text_html(option)}</li>"
        for index, option in enumerate(options)
    )
    return f'<ol class="ol-options">{items}</ol>'


def _answer_html(options: Sequence[str], answer: str) -> str:
    letter = chr(ord("A") + options.index(answer))
    return f"{letter}. {text_html(answer)}"


def note_fields(card: Card) -> list[str]:
    """The note's fields, in the order of its note type (:mod:`osteo_learn.anki.models`)."""
    return _FIELDS[card.kind](vars(card.content), card.source).split("\x1f")


# A card's content (its fields as stored, by name) and its source -> the
# note's fields as HTML, joined by Anki's separator, by kind. (Escaped text
# holds no \x1f: text_html drops control characters.)
_FIELDS = {
    Kind.BASIC: lambda data, source: _joined_html((data["front"], data["back"], source)),
    Kind.CLOZE: lambda data, source: _joined_html((data["text"], data.get("extra", ""), source)),
    Kind.VIGNETTE: lambda data, source: "\x1f".join(
        (
            _joined_html((data["stem"], data["question"])),
            _options_html(data["options"], data["answer"]),
            _answer_html(data["options"], data["answer"]),
            _joined_html((data["explanation"], source)),
        )
    ),
}


def tag_html(tags: str) -> str:
    """A card's tags (space-separated) HTML-escaped, as Anki gets them."""
    if "<" in tags or ">" in tags or "&" in tags or "'" in tags or '"' in tags:
        return html.escape(tags)
    return tags


def note_tags(deck_id: str, card: Card) -> list[str]:
    """Hierarchical Anki tags: the deck, the kind, and each of the card's tags (HTML-escaped)."""
    prefix = models.TAG_PREFIX
    return [f"{prefix}::deck::{deck_id}", f"{prefix}::kind::{card.kind}", *(f"{prefix}::tag::{tag_html(t)}" for t in card.tags)]


LEECH_TAG = "leech"
"""Anki's own tag for a leech, on the note of any card osteo-learn marked one."""


def _damaged(deck_id: str, card_id: str, kind: str, content: str) -> DamagedRow:
    """The text of a card that no deck writes, named (as the review would name it)."""
    try:
        rows.content(kind, content)
        why = "its text (fields) is not what a deck writes"
    except ValueError as error:
        why = str(error)
    return DamagedRow(
        f"the card {shown(deck_id)}/{shown(card_id)} is damaged in the database: {shown(why, 300)}; "
        "restore the database from a backup (or, for its text, add its deck file again with add-deck)"
    )


def note_rows(selection: ExportSelection, first_id: int, mod: int) -> Iterator[tuple]:
    """Rows of Anki's ``notes`` table (less the constant columns), as genanki writes them."""
    model_ids = {
        Kind.BASIC: models.BASIC_MODEL_ID,
        Kind.CLOZE: models.CLOZE_MODEL_ID,
        Kind.VIGNETTE: models.VIGNETTE_MODEL_ID,
    }
    prefix = models.TAG_PREFIX
    card_tag = f"{prefix}::tag::"
    between = f" {card_tag}"
    # The tags of a note, space-separated with a space either side, start with its deck and kind.
    heads: dict[tuple[str, str], str] = {}
    guid, loads, fields_of = note_guid, json.loads, _FIELDS
    for number, deck_id, card_id, kind, tags, content, source, leech in selection.notes():
        tag_text = heads.get((deck_id, kind))
        if tag_text is None:
            tag_text = heads[deck_id, kind] = f" {prefix}::deck::{deck_id} {prefix}::kind::{kind} "
        if tags:
            tag_text += card_tag + between.join(tag_html(tags).split()) + " "
        if leech:
            tag_text += LEECH_TAG + " "
        try:
            fields = fields_of[kind](loads(content), source)
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
            raise _damaged(deck_id, card_id, kind, content) from None
        # The sort field is the first.
        yield (first_id + number, guid(deck_id, card_id), model_ids[kind], mod, tag_text, fields, fields.partition("\x1f")[0])

"""The Anki note types and deck ids of an export: constants chosen once.

Anki matches what a package brings by id and by name:

- a note type by its id, and then its fields and templates *by name*: an
  existing note type whose field or template names differ is not updated,
  and the notes of the new one are added beside the old ones as a copy;
- a note by its GUID (see :func:`osteo_learn.anki.notes.note_guid`);
- a deck by its name.

So the ids below never change, and neither do the field and template names
of a note type once it has been released. Wording of a template or the CSS
may change freely (Anki updates a note type whose names are unchanged when
the package's copy is newer). A change of fields (a rename, a new field, a
removed field) needs a *new* note type with a new id, a new name, and an
entry in the README's "Export to Anki" section saying which version of
osteo-learn made the change; the old id stays reserved here.

Templates use on the front only fields that every card of the kind has,
so no card can render an empty front. Colours come from CSS variables
with a night-mode set (Anki adds ``nightMode``, AnkiDroid ``night_mode``).
"""

from __future__ import annotations

import hashlib

# Chosen once at random in genanki's recommended range [2**30, 2**31);
# never change them: Anki recognises the note types and decks by these ids.
BASIC_MODEL_ID = 1459574010
CLOZE_MODEL_ID = 2013311197
VIGNETTE_MODEL_ID = 1387262961
PARENT_DECK_ID = 1411209029

PARENT_DECK_NAME = "Osteo Learn"
TAG_PREFIX = "osteo"

BASIC_FIELDS = ("Front", "Back", "Source")
CLOZE_FIELDS = ("Text", "Extra", "Source")
VIGNETTE_FIELDS = ("Case", "Question", "Options", "Answer", "Explanation", "Source")

CSS = """\
.card {
  --ol-muted: #5f6368;
  --ol-rule: #d0d4d9;
  --ol-accent: #0b5cad;
  --ol-correct: #137333;
  --ol-correct-bg: #e6f4ea;
  --ol-cloze: #0b5cad;
  font-family: -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  font-size: 19px;
  line-height: 1.5;
  text-align: left;
  margin: 0;
  padding: 12px 14px;
  overflow-wrap: break-word;
}
.card.nightMode, .card.night_mode, .nightMode .card, .night_mode .card {
  --ol-muted: #a8adb3;
  --ol-rule: #4a4f55;
  --ol-accent: #8ab4f8;
  --ol-correct: #81c995;
  --ol-correct-bg: rgba(129, 201, 149, 0.16);
  --ol-cloze: #8ab4f8;
}
.ol { max-width: 40em; margin: 0 auto; }
.ol-kind {
  font-size: 0.72em;
  letter-spacing: 0.06em;
  text-transform: uppercase;
  color: var(--ol-muted);
  margin-bottom: 0.4em;
}
.ol-case { margin-bottom: 0.8em; }
.ol-question { font-weight: 600; margin-bottom: 0.6em; }
.ol-options { margin: 0.4em 0 0; padding-left: 1.8em; list-style-type: upper-alpha; }
.ol-options li { margin: 0.3em 0; padding: 0.15em 0.35em; border-radius: 6px; }
.ol-reveal .ol-correct { color: var(--ol-correct); background: var(--ol-correct-bg); font-weight: 600; }
.ol-reveal .ol-correct::after { content: " \\2713"; }
hr#answer { border: none; border-top: 1px solid var(--ol-rule); margin: 1em 0; }
.ol-answer { font-weight: 600; color: var(--ol-correct); margin-bottom: 0.6em; }
.ol-back, .ol-explanation, .ol-extra { margin-bottom: 0.6em; }
.ol-source {
  font-size: 0.82em;
  color: var(--ol-muted);
  border-left: 3px solid var(--ol-rule);
  padding-left: 0.7em;
  margin-top: 1em;
}
.cloze { font-weight: 600; color: var(--ol-cloze); }
"""

_SOURCE = '{{#Source}}<div class="ol-source">From the article: {{Source}}</div>{{/Source}}'

BASIC_TEMPLATES = [
    {
        "name": "Card 1",
        "qfmt": '<div class="ol"><div class="ol-kind">Question</div><div class="ol-front">{{Front}}</div></div>',
        "afmt": (
            '<div class="ol"><div class="ol-kind">Question</div><div class="ol-front">{{Front}}</div>'
            '<hr id="answer"><div class="ol-back">{{Back}}</div>' + _SOURCE + "</div>"
        ),
    }
]

CLOZE_TEMPLATES = [
    {
        "name": "Cloze",
        "qfmt": '<div class="ol"><div class="ol-kind">Fill in</div><div class="ol-text">{{cloze:Text}}</div></div>',
        "afmt": (
            '<div class="ol"><div class="ol-kind">Fill in</div><div class="ol-text">{{cloze:Text}}</div>'
            '{{#Extra}}<hr id="answer"><div class="ol-extra">{{Extra}}</div>{{/Extra}}' + _SOURCE + "</div>"
        ),
    }
]

_VIGNETTE_STEM = (
    '<div class="ol-kind">Clinical case</div><div class="ol-case">{{Case}}</div>'
    '<div class="ol-question">{{Question}}</div>{{Options}}'
)

VIGNETTE_TEMPLATES = [
    {
        "name": "Case",
        "qfmt": '<div class="ol ol-vignette">' + _VIGNETTE_STEM + "</div>",
        # The back repeats the case inside .ol-reveal, where the CSS marks the
        # right option (the Options field gives it the class ol-correct).
        "afmt": (
            '<div class="ol ol-vignette ol-reveal">' + _VIGNETTE_STEM + '<hr id="answer">'
            '<div class="ol-answer">Answer: {{Answer}}</div>'
            '<div class="ol-explanation">{{Explanation}}</div>' + _SOURCE + "</div>"
        ),
    }
]


def _model(model_id: int, name: str, fields: tuple[str, ...], templates: list[dict], cloze: bool = False):
    import genanki

    return genanki.Model(
        model_id,
        name,
        fields=[{"name": field} for field in fields],
        templates=[dict(template) for template in templates],
        css=CSS,
        model_type=genanki.Model.CLOZE if cloze else genanki.Model.FRONT_BACK,
    )


def models() -> dict[str, object]:
    """The three genanki note types, by osteo-learn card kind."""
    return {
        "basic": _model(BASIC_MODEL_ID, "Osteo Learn Basic", BASIC_FIELDS, BASIC_TEMPLATES),
        "cloze": _model(CLOZE_MODEL_ID, "Osteo Learn Cloze", CLOZE_FIELDS, CLOZE_TEMPLATES, cloze=True),
        "vignette": _model(VIGNETTE_MODEL_ID, "Osteo Learn Vignette", VIGNETTE_FIELDS, VIGNETTE_TEMPLATES),
    }


def deck_id(osteo_deck_id: str) -> int:
    """The Anki deck id of an osteo-learn deck: a stable hash of its id, in [2**30, 2**31)."""
    digest = hashlib.sha256(f"osteo-learn deck {osteo_deck_id}".encode()).digest()
    return (1 << 30) + int.from_bytes(digest[:8], "big") % (1 << 30)


def deck_name(title: str) -> str:
    """The Anki deck name of an osteo-learn deck, under the common parent.

    ``::`` separates levels in Anki deck names, so it is replaced in a title.
    The title is HTML-escaped: Anki puts the deck name into a card as it is
    where a template asks for ``{{Deck}}``, so it must carry no markup.
    """
    import html

    clean = " ".join(title.replace("::", ": ").split()) or "Untitled"
    return f"{PARENT_DECK_NAME}::{html.escape(clean)}"

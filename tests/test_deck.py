"""Deck parsing and validation: every malformed input gets a located message."""

import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from osteo_learn.core import deck as deck_module
from osteo_learn.core.cards import Basic, Cloze, Kind, Vignette
from osteo_learn.commands.cli import cli

SOURCE_TEXT = (
    "Bones weaken with age.\n"
    "A fracture of the spine may press on a nerve, causing numbness in the leg.\n"
    "MRI can help   identify nerve compression.\n"
)

HEADER = """\
id = "demo"
title = "Demo deck"
description = "A small deck for tests."

[source]
title = "Demo article"
file = "sources/demo.txt"
"""

BASIC = """
[[cards]]
id = "weak-bones"
kind = "basic"
tags = ["mechanism"]
front = "What happens to bones with age?"
back = "They weaken."
source = "Bones weaken with age."
"""

CLOZE = """
[[cards]]
id = "fracture-nerve"
kind = "cloze"
tags = ["mechanism", "symptoms"]
text = "A spinal {{c1::fracture}} may press on a {{c2::nerve::structure}}."
extra = "Numbness in the leg follows."
source = "A fracture of the spine may press on a nerve"
"""

VIGNETTE = """
[[cards]]
id = "case-mri"
kind = "vignette"
tags = ["diagnosis"]
stem = "A 70-year-old woman has numbness in one leg."
question = "Which test can help identify nerve compression?"
options = ["MRI", "Blood count", "Chest X-ray", "Urine test"]
answer = "MRI"
explanation = "MRI can help identify nerve compression; the others do not."
source = "MRI can help identify nerve compression."
"""


def write_deck(tmp_path: Path, text: str, name: str = "demo.toml") -> Path:
    sources = tmp_path / "sources"
    sources.mkdir(exist_ok=True)
    (sources / "demo.txt").write_text(SOURCE_TEXT, encoding="utf-8")
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems_of(path: Path) -> list[str]:
    with pytest.raises(deck_module.DeckError) as caught:
        deck_module.load(path)
    return [str(p) for p in caught.value.problems]


def check(*args: str):
    return CliRunner().invoke(cli, ["check", *map(str, args)])


def test_valid_deck_loads_every_kind_with_its_fields(tmp_path):
    deck = deck_module.load(write_deck(tmp_path, HEADER + BASIC + CLOZE + VIGNETTE))
    assert (deck.id, deck.title, deck.description) == ("demo", "Demo deck", "A small deck for tests.")
    assert deck.source.title == "Demo article"
    assert deck.source.text == SOURCE_TEXT
    basic, cloze, vignette = deck.cards
    assert basic.content == Basic("What happens to bones with age?", "They weaken.")
    assert basic.tags == ("mechanism",)
    assert cloze.content == Cloze(
        "A spinal {{c1::fracture}} may press on a {{c2::nerve::structure}}.", "Numbness in the leg follows."
    )
    assert cloze.ordinals() == (1, 2)
    assert isinstance(vignette.content, Vignette)
    assert vignette.content.answer_index == 0
    assert [c.line for c in deck.cards] == [9, 17, 25]
    assert deck.count_by_kind() == {Kind.BASIC: 1, Kind.CLOZE: 2, Kind.VIGNETTE: 1}


def test_check_prints_one_summary_line_per_deck(tmp_path):
    path = write_deck(tmp_path, HEADER + BASIC + CLOZE + VIGNETTE)
    result = check(path)
    assert result.exit_code == 0, result.output
    assert result.output == f"{path}: ok, deck 'demo': 4 cards (1 basic, 2 cloze, 1 vignette)\n"


def test_check_without_arguments_checks_the_bundled_decks():
    result = check()
    assert result.exit_code == 0, result.output
    assert "deck 'osteoporosis-leg-numbness'" in result.output


def test_toml_syntax_error_names_file_and_line(tmp_path):
    path = write_deck(tmp_path, HEADER + BASIC + '\n[[cards]]\nid = "x\n')
    result = check(path)
    assert result.exit_code == 1
    assert f"{path}:18: invalid TOML: " in result.output
    assert result.output.endswith("Error: 1 of 1 deck file(s) have problems\n")


def test_missing_deck_field_is_reported(tmp_path):
    path = write_deck(tmp_path, HEADER.replace('title = "Demo deck"\n', "") + BASIC)
    assert problems_of(path) == [f"{path}: missing field 'title'"]


def test_empty_card_field_names_line_and_card(tmp_path):
    path = write_deck(tmp_path, HEADER + BASIC.replace('back = "They weaken."', 'back = "  "'))
    assert problems_of(path) == [f"{path}:14: card 'weak-bones': 'back' is empty"]


def test_missing_card_field_names_the_card(tmp_path):
    path = write_deck(tmp_path, HEADER + BASIC.replace('front = "What happens to bones with age?"\n', ""))
    assert problems_of(path) == [f"{path}:9: card 'weak-bones': missing 'front'"]


def test_card_without_id_is_named_by_position(tmp_path):
    path = write_deck(tmp_path, HEADER + BASIC.replace('id = "weak-bones"\n', ""))
    assert problems_of(path) == [f"{path}:9: card #1: missing or empty 'id'; give every card a stable id"]


def test_unknown_kind_lists_the_known_ones(tmp_path):
    path = write_deck(tmp_path, HEADER + BASIC.replace('kind = "basic"', 'kind = "flash"'))
    assert problems_of(path) == [
        f"{path}:11: card 'weak-bones': unknown kind 'flash' (one of: basic, cloze, vignette)"
    ]


def test_unknown_field_is_reported_as_a_probable_typo(tmp_path):
    path = write_deck(tmp_path, HEADER + BASIC.replace("back =", "bakc ="))
    assert problems_of(path) == [
        f"{path}:9: card 'weak-bones': missing 'back'",
        f"{path}:14: card 'weak-bones': unknown field 'bakc' for a basic card (known: id, kind, tags, source, front, back)",
    ]


def test_duplicate_ids_point_at_the_first_use(tmp_path):
    path = write_deck(tmp_path, HEADER + BASIC + BASIC)
    assert problems_of(path) == [
        f"{path}:17: card 'weak-bones': duplicate card id (first used on line 9); every card needs its own id"
    ]


def test_cloze_without_deletion_is_refused(tmp_path):
    path = write_deck(tmp_path, HEADER + CLOZE.replace("{{c1::fracture}}", "fracture").replace("{{c2::nerve::structure}}", "nerve"))
    assert problems_of(path) == [
        f"{path}:13: card 'fracture-nerve': cloze text has no cloze deletion; mark one as {{{{c1::answer}}}}"
    ]


def test_cloze_with_empty_deletion_is_refused(tmp_path):
    path = write_deck(tmp_path, HEADER + CLOZE.replace("{{c1::fracture}}", "{{c1:: }}"))
    assert problems_of(path) == [
        f"{path}:13: card 'fracture-nerve': cloze text deletion c1 is empty; put the hidden answer after 'c1::'"
    ]


def test_cloze_with_unclosed_deletion_is_refused(tmp_path):
    path = write_deck(tmp_path, HEADER + CLOZE.replace("{{c2::nerve::structure}}", "{{c2::nerve"))
    [problem] = problems_of(path)
    assert problem.startswith(f"{path}:13: card 'fracture-nerve': cloze text '{{{{c2::' at character")


def test_vignette_answer_must_be_one_of_the_options(tmp_path):
    path = write_deck(tmp_path, HEADER + VIGNETTE.replace('answer = "MRI"', 'answer = "mri "'))
    assert problems_of(path) == [
        f"{path}:16: card 'case-mri': answer 'mri' is not one of its options (did you mean 'MRI'?); copy one option exactly"
    ]


def test_vignette_options_must_not_repeat(tmp_path):
    path = write_deck(tmp_path, HEADER + VIGNETTE.replace('"Urine test"', '"Chest X-ray"'))
    assert problems_of(path) == [f"{path}:15: card 'case-mri': options repeat: 'Chest X-ray'"]


@pytest.mark.parametrize("options", ['["MRI", "CT", "EMG"]', '["MRI", "CT", "EMG", "A", "B", "C"]'])
def test_vignette_needs_four_or_five_options(tmp_path, options):
    path = write_deck(
        tmp_path, HEADER + VIGNETTE.replace('["MRI", "Blood count", "Chest X-ray", "Urine test"]', options)
    )
    count = options.count(",") + 1
    assert problems_of(path) == [f"{path}:15: card 'case-mri': has {count} options; a vignette needs 4 or 5"]


def test_source_excerpt_must_occur_in_the_document(tmp_path):
    path = write_deck(tmp_path, HEADER + BASIC.replace("Bones weaken with age.", "Bones weaken quickly."))
    assert problems_of(path) == [
        f"{path}:15: card 'weak-bones': source excerpt does not occur in demo.txt; copy it exactly from the document"
    ]


def test_source_excerpt_matches_with_whitespace_normalised(tmp_path):
    # The document has "help   identify"; the excerpt a single space and a line break.
    text = VIGNETTE.replace(
        'source = "MRI can help identify nerve compression."', 'source = """MRI can\nhelp identify nerve compression."""'
    )
    deck = deck_module.load(write_deck(tmp_path, HEADER + text))
    assert deck.cards[0].id == "case-mri"


def test_missing_source_document_is_reported(tmp_path):
    path = write_deck(tmp_path, HEADER.replace("sources/demo.txt", "sources/gone.txt") + BASIC)
    assert problems_of(path) == [
        f"{path}:7: source document 'sources/gone.txt' (looked for {tmp_path / 'sources' / 'gone.txt'}): no such file"
    ]


def test_wrong_types_are_named(tmp_path):
    text = BASIC.replace('tags = ["mechanism"]', 'tags = "mechanism"').replace('back = "They weaken."', "back = 3")
    path = write_deck(tmp_path, HEADER + text)
    assert problems_of(path) == [
        f"{path}:12: card 'weak-bones': 'tags' must be a list of strings",
        f"{path}:14: card 'weak-bones': 'back' must be a string, not an integer",
    ]


def test_every_problem_of_a_file_is_reported_at_once(tmp_path):
    text = (
        HEADER
        + BASIC.replace('back = "They weaken."', 'back = ""')
        + CLOZE.replace("{{c1::fracture}}", "{{c1::}}")
        + VIGNETTE.replace('answer = "MRI"', 'answer = "PET"')
    )
    path = write_deck(tmp_path, text)
    result = check(path)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines == [
        f"{path}:14: card 'weak-bones': 'back' is empty",
        f"{path}:21: card 'fracture-nerve': cloze text deletion c1 is empty; put the hidden answer after 'c1::'",
        f"{path}:32: card 'case-mri': answer 'PET' is not one of its options; copy one option exactly",
        "Error: 1 of 1 deck file(s) have problems",
    ]


def test_check_reports_good_and_bad_decks_together(tmp_path):
    good = write_deck(tmp_path, HEADER + BASIC, "good.toml")
    bad = write_deck(tmp_path, HEADER.replace('id = "demo"', 'id = "other"') + BASIC.replace('kind = "basic"', 'kind = "x"'), "bad.toml")
    result = check(good, bad)
    assert result.exit_code == 1
    assert f"{good}: ok, deck 'demo': 1 cards (1 basic, 0 cloze, 0 vignette)" in result.output
    assert f"{bad}:11: card 'weak-bones': unknown kind 'x'" in result.output
    assert "Error: 1 of 2 deck file(s) have problems" in result.output


def test_two_decks_with_one_id_are_refused(tmp_path):
    first = write_deck(tmp_path, HEADER + BASIC, "first.toml")
    second = write_deck(tmp_path, HEADER + BASIC, "second.toml")
    result = check(first, second)
    assert result.exit_code == 1
    assert f"{second}: deck id 'demo' is already used by {first}" in result.output


def test_missing_deck_file_is_an_error_not_a_traceback(tmp_path):
    result = check(tmp_path / "nope.toml")
    assert result.exit_code == 1
    assert result.output.startswith(f"{tmp_path / 'nope.toml'}: no such deck file\n")


def test_non_utf8_deck_file_is_reported(tmp_path):
    path = tmp_path / "latin.toml"
    path.write_bytes(b'id = "caf\xe9"\n')
    [problem] = problems_of(path)
    assert problem.startswith(f"{path}: is not UTF-8 text")


def test_tag_with_a_control_character_is_refused(tmp_path):
    path = write_deck(tmp_path, HEADER + BASIC.replace('tags = ["mechanism"]', 'tags = ["mech\\u001b[2Janism"]'))
    assert problems_of(path) == [
        f"{path}:12: card 'weak-bones': tag 'mech\\x1b[2Janism' must be one word of printable characters, without spaces or quotes"
    ]

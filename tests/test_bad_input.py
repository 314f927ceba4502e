"""Bad input: fuzzed deck files, hostile card text on the terminal and in
Anki, and wrong command-line arguments."""

from __future__ import annotations

import math
import re
import tomllib
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import BUNDLED_DECK
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from osteo_learn import deck as deck_module
from osteo_learn.cards import Deck
from osteo_learn.cli import cli

# -- a tiny TOML writer, to turn generated data into deck files -------------------

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def toml_string(text: str) -> str:
    """A TOML basic string; control characters written as escapes, as TOML requires."""
    out = []
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def toml_key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else toml_string(key)


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, (int, date)):
        return str(value) if isinstance(value, int) else value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return "{" + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + "}"


def toml_document(data: dict) -> str:
    """Plain keys first, then each table as ``[name]``, each array of tables as ``[[name]]``."""
    lines = [f"{toml_key(k)} = {toml_value(v)}" for k, v in data.items() if not _is_table(v) and not _is_tables(v)]
    for key, value in data.items():
        if _is_table(value):
            lines += ["", f"[{toml_key(key)}]", *(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items())]
        elif _is_tables(value):
            for table in value:
                lines += ["", f"[[{toml_key(key)}]]", *(f"{toml_key(k)} = {toml_value(v)}" for k, v in table.items())]
    return "\n".join(lines) + "\n"


def _is_table(value) -> bool:
    return isinstance(value, dict)


def _is_tables(value) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def test_the_toml_writer_round_trips():
    data = {
        "id": 'a "quoted"\\ id\x1b',
        "n": [1, 2.5, True, date(2026, 3, 2)],
        "source": {"title": "T", "odd key": {"x": "\n"}},
        "cards": [{"id": "one"}, {"id": "two", "tags": []}],
    }
    assert tomllib.loads(toml_document(data)) == data


# -- the deck parser never crashes ----------------------------------------------

SOURCE_TEXT = (BUNDLED_DECK.parent / "sources" / "osteoporosis-leg-numbness.txt").read_text(encoding="utf-8")
SOURCE_SENTENCES = [s.strip() for s in re.split(r"(?<=[.?!])\s+", SOURCE_TEXT) if len(s.strip()) > 10][:40]
CARD_KEYS = ["id", "kind", "tags", "source", "front", "back", "text", "extra", "stem", "question", "options", "answer", "explanation"]

scalars = st.one_of(
    st.text(max_size=30),
    st.integers(),
    st.floats(),
    st.booleans(),
    st.dates(),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(min_size=1, max_size=8), inner, max_size=4),
    max_leaves=12,
)
# Values a deck author would plausibly write, so that some decks are valid
# and the checks after the first ones run too.
plausible = {
    "id": st.from_regex(r"[a-z0-9][a-z0-9._-]{0,12}", fullmatch=True) | st.text(max_size=12),
    "kind": st.sampled_from(["basic", "cloze", "vignette", "Basic", ""]),
    "tags": st.lists(st.sampled_from(["mechanism", "diagnosis", "two words", 'quo"te', ""]), max_size=3),
    "source": st.sampled_from(SOURCE_SENTENCES) | st.text(max_size=20),
    "text": st.sampled_from(
        ["A {{c1::fracture}} here.", "{{c1::a}} and {{c2::b::hint}}", "{{c0::x}}", "{{c1::}}", "{{c::x}}", "{{c1::x", "}}{{", "no deletion"]
    )
    | st.text(max_size=30),
    "options": st.lists(st.sampled_from(["MRI", "X-ray", "CT", "Blood test", "MRI ", "", "Urine"]), max_size=6),
    "answer": st.sampled_from(["MRI", "mri", "CT", ""]),
}


@st.composite
def cards(draw):
    card = {}
    for key in draw(st.lists(st.sampled_from(CARD_KEYS), unique=True, max_size=len(CARD_KEYS))):
        wanted = plausible.get(key, st.text(min_size=1, max_size=30))
        card[key] = draw(wanted | values) if draw(st.booleans()) else draw(wanted)
    if draw(st.booleans()):
        card[draw(st.text(min_size=1, max_size=8))] = draw(values)
    return card


@st.composite
def decks(draw):
    document = {}
    for key in ("id", "title", "description"):
        if draw(st.integers(0, 4)):
            document[key] = draw(plausible["id"] | values)
    if draw(st.integers(0, 4)):
        source = {"title": draw(st.text(max_size=10) | values)}
        source["file"] = draw(st.sampled_from(["sources/osteoporosis-leg-numbness.txt", "missing.txt", "sources", ""]) | values)
        document["source"] = draw(st.just(source) | values)
    if draw(st.integers(0, 4)):
        document["cards"] = draw(st.lists(cards(), max_size=4) | values)
    if not draw(st.integers(0, 5)):
        document[draw(st.text(min_size=1, max_size=8))] = draw(values)
    return document


def assert_parses_or_reports_located_problems(text: str, path: Path = BUNDLED_DECK) -> Deck | None:
    """The deck, or a DeckError whose every problem names the file and says
    something; a line number whenever the text is not valid TOML. Any other
    exception fails the test."""
    try:
        return deck_module.parse(text, path)
    except deck_module.DeckError as error:
        assert error.problems
        for problem in error.problems:
            assert problem.path == path
            assert problem.message.strip()
            assert str(problem).startswith(f"{path}:")
            assert problem.line is None or 1 <= problem.line <= text.count("\n") + 1, problem
        try:
            tomllib.loads(text)
        except tomllib.TOMLDecodeError:
            [problem] = error.problems
            assert problem.message.startswith("invalid TOML: ")
            assert problem.line is not None and 1 <= problem.line <= text.count("\n") + 1, problem
        return None


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(decks())
@example({"source": {"title": "T", "file": "sources\x00.txt"}})  # once a ValueError from open()
def test_random_toml_decks_load_or_fail_with_located_problems(document):
    assert_parses_or_reports_located_problems(toml_document(document))


BUNDLED_TEXT = BUNDLED_DECK.read_text(encoding="utf-8")
BUNDLED_LINES = BUNDLED_TEXT.splitlines(keepends=True)
INTERESTING = '"[]{}=#\\\n\t x.,:\'\x00\x1bé'


@st.composite
def mutations(draw):
    """The bundled deck with one to three random edits: lines deleted, duplicated
    or swapped, characters changed or inserted, the file cut short."""
    lines = list(BUNDLED_LINES)
    for _ in range(draw(st.integers(1, 3))):
        edit = draw(st.sampled_from(["delete", "duplicate", "swap", "change", "insert", "truncate"]))
        index = draw(st.integers(0, len(lines) - 1))
        if edit == "delete":
            del lines[index]
        elif edit == "duplicate":
            lines.insert(index, lines[index])
        elif edit == "swap":
            other = draw(st.integers(0, len(lines) - 1))
            lines[index], lines[other] = lines[other], lines[index]
        else:
            text = "".join(lines)
            at = draw(st.integers(0, len(text)))
            if edit == "truncate":
                text = text[:at]
            else:
                char = draw(st.sampled_from(INTERESTING) | st.characters())
                text = text[:at] + char + text[at + (edit == "change") :]
            lines = text.splitlines(keepends=True)
        lines = lines or [""]
    return "".join(lines)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutations())
@example(BUNDLED_TEXT[: BUNDLED_TEXT.index("[[cards]]") + 3])  # cut inside a table header
@example(BUNDLED_TEXT.replace('front = "', 'front = """', 1))  # a string left open to the end
def test_mutated_bundled_deck_loads_or_fails_with_located_problems(text):
    assert_parses_or_reports_located_problems(text)


def test_toml_error_at_the_end_of_the_file_names_the_last_line():
    text = BUNDLED_TEXT[: BUNDLED_TEXT.index("[[cards]]") + 3]  # "[[c"
    with pytest.raises(deck_module.DeckError) as raised:
        deck_module.parse(text, BUNDLED_DECK)
    [problem] = raised.value.problems
    assert problem.line == text.count("\n") + 1
    assert str(problem) == (
        f"{BUNDLED_DECK}:{problem.line}: invalid TOML: Expected ']]' at the end of an array declaration, at the end of the file"
    )


def test_a_source_file_name_with_a_nul_character_is_a_problem_not_a_crash():
    text = BUNDLED_TEXT.replace('file = "sources/', 'file = "\\u0000sources/', 1)
    with pytest.raises(deck_module.DeckError) as raised:
        deck_module.parse(text, BUNDLED_DECK)
    [problem] = raised.value.problems
    assert problem.line == 13 and "source document" in problem.message and "embedded null byte" in problem.message


def test_problem_lines_count_only_newlines_as_toml_does():
    # U+2028 and NEL are line breaks to str.splitlines() but not to TOML.
    text = BUNDLED_TEXT.replace("# (sources/", "# \u2028\x85(sources/", 1).replace('kind = "basic"', 'kind = "?"', 1)
    with pytest.raises(deck_module.DeckError) as raised:
        deck_module.parse(text, BUNDLED_DECK)
    [problem] = raised.value.problems
    assert text.split("\n")[problem.line - 1] == 'kind = "?"'


def test_check_reports_mutated_deck_files_without_a_traceback(tmp_path):
    (tmp_path / "sources").mkdir()
    (tmp_path / "sources" / "osteoporosis-leg-numbness.txt").write_text(SOURCE_TEXT, encoding="utf-8")
    broken = {
        "cut.toml": BUNDLED_TEXT[: len(BUNDLED_TEXT) // 3],
        "open-string.toml": BUNDLED_TEXT.replace('back = "', 'back = """', 1),
        "types.toml": BUNDLED_TEXT.replace('kind = "basic"', "kind = 3", 1).replace('tags = ["overview"]', "tags = {}", 1),
        "binary.toml": "\x00\x01" + BUNDLED_TEXT,
        "source-null.toml": BUNDLED_TEXT.replace('file = "sources/', 'file = "\\u0000sources/', 1),
    }
    for name, text in broken.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    (tmp_path / "latin1.toml").write_bytes(BUNDLED_TEXT.replace("Osteoporosis", "Ostéoporose").encode("latin-1", "replace"))
    files = sorted(tmp_path.glob("*.toml"))
    result = CliRunner().invoke(cli, ["check", *map(str, files)])
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    for file in files:
        assert re.search(rf"^{re.escape(str(file))}:\d*:? ", result.output, re.MULTILINE), file.name
    assert result.output.splitlines()[-1] == f"Error: {len(files)} of {len(files)} deck file(s) have problems"

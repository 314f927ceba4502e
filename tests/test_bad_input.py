"""Bad input: fuzzed deck files, hostile card text on the terminal and in
Anki, and wrong command-line arguments."""

from __future__ import annotations

import io
import math
import re
import tomllib
import unicodedata
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import BUNDLED_DECK
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from study_deck import write_deck as write_study_deck

from test_export import import_into, visible_text
from test_review_pty import finish, press, spawn

from osteo_learn.core import deck as deck_module
from osteo_learn.core.cards import Deck
from osteo_learn.commands.cli import all_commands, cli
from osteo_learn.terminal.layout import width_of

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


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
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


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
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
    file_line = text.split("\n").index('file = "\\u0000sources/osteoporosis-leg-numbness.txt"') + 1
    assert problem.line == file_line and "source document" in problem.message and "embedded null byte" in problem.message


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


# -- hostile card text: on the terminal and in Anki ---------------------------------

CLEAR = "\x1b[2J\x1b[H"
TITLE = "\x1b]0;owned\x07"
CURSOR = "\x1b[10;10H\x1b[A\x1b[31m"
C1 = "\x9b2J\x9d0;c1 title\x9c\x85"
CONTROLS = "\x07\x08\r\x00\x7f"
ARABIC = "هشاشة العظام"
HEBREW = "אוסטאופורוזיס"
COMBINING = "Cafe\u0301 e\u0301\u0301 n\u0303"
SCRIPT = "<script>alert(1)</script>"
LONG_WORDS = " ".join(f"bone{n}" for n in range(900))  # 5,000+ characters on one line
LONG_WORD = "x" * 5000

HOSTILE_SOURCE = (
    f"Hostile text\nArabic {ARABIC} and Hebrew {HEBREW} read right to left. {COMBINING} combine.\n"
    f"Markup {SCRIPT} &amp; <b>bold</b> and templates {{{{Front}}}} }}}} stay text.{CLEAR}\n"
)

HOSTILE_DECK = {
    "id": "demo",
    "title": f"Hostile{TITLE} <deck> {{{{Front}}}}{CLEAR}",
    "description": f"Every field hostile.{C1}",
    "source": {"title": f"Source{TITLE}", "file": "sources/demo.txt"},
    "cards": [
        {
            "id": "hostile-basic",
            "kind": "basic",
            "tags": ["html<b>", "rtl"],
            "front": f"Front{CLEAR} {{{{Front}}}} {{{{c1::x}}}} }}}} {SCRIPT} &amp; {TITLE}{ARABIC} {COMBINING}{CONTROLS}?",
            "back": f"Back{CURSOR} {HEBREW} <img src=x onerror=alert(2)> {{{{Back}}}}{C1}",
            "source": f"Arabic {ARABIC} and Hebrew {HEBREW}",
        },
        {
            "id": "hostile-cloze",
            "kind": "cloze",
            "tags": ["cloze"],
            "text": f"{CURSOR}The {{{{c1::<b>spine</b> & co}}}} holds {{{{c2::{HEBREW}::Hebrew}}}} }}}} {{{{Front}}}}{C1}",
            "extra": f"{ARABIC}{CONTROLS} {{{{Extra}}}} {SCRIPT}",
            "source": f"Markup {SCRIPT} &amp; <b>bold</b>",
        },
        {
            "id": "hostile-case",
            "kind": "vignette",
            "tags": ["case"],
            "stem": f"{LONG_WORDS}{TITLE}",
            "question": f"Which {{{{Question}}}} <i>test</i>?{CLEAR}",
            "options": [SCRIPT, "A & B", "{{c1::x}}", ARABIC],
            "answer": "A & B",
            "explanation": f"{LONG_WORD}{C1} {COMBINING}",
            "source": f"templates {{{{Front}}}} }}}} stay text.{CLEAR}",
        },
    ],
}

# The terminal sequences the review itself writes (colour, the alternate screen, the cursor home, erasing).
_OWN_SEQUENCES = re.compile(r"\x1b\[[0-9;]*m|\x1b\[\?1049[hl]|\x1b\[H|\x1b\[K|\x1b\[J")


def right_letter() -> str:
    """The letter the hostile case's answer is shown with on 2026-03-02 (options are shuffled per day)."""
    from datetime import date

    from osteo_learn.core.shuffle import option_order

    return "abcd"[option_order("demo", "hostile-case", date(2026, 3, 2), 4).index(1)]
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@pytest.fixture
def hostile_db(tmp_path) -> Path:
    folder = tmp_path / "decks"
    (folder / "sources").mkdir(parents=True)
    (folder / "sources" / "demo.txt").write_text(HOSTILE_SOURCE, encoding="utf-8")
    (folder / "demo.toml").write_text(toml_document(HOSTILE_DECK), encoding="utf-8")
    db = tmp_path / "hostile.db"
    result = CliRunner().invoke(cli, ["add-deck", "--db", str(db), str(folder / "demo.toml")])
    assert result.exit_code == 0, result.output
    return db


def assert_shown_harmlessly(text: str, width: int) -> None:
    """No control character from the deck; the text itself still there; lines wrapped to ``width``."""
    assert not _CONTROL.search(text), repr(_CONTROL.search(text).group(0))
    for expected in (ARABIC, HEBREW, "Cafe\u0301", "e\u0301\u0301", SCRIPT, "&amp;", "{{Front}}", "{{c1::x}}", "}}", "bone899"):
        assert expected in text, expected
    assert max(width_of(line) for line in text.split("\n")) <= width


def test_hostile_card_text_is_shown_harmlessly_in_line_mode(hostile_db):
    # Each card: reveal (or pick the right option), show the source, grade.
    keys = ["", "s", "4", "", "s", "5", right_letter(), "s", "4"]
    result = CliRunner().invoke(
        cli,
        ["review", "--db", str(hostile_db), "--deck", "demo"],
        input="".join(k + "\n" for k in keys),
        env={"OSTEO_LEARN_TODAY": "2026-03-02", "COLUMNS": "80"},
    )
    assert result.exit_code == 0, result.output
    assert "Session over." in result.output
    assert_shown_harmlessly(result.output, 80)
    assert "The [...] holds" in result.output  # the cloze still hides its deletion


def test_hostile_card_text_is_shown_harmlessly_on_a_terminal_with_colour(hostile_db):
    # A window tall enough for the whole card: nothing of it scrolls out of sight.
    child = spawn(hostile_db, colour=True, rows=120)
    seen = io.StringIO()
    child.logfile_read = seen
    child.expect_exact("show the answer")
    press(child, " ", "grade")
    press(child, "s", "Source")
    press(child, "4", "show the answer")  # the cloze
    press(child, " ", "grade")
    press(child, "5", "choose an answer")  # the case
    press(child, right_letter(), "grade")
    press(child, "4", "Session over.")
    assert finish(child) == 0
    # Only the review's own sequences: without them, no escape or control character is left.
    shown = _OWN_SEQUENCES.sub("\n", seen.getvalue()).replace("\r\n", "\n")
    assert "\x1b[1m" in seen.getvalue()
    assert_shown_harmlessly(shown, 90)


def test_hostile_card_text_exports_to_anki_as_text(tmp_path, hostile_db, anki):
    package = tmp_path / "hostile.apkg"
    result = CliRunner().invoke(cli, ["export", "--db", str(hostile_db), "--deck", "demo", "-o", str(package)])
    assert result.exit_code == 0, result.output
    log = import_into(anki, package, with_scheduling=False)
    assert (len(log.new), len(log.conflicting)) == (3, 0)
    fields = [field for nid in anki.find_notes("tag:osteo::deck::demo") for field in anki.get_note(nid).fields]
    sides = []
    for card_id in anki.find_cards("tag:osteo::deck::demo"):
        card = anki.get_card(card_id)
        sides += [re.sub(r"<style>.*?</style>", "", side, flags=re.DOTALL) for side in (card.question(), card.answer())]
    assert len(sides) == 8  # basic, cloze c1 and c2, case: question and answer each
    names = [name for name in (d.name for d in anki.decks.all_names_and_ids()) if name.startswith("Osteo Learn::")]
    assert names == ["Osteo Learn::Hostile &lt;deck&gt; {{Front}}"]
    for text in fields + sides:
        # Terminal sequences are dropped whole (no "[2J" left behind), like on the terminal.
        assert not _CONTROL.search(text) and "[2J" not in text and "owned" not in text, text[:300]
        # Markup arrives escaped: no element from the deck is ever created.
        for tag in ("<script", "<img", "<b>", "<i>"):
            assert tag not in text
    rendered = "\n".join(sides)
    for literal in ("&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;img src=x onerror=alert(2)&gt;", "&amp;amp;", "&lt;b&gt;spine&lt;/b&gt; &amp; co"):
        assert literal in rendered, literal
    # Template syntax in a field is text: Anki does not expand it, and no template breaks.
    for literal in ("{{Front}}", "{{c1::x}}", "{{Back}}", "{{Extra}}", "{{Question}}", "}}"):
        assert literal in rendered, literal
    assert "template has a problem" not in rendered.lower() and "is blank" not in rendered
    # Anki keeps text in NFC: "e" + U+0301 arrives as "é", the same text.
    for text in (ARABIC, HEBREW, COMBINING, "bone899", LONG_WORD):
        assert unicodedata.normalize("NFC", text) in rendered
    basic_question = next(side for side in sides if "ol-front" in side and "ol-back" not in side)
    assert visible_text(basic_question).startswith("QuestionFront {{Front}} {{c1::x}} }} &lt;script&gt;")


# -- wrong arguments -------------------------------------------------------------

DB_COMMANDS = sorted(name for name, command in all_commands().items() if any(p.name == "db_path" for p in command.params))
# What each command needs besides --db to run (export writes its package here; review reads a q;
# import-reviews reads osteo-learn's own export of the bundled deck, which holds no answers).
CARD = "osteoporosis-leg-numbness/direct-cause"
RUNS = {
    "add-deck": ["{deck}"],
    "export": ["-o", "{tmp}/out.apkg"],
    "remove-deck": ["demo"],
    "import-reviews": ["{package}"],
    **{name: [CARD] for name in ("suspend", "unsuspend", "flag", "unflag")},
}


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> Path:
    from osteo_learn.anki import export
    from osteo_learn.store import library

    folder = tmp_path_factory.mktemp("package")
    store, _ = library.open_library(folder / "study.db")
    with store:
        export.export_from_store(store, folder / "bundled.apkg", timestamp=1_700_000_000.0)
    return folder / "bundled.apkg"


def invoke(*args: str, input: str = "q\n"):
    return CliRunner().invoke(cli, list(args), input=input, env={"OSTEO_LEARN_TODAY": "2026-03-02"})


def test_db_commands_are_found():
    assert {"status", "review", "stats", "cards", "add-deck", "config", "export", "import-reviews", "remove-deck"} <= set(DB_COMMANDS)


@pytest.mark.parametrize("name", sorted(all_commands()))
def test_every_command_refuses_an_unknown_option_with_usage_and_exit_2(name):
    result = invoke(name, "--no-such-option")
    assert result.exit_code == 2
    assert result.output.startswith(f"Usage: cli {name} ")
    assert "Error: No such option '--no-such-option'." in result.output


@pytest.mark.parametrize("name", [n for n in sorted(all_commands()) if not any(p.nargs == -1 for p in all_commands()[n].params)])
def test_every_command_refuses_extra_arguments_with_exit_2(name):
    result = invoke(name, "one", "two", "three")
    assert result.exit_code == 2
    assert result.output.startswith(f"Usage: cli {name} ")
    assert "Got unexpected extra argument" in result.output


@pytest.mark.parametrize(
    "args, message",
    [
        (["review", "--new", "-1"], "Invalid value for '--new': -1 is not in the range x>=0."),
        (["review", "--new", "x"], "Invalid value for '--new': 'x' is not a valid integer"),
        (["review", "--limit", "x"], "Invalid value for '--limit': 'x' is not a valid integer"),
        (["review", "--limit", "-3"], "Invalid value for '--limit': -3 is not in the range x>=0."),
        (["review", "--deck"], "Option '--deck' requires an argument."),
        (["cards", "--state", "bogus"], "Invalid value for '--state': 'bogus' is not one of 'new', 'due', 'learned', 'retired'."),
        (["cards", "--tag"], "Option '--tag' requires an argument."),
        (["stats", "--json=yes"], "Option '--json' does not take a value."),
        (["export", "--with-progress=1"], "Option '--with-progress' does not take a value."),
        (["export", "-o"], "Option '-o' requires an argument."),
        (["config", "bogus"], "Invalid value for NAME: unknown setting 'bogus'"),
        (["config", "--reset"], "--reset takes a NAME and no VALUE"),
        (["add-deck"], "Missing argument 'PATH'."),
        (["status", "--db"], "Option '--db' requires an argument."),
    ],
)
def test_bad_values_exit_2_with_usage_and_the_reason(args, message):
    result = invoke(*args)
    assert result.exit_code == 2
    assert result.output.startswith("Usage: ")
    assert message in result.output


@pytest.mark.parametrize("name", DB_COMMANDS)
def test_every_command_refuses_a_folder_given_as_db_with_exit_2(tmp_path, name, package):
    args = [a.format(deck=BUNDLED_DECK, tmp=tmp_path, package=package) for a in RUNS.get(name, [])]
    result = invoke(name, "--db", str(tmp_path), *args)
    assert result.exit_code == 2
    assert f"Invalid value for '--db': File '{tmp_path}' is a directory." in result.output


@pytest.mark.parametrize("name", DB_COMMANDS)
def test_every_command_creates_the_missing_folders_of_db(tmp_path, name, package):
    db = tmp_path / "new" / "nested" / "study.db"
    deck = write_study_deck(tmp_path / "decks")
    args = [a.format(deck=deck, tmp=tmp_path, package=package) for a in RUNS.get(name, [])]
    result = invoke(name, "--db", str(db), *args)
    if name == "remove-deck":  # a new database has no deck of the student's to remove
        assert (result.exit_code, result.output) == (1, "Error: no deck 'demo' to remove\n")
    else:
        assert result.exit_code == 0, result.output
    assert db.is_file()


@pytest.mark.parametrize("name", DB_COMMANDS)
def test_every_command_reports_a_db_under_a_file_clearly_with_exit_1(tmp_path, name, package):
    blocker = tmp_path / "notes.txt"
    blocker.write_text("not a folder")
    db = blocker / "study.db"
    args = [a.format(deck=BUNDLED_DECK, tmp=tmp_path, package=package) for a in RUNS.get(name, [])]
    result = invoke(name, "--db", str(db), *args)
    assert result.exit_code == 1
    assert result.output == f"Error: cannot create the database {db}: {blocker} is a file, not a folder\n"
    assert blocker.read_text() == "not a folder"

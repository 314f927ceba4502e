"""Deck files, arguments and databases that try to crash or hang the tool.

Each must end in a usage error (exit 2) or one ``Error:`` line (exit 1),
never a traceback, never a hang: deep TOML, huge numbers, FIFOs and devices
as files, huge arguments, dates at the end of the calendar, rows edited by
hand, damaged pages. Text is laid out in time linear in its length.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from study_deck import DECK, DECK_ID, SOURCE_TEXT, write_deck

from osteo_learn.commands.cli import cli
from osteo_learn.core import files
from osteo_learn.store import Store

TODAY = "2026-03-02"


def run(*args, input: str | None = "q\n", env: dict | None = None, cwd: Path | None = None):
    previous = os.getcwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        return CliRunner().invoke(cli, [str(a) for a in args], input=input, env={"OSTEO_LEARN_TODAY": TODAY, **(env or {})})
    finally:
        os.chdir(previous)


def assert_clean_refusal(result, code: int | None = None) -> str:
    """Exit 2 with the usage, or exit 1 with one ``Error:`` line; never a traceback. Returns the error line."""
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code in (1, 2) if code is None else result.exit_code == code, (result.exit_code, result.output[-500:])
    lines = result.output.splitlines()
    errors = [line for line in lines if line.startswith("Error:")]
    assert len(errors) == 1, result.output[-1000:]
    if result.exit_code == 2:
        assert result.output.startswith("Usage: ")
    else:
        assert lines[-1] == errors[0]
    return errors[0]


def in_a_process(*args: str, timeout: float = 20) -> subprocess.CompletedProcess:
    """The real command in a process of its own: a hang fails on the timeout."""
    env = {**os.environ, "OSTEO_LEARN_TODAY": TODAY}
    return subprocess.run([sys.executable, "-m", "osteo_learn", *args], capture_output=True, text=True, timeout=timeout, env=env)


@pytest.fixture
def db(tmp_path) -> Path:
    path = tmp_path / "study.db"
    deck = write_deck(tmp_path / "decks")
    assert run("add-deck", "--db", path, deck).exit_code == 0
    return path


# -- deck files ---------------------------------------------------------------------------


def test_toml_nested_3000_deep_is_a_located_problem(tmp_path):
    deck = write_deck(tmp_path, DECK.replace('description = "A small deck for tests."', "description = " + "[" * 3000 + "]" * 3000))
    for args in (["check", deck], ["add-deck", "--db", tmp_path / "s.db", deck]):
        assert_clean_refusal(run(*args), 1)
    result = run("check", deck)
    assert f"{deck}:3: invalid TOML: arrays or inline tables nested more than 100 deep" in result.output


def test_a_toml_number_of_5000_digits_is_a_located_problem(tmp_path):
    # tomllib converts it with int(), which refuses more than 4,300 digits (a ValueError).
    deck = write_deck(tmp_path, DECK.replace('description = "A small deck for tests."', "description = " + "9" * 5000))
    result = run("check", deck)
    assert_clean_refusal(result, 1)
    assert f"{deck}:3: invalid TOML: a number has thousands of digits; no deck needs one" in result.output


@pytest.mark.parametrize("digits", ["9" * 20, "1" + "0" * 5000, "501"])
def test_a_cloze_number_out_of_range_fails_check_and_add_deck_and_never_reaches_the_database(tmp_path, digits):
    deck = write_deck(tmp_path / "decks", DECK.replace("{{c2::nerve::structure}}", "{{c" + digits + "::nerve::structure}}"))
    db = tmp_path / "s.db"
    result = run("check", deck)
    assert_clean_refusal(result, 1)
    assert "is numbered too high; deletions go from c1 to c500" in result.output
    assert_clean_refusal(run("add-deck", "--db", db, deck), 1)
    assert run("status", "--db", db).exit_code == 0
    with Store.open(db) as store:
        assert store.decks.ids() == ["osteoporosis-leg-numbness"]


@pytest.mark.parametrize("source", ["/dev/zero", "/dev/urandom", "fifo", "folder"])
def test_a_source_document_that_is_not_a_regular_file_is_refused_at_once(tmp_path, source):
    folder = tmp_path / "decks"
    deck = write_deck(folder)
    if source == "fifo":
        os.mkfifo(folder / "pipe.txt")
        target, what = "pipe.txt", "is a FIFO (named pipe), not a regular file"
    elif source == "folder":
        target, what = "sources", "is a folder, not a regular file"
    else:
        target, what = source, "is a device, not a regular file"
    deck.write_text(DECK.replace('file = "sources/demo.txt"', f"file = {json.dumps(target)}"))
    for args in (["check", str(deck)], ["add-deck", "--db", str(tmp_path / "s.db"), str(deck)]):
        result = in_a_process(*args)
        assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
        assert what in result.stderr


def test_a_package_to_import_that_is_a_fifo_or_a_device_is_refused_at_once(tmp_path):
    fifo = tmp_path / "phone.colpkg"
    os.mkfifo(fifo)
    for path, what in ((fifo, "a FIFO (named pipe)"), (Path("/dev/zero"), "a device")):
        result = in_a_process("import-reviews", "--db", str(tmp_path / "s.db"), str(path))
        assert result.returncode == 1, result.stderr
        assert result.stderr.splitlines()[-1] == f"Error: {path} is {what}, not a regular file; give the path of a package exported from Anki"


def test_a_deck_file_that_is_a_fifo_is_refused_at_once(tmp_path):
    fifo = tmp_path / "deck.toml"
    os.mkfifo(fifo)
    result = in_a_process("check", str(fifo))
    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == f"{fifo}: is a FIFO (named pipe), not a regular file; give the path of a deck file"
    result = in_a_process("add-deck", "--db", str(tmp_path / "s.db"), str(fifo))
    assert result.returncode == 1 and "Traceback" not in result.stderr


def test_files_over_their_cap_are_refused_without_being_read(tmp_path):
    folder = tmp_path / "decks"
    deck = write_deck(folder)
    with open(deck, "r+b") as handle:  # sparse: no time or disk spent
        handle.truncate(files.MAX_DECK_BYTES + 1)
    result = run("check", deck)
    assert f"is {files.MAX_DECK_BYTES + 1:,} bytes; a deck file may be at most {files.MAX_DECK_BYTES:,} bytes" in result.output
    deck = write_deck(folder)
    with open(folder / "sources" / "demo.txt", "r+b") as handle:
        handle.truncate(files.MAX_SOURCE_BYTES + 1)
    result = run("check", deck)
    assert f"a source document may be at most {files.MAX_SOURCE_BYTES:,} bytes" in result.output


def test_a_byte_order_mark_is_dropped_and_utf16_is_named(tmp_path):
    deck = write_deck(tmp_path / "decks")
    deck.write_bytes(b"\xef\xbb\xbf" + DECK.encode())
    (tmp_path / "decks" / "sources" / "demo.txt").write_bytes(b"\xef\xbb\xbf" + SOURCE_TEXT.encode())
    result = run("check", deck)
    assert result.exit_code == 0, result.output
    deck.write_bytes(DECK.encode("utf-16"))
    result = run("check", deck)
    assert f"{deck}: is UTF-16 text (it starts with a UTF-16 byte order mark); save it as UTF-8" in result.output


@pytest.mark.parametrize(
    "edit, problem",
    [
        (('id = "demo"', 'id = "' + "d" * 300 + '"'), "field 'id' is 300 characters; it may have at most 100"),
        (('id = "weak-bones"', 'id = "' + "w" * 300 + '"'), "id is 300 characters; an id may have at most 100"),
        (('back = "They weaken."', 'back = "' + "x" * 100_001 + '"'), "'back' is 100,001 characters; a text may have at most 100,000"),
        (('tags = ["mechanism"]', 'tags = ["' + "t" * 101 + '"]'), "is 101 characters; a tag may have at most 100"),
        (('tags = ["mechanism"]', "tags = [" + ", ".join(f'"t{n}"' for n in range(51)) + "]"), "has 51 tags; a card may have at most 50"),
    ],
    ids=["deck-id", "card-id", "field", "tag", "tags"],
)
def test_sizes_are_bounded_by_the_check(tmp_path, edit, problem):
    deck = write_deck(tmp_path / "decks", DECK.replace(*edit, 1))
    result = run("check", deck)
    assert_clean_refusal(result, 1)
    assert problem in result.output


# Deck text a check lets through must be usable everywhere: stored, shown, exported.
_words = st.text(alphabet=st.sampled_from(list("ab {}:c0123456789\n\u202e\x1b骨")), max_size=60)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(front=_words, cloze_text=_words, number=st.integers(0, 10**25) | st.sampled_from([1, 2, 500, 501]))
@example(front="x" * 5000, cloze_text="{{c1::a}}", number=500)
def test_a_deck_that_passes_check_can_be_added_studied_and_exported(tmp_path_factory, front, cloze_text, number):
    folder = tmp_path_factory.mktemp("deck")
    text = DECK.replace('front = "What happens to bones with age?"', f"front = {json.dumps(front or 'f')}", 1)
    text = text.replace("A spinal {{c1::fracture}} may press on a {{c2::nerve::structure}}.", json.dumps(cloze_text + " {{c" + str(number) + "::x}}")[1:-1], 1)
    deck = write_deck(folder, text)
    checked = run("check", deck)
    if checked.exit_code != 0:
        assert_clean_refusal(checked, 1)
        return
    db = folder / "s.db"
    for args in (["add-deck", "--db", db, deck], ["review", "--db", db], ["status", "--db", db], ["export", "--db", db, "-o", folder / "o.apkg"]):
        result = run(*args, input="\n4\n\n4\nb\n4\nq\n")
        assert result.exit_code == 0, (args, result.output[-800:])


# -- arguments ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["cards", "--tag", "x" * 60_000],
        ["cards", *["--tag", "x"] * 1200],
        ["review", *["--deck", "demo"] * 101],
        ["review", "--deck", "d" * 300],
        ["status", "--db", "a" * 5000],
        ["review", "--new", "9" * 30],
        ["review", "--limit", "1000001"],
        ["export", "--deck", "Not An Id"],
        ["cards", "--tag", "two words"],
    ],
    ids=["tag-60000", "tag-x1200", "deck-x101", "deck-300", "db-5000", "new-huge", "limit-huge", "deck-pattern", "tag-space"],
)
def test_unreasonable_arguments_are_usage_errors(tmp_path, args):
    result = run(*args, "--db", tmp_path / "s.db") if "--db" not in args else run(*args)
    assert_clean_refusal(result, 2)
    assert len(result.output) < 2000  # a 60,000-character value is not echoed whole


def test_a_database_path_too_long_from_the_environment_is_one_error_line(tmp_path):
    result = run("status", env={"OSTEO_LEARN_DB": str(tmp_path / ("a" * 5000))})
    line = assert_clean_refusal(result, 1)
    assert line.startswith("Error: cannot open the database ") and line.endswith(": File name too long")


@pytest.mark.parametrize(
    "variable, value, args",
    [
        ("OSTEO_LEARN_TODAY", "9999-12-31", ["review"]),
        ("OSTEO_LEARN_TODAY", "9999-12-31", ["stats"]),
        ("OSTEO_LEARN_TODAY", "0001-01-01", ["status"]),
        ("OSTEO_LEARN_NOW", "0001-01-01T01:00:00", ["status"]),
        ("OSTEO_LEARN_NOW", "9999-12-31T23:59:59+14:00", ["review"]),
        ("OSTEO_LEARN_NOW", "1900-01-01T02:00:00", ["stats"]),
    ],
)
def test_a_clock_at_the_ends_of_the_calendar_is_one_error_line(db, variable, value, args):
    result = run(*args, "--db", db, input="\n4\nq\n", env={"OSTEO_LEARN_TODAY": "", variable: value})
    line = assert_clean_refusal(result, 1)
    assert line == (
        f"Error: {variable}='{value}' is outside the dates osteo-learn works with (from 1900-01-02 to 9000-12-31); "
        "give a date in that range"
    )


def test_the_last_supported_day_studies_and_reports(db):
    for args in (["review", "--db", db], ["stats", "--db", db], ["export", "--db", db, "-o", db.parent / "o.apkg", "--with-progress"]):
        result = run(*args, input="\n5\nq\n", env={"OSTEO_LEARN_TODAY": "9000-12-31"})
        assert result.exit_code == 0, result.output


def test_a_300_character_deck_id_in_a_hand_edited_database_is_refused_by_every_reader(db, tmp_path):
    long_id = "d" * 300
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute("UPDATE decks SET id = ? WHERE id = ?", (long_id, DECK_ID))
    conn.execute("UPDATE cards SET deck_id = ? WHERE deck_id = ?", (long_id, DECK_ID))
    conn.commit()
    conn.close()
    for args in (["export", "--db", db], ["cards", "--db", db], ["review", "--db", db]):
        line = assert_clean_refusal(run(*args, input="\n4\nq\n", cwd=tmp_path), 1)
        assert "is damaged in the database: its deck or card id is not one a deck can have" in line
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".apkg"] == []


_values = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["", "-1", "0", "99999999999999999999999", "x" * 500, "\x1b]52;c;x\x07", "../..", "/dev/zero", "demo", "mechanism"]),
    st.integers(-(10**20), 10**20).map(str),
)
_options = {
    "review": ["--deck", "--tag", "--new", "--limit"],
    "status": ["--json"],
    "cards": ["--deck", "--tag", "--state", "--json"],
    "stats": ["--deck", "--json"],
    "export": ["--deck", "--tag", "-o", "--with-progress"],
    "config": [],
    "check": [],
    "add-deck": [],
    "remove-deck": [],
    "import-reviews": ["--dry-run", "--json"],
}
_flags = {"--json", "--with-progress", "--dry-run"}


@st.composite
def command_lines(draw):
    name = draw(st.sampled_from(sorted(_options)))
    args = [name]
    for _ in range(draw(st.integers(0, 4))):
        if _options[name] and draw(st.booleans()):
            option = draw(st.sampled_from(_options[name]))
            args += [option] if option in _flags else [option, draw(_values)]
        else:
            args.append(draw(_values))
    return args


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(args=command_lines())
def test_any_command_line_ends_in_success_a_usage_error_or_one_error_line(tmp_path_factory, args):
    folder = tmp_path_factory.mktemp("cwd")
    args = [a for a in args if "\x00" not in a]
    result = run(*args, "--db", folder / "s.db", cwd=folder) if args[0] != "check" else run(*args, cwd=folder)
    if result.exit_code == 0:
        assert result.exception is None or isinstance(result.exception, SystemExit)
        return
    assert_clean_refusal(result)


# -- databases edited by hand or damaged ------------------------------------------------


def edit(db: Path, sql: str, *params) -> None:
    conn = sqlite3.connect(db)
    conn.execute(sql, params)
    conn.commit()
    conn.close()


def answer_everything(db: Path) -> None:
    """Answer every card of the study deck once, grade 4, on TODAY."""
    from datetime import date, datetime, timezone

    with Store.open(db) as store:
        for card in store.cards.all([DECK_ID]):
            store.log.record(card.pk, 4, datetime(2026, 3, 2, 12, tzinfo=timezone.utc), date(2026, 3, 2), 1000)


@pytest.mark.parametrize(
    "sql, problem",
    [
        ("UPDATE cards SET interval = 0 WHERE card_id = 'weak-bones'", "interval must be 1 to 36500 days, not 0"),
        ("UPDATE cards SET fields = '{\"front\": ' WHERE card_id = 'weak-bones'", "its text (fields) is not valid JSON"),
        ("UPDATE cards SET fields = '[1, 2]' WHERE card_id = 'weak-bones'", "its text (fields) is not a JSON object"),
        ("UPDATE cards SET fields = '{\"front\": 3, \"back\": \"b\"}' WHERE card_id = 'weak-bones'", "its field 'front' is not text"),
        ("UPDATE cards SET due = '2026-02-30' WHERE card_id = 'weak-bones'", "due must be a date (YYYY-MM-DD), not '2026-02-30'"),
        ("UPDATE cards SET ease = 10000000 WHERE card_id = 'weak-bones'", "ease must be at most 100,000"),
        ("UPDATE cards SET fields = json_set(fields, '$.front', printf('%.*c', 200000, 'x')) WHERE card_id = 'weak-bones'", "its field 'front' is 200,000 characters long"),
    ],
    ids=["interval-0", "json-broken", "json-array", "json-type", "due-text", "ease-huge", "field-huge"],
)
def test_a_damaged_card_row_is_refused_by_name_in_every_command_that_reads_it(db, sql, problem):
    answer_everything(db)
    later = "2026-03-09"
    edit(db, "UPDATE cards SET due = ? WHERE due IS NOT NULL", later)  # all due on a later day
    edit(db, "UPDATE cards SET last_review = date(due, '-' || interval || ' days') WHERE due IS NOT NULL")
    edit(db, sql)
    for args in (["review", "--db", db], ["cards", "--db", db], ["export", "--db", db, "-o", db.parent / "o.apkg", "--with-progress"]):
        line = assert_clean_refusal(run(*args, input="\n4\nq\n", env={"OSTEO_LEARN_TODAY": later}), 1)
        assert line.startswith(f"Error: {db}: the card demo/weak-bones ") and problem in line, line
        assert line.endswith("restore the database from a backup (or, for its text, add its deck file again with add-deck)")
    assert not (db.parent / "o.apkg").exists()


def test_a_damaged_answer_is_refused_by_the_export(db):
    answer_everything(db)
    edit(db, "DROP TRIGGER reviews_only_undo")
    edit(db, "UPDATE reviews SET reviewed_at = 'yesterday' WHERE id = 1")
    edit(db, "CREATE TRIGGER reviews_only_undo BEFORE UPDATE ON reviews WHEN 0 BEGIN SELECT 1; END")
    line = assert_clean_refusal(run("export", "--db", db, "-o", db.parent / "o.apkg", "--with-progress"), 1)
    assert "the answer 1 of the review log is damaged in the database" in line


_integers = st.one_of(st.integers(-(2**63), 2**63 - 1), st.sampled_from([0, 1, -1, 2, 6, 7, 36500, 36501, 10**12]))
_texts = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["2026-03-02", "9999-12-31", "0001-01-01", "2026-02-30", "{}", "[]", '{"front": "f", "back": "b"}', "x" * 300, "\x1b]52;c;x\x07"]),
)
# The columns of a card and an answer a hand could edit (the schema's STRICT types kept).
_columns = {
    "cards": {"ord": _integers, "position": _integers, "reps": _integers, "ease": _integers, "interval": _integers,
              "lapses": _integers, "due": _texts, "last_review": _texts, "fields": _texts, "tags": _texts,
              "card_id": _texts, "source": _texts, "deck_id": _texts},
    "reviews": {"day": _texts, "reviewed_at": _texts, "interval_after": _integers, "ease_after": _integers,
                "due_after": _texts, "reps_after": _integers, "interval_before": _integers, "duration_ms": _integers},
}


@pytest.fixture(scope="module")
def answered_db(tmp_path_factory) -> bytes:
    folder = tmp_path_factory.mktemp("answered")
    db = folder / "study.db"
    deck = write_deck(folder / "decks")
    assert run("add-deck", "--db", db, deck).exit_code == 0
    answer_everything(db)
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return db.read_bytes()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(table=st.sampled_from(sorted(_columns)), data=st.data())
def test_any_value_in_any_row_ends_in_success_or_one_error_line(tmp_path_factory, answered_db, table, data):
    folder = tmp_path_factory.mktemp("edited")
    db = folder / "study.db"
    db.write_bytes(answered_db)
    column = data.draw(st.sampled_from(sorted(_columns[table])))
    value = data.draw(_columns[table][column])
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute("DROP TRIGGER reviews_only_undo")
    try:
        conn.execute(f"UPDATE {table} SET {column} = ? WHERE id = (SELECT min(id) FROM {table})", (value,))
    except sqlite3.IntegrityError:
        return  # the schema's own CHECKs refuse it
    finally:
        # Put the trigger back, so that the database is one of ours but for the value.
        conn.execute(schema_trigger())
        conn.commit()
        conn.close()
    for args in (["review", "--db", db], ["status", "--db", db], ["cards", "--db", db], ["stats", "--db", db], ["export", "--db", db, "-o", folder / "o.apkg", "--with-progress"]):
        result = run(*args, input="\n4\nq\n", env={"OSTEO_LEARN_TODAY": "2026-03-10"})
        if result.exit_code != 0:
            assert_clean_refusal(result, 1)
        else:
            assert result.exception is None or isinstance(result.exception, SystemExit), (args, result.exception)


def schema_trigger() -> str:
    from osteo_learn.store import schema

    return next(statement for statement in schema._INITIAL if "reviews_only_undo" in statement)


def test_a_database_with_a_damaged_page_is_never_written_to(db):
    answer_everything(db)
    conn = sqlite3.connect(db)
    row = conn.execute("SELECT * FROM reviews WHERE id = 1").fetchone()
    conn.executemany("INSERT INTO reviews VALUES (NULL" + ", ?" * (len(row) - 1) + ")", [row[1:]] * 3000)
    conn.commit()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page_size, pages = conn.execute("PRAGMA page_size").fetchone()[0], conn.execute("PRAGMA page_count").fetchone()[0]
    conn.close()
    data = bytearray(db.read_bytes())
    start = (pages // 2) * page_size
    data[start : start + page_size] = random.Random(5).randbytes(page_size)  # a page of the log, scrambled
    db.write_bytes(bytes(data))
    for args in (["config", "--db", db, "new-per-day", "5"], ["review", "--db", db, "--deck", DECK_ID], ["remove-deck", "--db", db, DECK_ID]):
        result = run(*args, input="\n4\nq\n", env={"OSTEO_LEARN_TODAY": "2026-03-05"})
        line = assert_clean_refusal(result, 1)
        assert f"{db} is damaged" in line, line
        assert line.endswith("restore it from a backup (osteo-learn can still read what is intact)") or "nothing more was written" in line
        assert db.read_bytes() == bytes(data)


def test_a_database_missing_a_table_or_trigger_is_refused_before_anything_is_written(db):
    edit(db, "DROP TRIGGER reviews_no_delete")
    before = db.read_bytes()
    line = assert_clean_refusal(run("status", "--db", db), 1)
    assert line == (
        f"Error: {db} lacks the trigger 'reviews_no_delete' (it was edited or damaged); it was left untouched: restore it from a backup"
    )
    assert db.read_bytes() == before


# -- layout ---------------------------------------------------------------------------------


def test_a_card_with_a_100000_character_word_is_shown_at_once(tmp_path):
    deck = write_deck(tmp_path / "decks", DECK.replace('back = "They weaken."', 'back = "' + "y" * 100_000 + '"'))
    db = tmp_path / "s.db"
    assert run("add-deck", "--db", db, deck).exit_code == 0
    started = time.perf_counter()
    result = run("review", "--db", db, "--deck", DECK_ID, input="\n4\nq\n")
    assert time.perf_counter() - started < 5
    assert result.exit_code == 0
    assert result.output.count("y" * 70) >= 100_000 // 80  # wrapped, all of it


def _regex_passage(document: str, excerpt: str):
    """How the passage was found before: a regex, quadratic on repetitive text."""
    import re

    words = excerpt.split()
    found = re.search(r"\s+".join(map(re.escape, words)), document) if words else None
    return None if found is None else (found.start(), found.end())


@given(
    st.text(alphabet=st.sampled_from(list("ab \n\t\u3000c")), max_size=40),
    st.text(alphabet=st.sampled_from(list("ab \nc")), max_size=8),
)
def test_the_source_passage_is_found_where_the_regex_found_it(document, excerpt):
    from osteo_learn.terminal.card_screen import _find_spaced

    words = excerpt.split()
    assert (_find_spaced(document, words) if words else None) == _regex_passage(document, excerpt)


def test_the_source_passage_of_a_repetitive_document_is_found_at_once():
    from osteo_learn.terminal.card_screen import source_passage

    started = time.perf_counter()
    found = source_passage("a " * 200_000 + "b", "a " * 2000 + "b")  # the regex took 6 s
    assert time.perf_counter() - started < 1
    assert found is not None and found[1].endswith("a b")


def test_looking_up_excerpts_is_bounded_and_says_what_to_do(tmp_path, monkeypatch):
    from osteo_learn.core import deck as deck_module

    monkeypatch.setattr(deck_module, "EXCERPT_BUDGET", 150)  # the study deck's source is 167 characters
    deck = write_deck(tmp_path / "decks")
    result = run("check", deck)
    assert_clean_refusal(result, 1)
    [problem] = [line for line in result.output.splitlines() if "too many excerpts" in line]
    assert problem.startswith(f"{deck}:") and "split the deck, or shorten the source document" in problem


def test_check_of_long_near_identical_fronts_is_quick(tmp_path):
    rng = random.Random(1)
    words = " ".join(rng.choice(["bone", "nerve", "spine", "disc", "pain", "leg"]) for _ in range(15_000))
    text = DECK.replace('front = "What happens to bones with age?"', f'front = "{words} one?"', 1)
    text = text.replace('front = "What does MRI show well?"', f'front = "{words} two?"', 1)
    deck = write_deck(tmp_path / "decks", text)
    started = time.perf_counter()
    result = run("check", deck)
    assert time.perf_counter() - started < 3  # it compared them word by word: 4 s a pair
    assert result.exit_code == 0, result.output
    assert "near-duplicate" in result.output


def test_a_cloze_of_openings_never_closed_is_checked_at_once(tmp_path):
    # Found by a regex of non-greedy groups, rescanned from every opening: 1,000 took 13 s.
    text = DECK.replace("A spinal {{c1::fracture}} may press on a {{c2::nerve::structure}}.", "{{c2::x}} " + "{{c1::" * 2_000)
    deck = write_deck(tmp_path / "decks", text)
    started = time.perf_counter()
    result = run("check", deck)
    assert time.perf_counter() - started < 3
    assert_clean_refusal(result, 1)
    assert "is not a complete deletion" in result.output


@given(st.lists(st.sampled_from(["{{c1::", "{{c2::", "::", "}}", "}", "{", "a", "{{c::", ":"]), max_size=12).map("".join))
def test_cloze_deletions_are_read_as_ankis_pattern_reads_them(text):
    import re

    from osteo_learn.core import cloze

    anki = re.compile(r"\{\{c(\d+)::(.*?)(?:::(.*?))?\}\}", re.DOTALL)
    expected = [(int(m.group(1)), m.group(2), m.group(3) or "", m.start(), m.end()) for m in anki.finditer(text)]
    assert [(d.number, d.answer, d.hint, d.start, d.end) for d in cloze.deletions(text)] == expected

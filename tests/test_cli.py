"""The command line: help, data location, status, cards, config, add-deck."""

import json
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone

import click
import pytest
from click.testing import CliRunner

from osteo_learn import __version__
from osteo_learn.core import sm2
from osteo_learn.commands.cli import all_commands, cli
from osteo_learn.store.library import open_library
from osteo_learn.store import Store

DECK = "osteoporosis-leg-numbness"


def run(*args, env=None):
    return CliRunner().invoke(cli, [str(a) for a in args], env=env)


def test_version():
    result = run("--version")
    assert result.exit_code == 0
    assert result.output == f"osteo-learn, version {__version__}\n"


def test_every_command_has_help():
    for name, command in all_commands().items():
        result = run(name, "--help")
        assert result.exit_code == 0, name
        assert command.help and command.help.strip(), name
        assert result.output.startswith(f"Usage: cli {name}") or result.output.startswith("Usage: "), name


def test_the_help_listing_gives_each_commands_own_first_sentence():
    from osteo_learn.commands.cli import COMMANDS

    for name, command in all_commands().items():
        assert command.name == name
        first = " ".join(command.help.split("\n\n")[0].split())
        assert COMMANDS[name][2] == first, name


def test_help_loads_no_command_module():
    code = (
        "import sys\n"
        "from osteo_learn.commands.cli import main\n"
        "sys.argv = ['osteo-learn', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('osteo_learn.commands.') and m not in ('osteo_learn.commands.cli', 'osteo_learn.commands.common')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "import-reviews" in done.stdout and "unsuspend" in done.stdout
    assert done.stdout.splitlines()[-1] == "[]"


def test_help_does_not_import_heavy_modules():
    code = (
        "import sys\n"
        "from osteo_learn.commands.cli import main\n"
        "sys.argv = ['osteo-learn', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('sqlite_utils', 'genanki', 'sqlite3') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.splitlines()[-1] == "[]"


def test_python_m_runs_the_tool():
    out = subprocess.run([sys.executable, "-m", "osteo_learn", "--version"], capture_output=True, text=True)
    assert out.returncode == 0
    assert out.stdout == f"osteo-learn, version {__version__}\n"


@pytest.mark.parametrize("args", [["status", "--bogus"], ["cards", "--state", "sleeping"], ["nonsense"], ["config", "a", "b", "c"]])
def test_wrong_arguments_exit_2_with_usage(args):
    result = run(*args)
    assert result.exit_code == 2
    assert "Usage:" in result.output


def test_database_lives_in_osteo_learn_home_by_default(isolated_home):
    assert run("status").exit_code == 0
    assert (isolated_home / "osteo-learn.db").is_file()


def test_osteo_learn_db_and_db_option_choose_the_file(tmp_path, monkeypatch, isolated_home):
    monkeypatch.setenv("OSTEO_LEARN_DB", str(tmp_path / "env.db"))
    assert run("status").exit_code == 0
    assert (tmp_path / "env.db").is_file()
    assert run("status", "--db", tmp_path / "sub" / "flag.db").exit_code == 0
    assert (tmp_path / "sub" / "flag.db").is_file()
    assert not (isolated_home / "osteo-learn.db").exists()


def test_database_problems_are_one_line_errors_with_exit_1(tmp_path):
    bogus = tmp_path / "bogus.db"
    bogus.write_text("not a database")
    result = run("status", "--db", bogus)
    assert result.exit_code == 1
    assert result.output == f"Error: {bogus} is not an osteo-learn database (not an SQLite file); it was left untouched\n"


def scripted_reviews(db):
    """Three simulated days of answers on the first three cards of the bundled deck."""
    store, _ = open_library(db)
    with store:
        first, second, third = store.cards.all([DECK])[:3]
        d1 = date(2026, 5, 1)
        plan = [(first, 5, d1), (second, 2, d1), (third, 4, d1), (first, 4, d1 + timedelta(1)), (second, 3, d1 + timedelta(2))]
        for card, grade, day in plan:
            store.log.record(card.pk, grade, datetime(day.year, day.month, day.day, 12, tzinfo=timezone.utc), day, 1000)
        return [c.pk for c in (first, second, third)], store.queue.count_new([DECK]) + 3


def test_status_counts_due_new_and_learned_after_scripted_days(tmp_path):
    db = tmp_path / "study.db"
    _, total = scripted_reviews(db)
    # By hand: first: 05-01 grade 5 -> 1 day (due 05-02); 05-02 grade 4 -> 6 days (due 05-08).
    # second: 05-01 grade 2 -> due 05-02; 05-03 grade 3 -> first success, 1 day (due 05-04).
    # third: 05-01 grade 4 -> 1 day (due 05-02), not answered since.
    result = run("status", "--db", db, "--json", env={"OSTEO_LEARN_TODAY": "2026-05-04"})
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["today"] == "2026-05-04"
    [deck] = data["decks"]
    assert (deck["due"], deck["learned"], deck["new"]) == (2, 3, total - 3)
    assert deck["next_due"] == "2026-05-08"
    # No answer on 05-04 yet: the whole daily allowance of new cards is left.
    assert data["new_left_today"] == 20
    result = run("status", "--db", db, env={"OSTEO_LEARN_TODAY": "2026-05-03"})
    assert "Today: 1 due, 20 new to learn (0 of 20 new introduced today)." in result.output
    # The local date going back (a move west) keeps the study day of the last answer.
    result = run("status", "--db", db, env={"OSTEO_LEARN_TODAY": "2026-05-01"})
    assert result.stdout.startswith("Study day 2026-05-03\n")
    assert result.stderr.startswith("Study day 2026-05-03: your clock reads 2026-05-01 12:00, earlier than the study day of your last answer")


def test_cards_lists_states_and_filters(tmp_path):
    db = tmp_path / "study.db"
    pks, total = scripted_reviews(db)
    result = run("cards", "--db", db, "--json", "--state", "due", "--state", "learned", env={"OSTEO_LEARN_TODAY": "2026-05-04"})
    rows = json.loads(result.output)
    assert [(r["state"], r["due"], r["interval"], r["repetitions"], r["ease_factor"]) for r in rows] == [
        ("learned", "2026-05-08", 6, 2, 2.6),  # 2.5 + 0.1 (grade 5) + 0 (grade 4)
        ("due", "2026-05-04", 1, 1, 2.36),  # 2.5 unchanged by the 2, then - 0.14 (grade 3)
        ("due", "2026-05-02", 1, 1, 2.5),  # grade 4 changes EF by 0
    ]
    new = json.loads(run("cards", "--db", db, "--json", "--state", "new").output)
    assert len(new) == total - 3
    text = run("cards", "--db", db, "--state", "due", env={"OSTEO_LEARN_TODAY": "2026-05-04"}).output
    assert text.splitlines()[-1] == "2 card(s)"


def test_cards_rejects_an_unknown_deck(tmp_path):
    result = run("cards", "--db", tmp_path / "s.db", "--deck", "nope")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == f"Error: no deck 'nope' (decks: {DECK})"


def test_config_shows_changes_and_resets_settings(tmp_path):
    db = tmp_path / "s.db"
    result = run("config", "--db", db)
    assert result.exit_code == 0
    assert "new-per-day = 20  (default 20;" in result.output
    assert run("config", "--db", db, "new-per-day", "5").output.startswith("new-per-day = 5  (default 20;")
    assert run("config", "--db", db, "new-per-day").output.startswith("new-per-day = 5 ")
    data = json.loads(run("status", "--db", db, "--json").output)
    assert data["new_per_day"] == 5
    assert run("config", "--db", db, "new-per-day", "--reset").output.startswith("new-per-day = 20 ")


@pytest.mark.parametrize(
    "args, message",
    [
        (["new-per-day", "many"], "Error: new-per-day must be a whole number, not 'many'\n"),
        (["day-start-hour", "24"], "Error: day-start-hour must be from 0 to 23, not 24\n"),
    ],
)
def test_config_refuses_bad_values(tmp_path, args, message):
    result = run("config", "--db", tmp_path / "s.db", *args)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] + "\n" == message


def test_day_start_hour_decides_the_study_day(tmp_path):
    db = tmp_path / "s.db"
    env = {"OSTEO_LEARN_NOW": "2026-05-04T02:30:00"}
    assert json.loads(run("status", "--db", db, "--json", env=env).stdout)["today"] == "2026-05-03"
    run("config", "--db", db, "day-start-hour", "0")
    assert json.loads(run("status", "--db", db, "--json", env=env).stdout)["today"] == "2026-05-04"


def test_bad_clock_override_is_a_clear_error(tmp_path):
    result = run("status", "--db", tmp_path / "s.db", env={"OSTEO_LEARN_TODAY": "tomorrow"})
    assert result.exit_code == 1
    assert result.output == "Error: OSTEO_LEARN_TODAY='tomorrow' is not an ISO date (YYYY-MM-DD)\n"


def test_add_deck_then_study_it_beside_the_bundled_one(tmp_path):
    (tmp_path / "doc.txt").write_text("Water boils at one hundred degrees at sea level.\n")
    deck = tmp_path / "water.toml"
    deck.write_text(
        'id = "water"\ntitle = "Water"\ndescription = "d"\n[source]\ntitle = "Doc"\nfile = "doc.txt"\n'
        '[[cards]]\nid = "boil"\nkind = "basic"\ntags = ["physics"]\nfront = "Boiling point at sea level?"\n'
        'back = "100 degrees"\nsource = "Water boils at one hundred degrees"\n'
    )
    db = tmp_path / "s.db"
    result = run("add-deck", "--db", db, deck)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"Deck 'water' (Water) from {deck}: 1 card(s) added, 0 updated, 0 retired.\n"
    assert result.stderr == f"Created your study database {db}: your progress is kept there. Come back with osteo-learn review --db {db}.\n"
    rows = json.loads(run("cards", "--db", db, "--json", "--deck", "water").output)
    assert [(r["card"], r["state"], r["tags"]) for r in rows] == [("boil", "new", ["physics"])]
    assert [d["deck"] for d in json.loads(run("status", "--db", db, "--json").output)["decks"]] == [DECK, "water"]


def test_add_deck_reports_every_problem_and_writes_nothing(tmp_path):
    deck = tmp_path / "broken.toml"
    deck.write_text('id = "broken"\n')
    db = tmp_path / "s.db"
    result = run("add-deck", "--db", db, deck)
    assert result.exit_code == 1
    assert f"{deck}: missing field 'title'" in result.output
    assert f"{deck}: missing [source] table" in result.output
    with Store.open(db) as store:
        assert "broken" not in store.decks.ids()


def test_click_conventions_for_missing_argument():
    result = run("add-deck")
    assert result.exit_code == 2
    assert "Missing argument 'PATH'" in result.output
    assert isinstance(cli, click.Group)


def test_scheduler_state_shown_by_cards_matches_sm2(tmp_path):
    db = tmp_path / "study.db"
    pks, _ = scripted_reviews(db)
    with Store.open(db) as store:
        for pk in pks:
            assert store.cards.get(pk).state == store.log.replay(pk)
            assert not isinstance(store.cards.get(pk).state, sm2.NewCard)

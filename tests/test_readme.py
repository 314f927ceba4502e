"""The README stays true: its Python example prints what it says, its test command is what CI runs."""

from __future__ import annotations

import contextlib
import io
import re
import sqlite3
from pathlib import Path

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def test_the_scheduler_example_prints_what_the_readme_shows():
    section = README[README.index("### Python API") :]
    code, shown = re.search(r"```python\n(.*?)```.*?```text\n(.*?)```", section, re.DOTALL).groups()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), {})
    assert out.getvalue() == shown


def test_the_development_table_names_every_subpackage():
    package = Path(__file__).resolve().parents[1] / "src" / "osteo_learn"
    folders = {init.parent.name for init in package.glob("*/__init__.py")}
    named = set(re.findall(r"^\| `(\w+)/` \|", README, re.MULTILINE))
    assert named == folders


def readme_examples() -> list[tuple[str, list[str]]]:
    """Every ``$ osteo-learn ...`` line of the README's examples, in order, with the output shown under it."""
    examples = []
    for block in re.findall(r"```(?:console|text)\n(.*?)```", README, re.DOTALL):
        lines = block.splitlines()
        for n, line in enumerate(lines):
            if line.startswith("$ osteo-learn"):
                shown = []
                for after in lines[n + 1 :]:
                    if after.startswith("$ ") or not after.strip():
                        break
                    shown.append(after)
                examples.append((line[2:], shown))
    return examples


def test_every_readme_example_works_as_written_one_after_the_other(tmp_path, monkeypatch):
    """After the quick start (a fresh database), each example runs, in the README's order,
    and prints what the README shows (lines with a path, a size or "..." aside)."""
    import shlex

    from click.testing import CliRunner

    from osteo_learn.commands.cli import cli

    monkeypatch.chdir(tmp_path)
    examples = readme_examples()
    assert len(examples) >= 10
    for command, shown in examples:
        words = shlex.split(command)
        head = None
        if "|" in words:
            words, pipe = words[: words.index("|")], words[words.index("|") + 1 :]
            assert pipe[:2] == ["head", "-3"], command
            head = 3
        result = CliRunner().invoke(cli, words[1:], env={"OSTEO_LEARN_TODAY": "2026-11-25"})
        assert result.exit_code == 0, (command, result.output)
        out = result.stdout.splitlines()[:head]
        for line in shown:
            if "..." in line or "/home/ana" in line or "KiB" in line or line.startswith("Progress:"):
                continue
            assert line in out, (command, line, out)


def test_the_newer_database_example_names_the_schema_version_this_code_writes(tmp_path):
    from click.testing import CliRunner

    from osteo_learn.commands.cli import cli
    from osteo_learn.store import Store

    shown = re.search(r"Error: rd/newer\.db (.*)", README)
    assert shown, "the README shows what a database of a newer osteo-learn gets"
    db = tmp_path / "rd" / "newer.db"
    db.parent.mkdir()
    Store.open(db).close()
    with contextlib.closing(sqlite3.connect(db)) as conn:
        conn.execute("PRAGMA user_version = 99")
    result = CliRunner().invoke(cli, ["status", "--db", str(db)])
    assert result.exit_code == 1
    assert result.output.replace(str(db), "rd/newer.db").strip() == shown.group(0)

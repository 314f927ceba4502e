"""Processes starting together on one database: how many crash, fail or print a traceback.

    python benchmarks/race.py [--rounds N] [--processes P] [--only fresh changed mixed]

Each round starts P osteo-learn processes at once (the console script, as a
student runs it) and waits for them all:

* ``fresh``: ``status`` on a database that does not exist yet, so every
  process tries to create, migrate and fill it (the issue's repro);
* ``changed``: ``status`` on a database whose added deck file just changed,
  so every process tries to sync it;
* ``mixed``: on a new database, review sessions (one answer each) beside an
  export and an add-deck of the deck file, then again after the deck
  changed.

A run fails if any process exits other than 0 or writes a traceback or an
``Error:`` line; the database must pass ``PRAGMA integrity_check`` and hold
each card once. The figures go in the closing note of the hardening issue.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

_SCRIPT = Path(sys.executable).with_name("osteo-learn")
TOOL = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "osteo_learn"]
ENV = {**os.environ, "OSTEO_LEARN_TODAY": "2026-03-02", "NO_COLOR": "1"}

DECK = '''id = "race"
title = "Race deck"
description = "Cards for processes that start together."

[source]
title = "Race source"
file = "race.txt"
'''
SOURCE = "Bones weaken with age. Nerves carry signals. Discs cushion the spine.\n"
CARD = '''
[[cards]]
id = "card-{n}"
kind = "basic"
tags = ["race"]
front = "Question {n}?"
back = "Answer {n}."
source = "Bones weaken with age."
'''


def write_deck(folder: Path, cards: int) -> Path:
    (folder / "race.txt").write_text(SOURCE, encoding="utf-8")
    path = folder / "race.toml"
    path.write_text(DECK + "".join(CARD.format(n=n) for n in range(cards)), encoding="utf-8")
    return path


def start(args: list[str], stdin: str | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [*TOOL, *args],
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )


def together(commands: list[tuple[list[str], str | None]]) -> list[tuple[int, str]]:
    processes = [start(args, stdin) for args, stdin in commands]
    results = []
    for process, (_, stdin) in zip(processes, commands):
        _, err = process.communicate(stdin, timeout=120)
        results.append((process.returncode, err))
    return results


def sound(db: Path) -> str | None:
    """What is wrong with the database after a round, or None."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            return "integrity_check failed"
        twice = conn.execute("SELECT count(*) FROM (SELECT 1 FROM cards GROUP BY deck_id, card_id, ord HAVING count(*) > 1)").fetchone()[0]
        return f"{twice} cards stored twice" if twice else None
    finally:
        conn.close()


def fresh(folder: Path, processes: int) -> list[tuple[int, str]]:
    db = folder / "r.db"
    return together([(["status", "--db", str(db)], None)] * processes) + [(0, sound(db) or "")]


def changed(folder: Path, processes: int, state: dict) -> list[tuple[int, str]]:
    db = folder / "r.db"
    if not db.exists():
        deck = write_deck(folder, 5)
        subprocess.run([*TOOL, "add-deck", "--db", str(db), str(deck)], env=ENV, check=True, capture_output=True)
        state["cards"] = 5
    state["cards"] += 1
    write_deck(folder, state["cards"])
    return together([(["status", "--db", str(db)], None)] * processes) + [(0, sound(db) or "")]


def mixed(folder: Path, processes: int) -> list[tuple[int, str]]:
    db = folder / "r.db"
    deck = write_deck(folder, 6)
    commands: list[tuple[list[str], str | None]] = [
        (["add-deck", "--db", str(db), str(deck)], None),
        (["export", "--db", str(db), "-o", str(folder / "out.apkg"), "--with-progress"], None),
    ]
    while len(commands) < processes:
        commands.append((["review", "--db", str(db)], "\n4\nq\n"))
    results = together(commands)
    write_deck(folder, 7)  # and again once the deck changed
    results += together(commands)
    return results + [(0, sound(db) or "")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--only", nargs="*", choices=["fresh", "changed", "mixed"], default=["fresh", "changed", "mixed"])
    args = parser.parse_args()
    print(f"{args.processes} processes at once, {args.rounds} rounds each, {os.cpu_count()} cores; {' '.join(TOOL)}")
    failed_any = False
    for scenario in args.only:
        started = time.perf_counter()
        outcomes: Counter[str] = Counter()
        ran = 0
        with tempfile.TemporaryDirectory() as tmp:
            state: dict = {}
            for round_number in range(args.rounds):
                folder = Path(tmp) / (f"round-{round_number}" if scenario != "changed" else "shared")
                folder.mkdir(exist_ok=True)
                if scenario == "fresh":
                    results = fresh(folder, args.processes)
                elif scenario == "changed":
                    results = changed(folder, args.processes, state)
                else:
                    results = mixed(folder, args.processes)
                *runs, (_, database) = results
                ran += len(runs)
                for code, err in runs:
                    if "Traceback" in err:
                        outcomes["traceback"] += 1
                        outcomes["traceback: " + err.strip().splitlines()[-1][:120]] += 1
                    elif code != 0:
                        outcomes[f"exit {code}: " + (err.strip().splitlines() or [""])[-1][:120]] += 1
                    elif "Error:" in err:
                        outcomes["error line: " + err.strip()[:120]] += 1
                if database:
                    outcomes["database: " + database] += 1
                if scenario != "changed":
                    shutil.rmtree(folder, ignore_errors=True)
        seconds = time.perf_counter() - started
        failures = sum(n for what, n in outcomes.items() if not what.startswith("traceback: "))
        failed_any |= bool(failures)
        print(f"{scenario}: {ran} processes in {args.rounds} rounds, {seconds:.0f} s: "
              f"{outcomes['traceback']} tracebacks, {failures} failures")
        for what, n in sorted(outcomes.items()):
            if what != "traceback":
                print(f"    {n:4}  {what}")
    sys.exit(1 if failed_any else 0)


if __name__ == "__main__":
    main()

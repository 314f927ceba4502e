"""The store under real processes: killed mid-run, and two writers at once."""

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

from osteo_learn.store.library import open_library
from osteo_learn.store import Store

# A child that answers cards in a loop and acknowledges each committed answer.
ANSWERING = textwrap.dedent(
    """
    import sys
    from datetime import date, datetime, timedelta, timezone
    from pathlib import Path
    from osteo_learn.store import Store

    db, first, step, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    store = Store.open(Path(db))
    pks = [c.pk for c in store.cards.all()][first::step]
    day = date(2026, 1, 1)
    for n in range(rounds):
        for pk in pks:
            review = store.log.record(pk, (pk + n) % 6, datetime(2026, 1, 1, tzinfo=timezone.utc), day, 5)
            print("ack", review.id, flush=True)
        day += timedelta(days=1)
    print("done", flush=True)
    """
)


def prepared_db(tmp_path: Path) -> Path:
    path = tmp_path / "study.db"
    store, _ = open_library(path)
    store.close()
    return path


def answering(db: Path, first: int = 0, step: int = 1, rounds: int = 1000) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", ANSWERING, str(db), str(first), str(step), str(rounds)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def assert_consistent(db: Path, acknowledged: set[int]) -> None:
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    with Store.open(db) as store:
        logged = {r.id for r in store.log.entries()}
        assert acknowledged <= logged
        for card in store.cards.all():
            assert store.log.replay(card.pk) == card.state


def test_killed_process_loses_no_acknowledged_answer(tmp_path):
    db = prepared_db(tmp_path)
    for kill_after in (1, 7, 23):
        child = answering(db)
        acknowledged = set()
        for line in child.stdout:
            acknowledged.add(int(line.split()[1]))
            if len(acknowledged) == kill_after:
                break
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        assert child.returncode == -signal.SIGKILL
        assert_consistent(db, acknowledged)


def test_two_processes_answering_at_once_both_finish(tmp_path):
    db = prepared_db(tmp_path)
    children = [answering(db, first, 2, rounds=3) for first in (0, 1)]
    outputs = [child.communicate(timeout=120) for child in children]
    for child, (out, err) in zip(children, outputs):
        assert child.returncode == 0, err
        assert "locked" not in err
        assert out.splitlines()[-1] == "done"
    acknowledged = {int(line.split()[1]) for out, _ in outputs for line in out.splitlines() if line.startswith("ack")}
    with Store.open(db) as store:
        cards = len(store.cards.all())
        assert len(store.log.entries()) == len(acknowledged) == 3 * cards
    assert_consistent(db, acknowledged)

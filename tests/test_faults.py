"""Faults with real processes and real files: SIGKILL at random moments, two
sessions at once, a full disk, a read-only database, files that are not ours.

The review runs as ``python -m osteo_learn review`` in line mode (stdin a
pipe): :class:`LineReview` reads its screen line by line, answers the card
it shows and waits for the "Saved: ..." acknowledgement, which the session
prints only after the answer is committed.
"""

from __future__ import annotations

import os
import queue
import random
import re
import resource
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import zipfile
from collections import deque
from datetime import date, timedelta
from pathlib import Path

import pexpect
import pytest
from click.testing import CliRunner
from study_deck import DECK, DECK_ID, write_deck

from osteo_learn.store import schema
from osteo_learn.commands.cli import cli
from osteo_learn.store import Store

DAY = date(2026, 3, 2)

# How each card of the study deck is recognised on screen, in line mode.
FRONTS = {
    "What happens to bones with age?": "weak-bones",
    "A spinal [...] may press on a nerve.": "fracture-nerve c1",
    "A spinal fracture may press on a [structure].": "fracture-nerve c2",
    "Which test can help identify nerve compression?": "case-mri",
    "What does MRI show well?": "mri-use",
}
_FRONT = re.compile("|".join(map(re.escape, FRONTS)))
_HINT = re.compile(r"q quit · \? help$")
_GRADES = re.compile(r"^(\d)-(\d) grade")
_SAVED = re.compile(r"^Saved: grade (\d)")
_UNDONE = re.compile(r"^Undone: grade (\d) of \S+/(\S+(?: c\d)?);")
_NEXT_REVIEW = re.compile(r"Next review: .*\((\d{4}-\d\d-\d\d)\)")


def add_deck(db: Path, folder: Path, deck_id: str = DECK_ID) -> None:
    text = DECK.replace(f'id = "{DECK_ID}"', f'id = "{deck_id}"', 1)
    result = CliRunner().invoke(cli, ["add-deck", "--db", str(db), str(write_deck(folder, text))])
    assert result.exit_code == 0, result.output


class LineReview:
    """``osteo-learn review`` in its own process, driven one key per line."""

    def __init__(self, db: Path, day: date, *args: str, preexec_fn=None):
        env = {**os.environ, "OSTEO_LEARN_TODAY": day.isoformat(), "NO_COLOR": "1"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "osteo_learn", "review", "--db", str(db), *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            preexec_fn=preexec_fn,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.screen = ""
        self.hint = ""
        self.card: str | None = None
        # This session's answers as [card, grade, undone], acknowledged only;
        # the indexes of those standing (what ``u`` takes back, last first);
        # and what was sent but not yet acknowledged.
        self.answers: list[list] = []
        self.standing: list[int] = []
        self.pending: tuple | None = None

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def read_until(self, pattern: re.Pattern) -> re.Match | None:
        """Read the screen up to a line matching ``pattern`` (None at the end of the output)."""
        seen = []
        while True:
            line = self.lines.get(timeout=30)
            if line is None:
                self.screen = "".join(seen)
                return None
            seen.append(line)
            found = pattern.search(line)
            if found:
                self.screen = "".join(seen)
                return found

    def send(self, key: str) -> None:
        self.process.stdin.write(key + "\n")
        self.process.stdin.flush()

    def next_card(self) -> str | None:
        """Wait for the next card and name it; None when the session ended."""
        found = self.read_until(_HINT)
        if found is None:
            self.card = None
            return None
        self.hint = found.string
        self.card = FRONTS[_FRONT.search(self.screen).group(0)]
        return self.card

    def grade(self, rng: random.Random, highest: int = 5) -> None:
        """Show the answer (or pick an option) and send a grade the screen allows; do not wait.

        With ``highest`` 3, every card comes back the same day (below 4), so the session never runs out.
        """
        self.send(rng.choice("abcd") if "choose an answer" in self.hint else "")
        low, high = map(int, _GRADES.match(self.read_until(_HINT).string).groups())
        grade = rng.randint(low, max(low, min(high, highest)))
        self.send(str(grade))
        self.pending = ("answer", self.card, grade)

    def saved(self) -> None:
        """Wait for the acknowledgement of the grade sent."""
        _, card, grade = self.pending
        found = self.read_until(_SAVED)
        assert found is not None, self.stderr()
        assert int(found.group(1)) == grade
        self.answers.append([card, grade, False])
        self.standing.append(len(self.answers) - 1)
        self.pending = None

    def answer(self, rng: random.Random, highest: int = 5) -> None:
        self.grade(rng, highest)
        self.saved()

    def undo(self) -> None:
        self.send("u")
        self.pending = ("undo",)

    def undone(self) -> None:
        index = self.standing.pop()
        card, grade, _ = self.answers[index]
        found = self.read_until(_UNDONE)
        assert found is not None and (int(found.group(1)), found.group(2)) == (grade, card)
        self.answers[index][2] = True
        self.pending = None

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=30)

    def stderr(self) -> str:
        self.process.wait(timeout=30)
        return self.process.stderr.read()

    def finish(self) -> int:
        self.process.stdin.close()
        return self.process.wait(timeout=30)


Row = tuple  # (id, card label, grade, undone)


def logged(db: Path) -> list[Row]:
    """The review log, read without writing anything (a read-only connection does not checkpoint)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = conn.execute(
            "SELECT r.id, c.card_id || CASE WHEN c.kind = 'cloze' THEN ' c' || c.ord ELSE '' END,"
            " r.grade, r.undone_at IS NOT NULL FROM reviews r JOIN cards c ON c.id = r.card ORDER BY r.id"
        ).fetchall()
    finally:
        conn.close()
    return rows


def assert_session_logged(before: list[tuple], after: list[tuple], session: LineReview) -> tuple | None:
    """The log holds exactly what the session acknowledged, plus at most the change in flight.

    Rows are (card, grade, undone). Returns the change in flight if the log
    does not show it: ("answer", card, grade), or ("undo", index of its row).
    """
    assert after[: len(before)] == before, "a session changed answers it did not give"
    new = after[len(before) :]
    pending = session.pending
    extra = 1 if pending and pending[0] == "answer" and len(new) == len(session.answers) + 1 else 0
    assert len(new) == len(session.answers) + extra, (new, session.answers, pending)
    unseen = pending if pending and pending[0] == "answer" and not extra else None
    for index, ((card, grade, undone), (want_card, want_grade, want_undone)) in enumerate(zip(new, session.answers)):
        assert (card, grade) == (want_card, want_grade)
        if pending == ("undo",) and index == session.standing[-1]:
            unseen = None if undone else ("undo", len(before) + index)
        else:
            assert bool(undone) == want_undone
    if extra:
        assert new[-1] == (pending[1], pending[2], 0)
    return unseen


def plain(rows: list[Row]) -> list[tuple]:
    return [row[1:] for row in rows]


class Ledger:
    """The review log as last checked, and the changes that may still surface in it.

    A process killed in the middle of a commit can leave the change written
    to the -wal file but not yet in its index: live connections do not see
    it, and the next write takes its place; if no write comes first, it
    shows once SQLite recovers the -wal file (when a connection opens and
    no other is open). Such a change was never acknowledged, so either way
    is right; anything else is not.
    """

    def __init__(self, db: Path):
        self.db = db
        self.rows: list[tuple] = []
        self.unseen: list[tuple] = []

    def variants(self) -> list[list[tuple]]:
        """The log as last checked, then with each unseen change surfaced."""
        found = [self.rows]
        for change in self.unseen:
            if change[0] == "answer":
                found.append(self.rows + [(change[1], change[2], 0)])
            else:
                index = change[1]
                found.append(self.rows[:index] + [(*self.rows[index][:2], 1)] + self.rows[index + 1 :])
        return found

    def now(self) -> list[tuple]:
        """The log, checked: as last seen, or with one unseen change surfaced."""
        rows = plain(logged(self.db))
        assert rows in self.variants(), (rows[len(self.rows) - 1 :], self.unseen)
        if rows != self.rows:
            self.unseen = []
        self.rows = rows
        return rows

    def after_session(self, session: LineReview) -> None:
        """The log after a session ended: what it acknowledged, on top of the log as
        last seen or with an unseen change surfaced before it wrote."""
        after = plain(logged(self.db))
        errors = []
        for base in self.variants():
            try:
                unseen = assert_session_logged(base, after, session)
            except AssertionError as error:
                errors.append(error)
                continue
            # A session that wrote anything took the place of the earlier changes in flight.
            if after != self.rows:
                self.unseen = []
            if unseen:
                self.unseen.append(unseen)
            self.rows = after
            return
        raise errors[0]


def assert_states_replay(db: Path) -> None:
    with Store.open(db) as store:
        for card in store.cards.all(include_retired=True):
            assert card.state == store.log.replay(card.pk), card.label


# -- SIGKILL at random moments ------------------------------------------------


KILLS = 60


def test_sigkill_at_random_moments_keeps_every_acknowledged_answer_and_a_sound_database(tmp_path):
    rng = random.Random(20260302)
    db = tmp_path / "study.db"
    kills = 0
    # While the database is being created, migrated and filled with the decks;
    # then once more to the end.
    deck = write_deck(tmp_path / "decks")
    for attempt in range(7):
        adding = subprocess.Popen(
            [sys.executable, "-m", "osteo_learn", "add-deck", "--db", str(db), str(deck)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        if attempt < 6:
            time.sleep(rng.uniform(0.05, 0.35))
            adding.kill()
        adding.wait(timeout=30)
        if adding.returncode == -signal.SIGKILL:
            kills += 1
        else:
            assert adding.returncode == 0, adding.stderr.read()
        if db.exists():
            assert_sound(db)
    assert_states_replay(db)

    day = DAY
    ledger = Ledger(db)
    # Review processes started ahead, so that their start-up overlaps the
    # current one's answers (they only read until given a key).
    warm: deque[LineReview] = deque()

    def next_day(to: date) -> int:
        """Study another day: the processes started for the day before are killed, wherever they are."""
        nonlocal day
        day = to
        ledger.now()
        stopped = len(warm)
        while warm:
            warm.popleft().kill()
        ledger.now()
        return stopped

    processes = 0
    while kills < KILLS:
        while len(warm) < 2:
            warm.append(LineReview(db, day, "--deck", DECK_ID))
        session = warm.popleft()
        processes += 1
        ledger.now()
        if session.next_card() is None:
            # Nothing left today: the session said so and ended by itself.
            assert session.finish() == 0
            found = _NEXT_REVIEW.search(session.screen)
            kills += next_day(date.fromisoformat(found.group(1)) if found else day + timedelta(days=1))
            continue
        how = rng.choices(["idle", "mid-answer", "mid-undo", "start-up"], [4, 4, 1, 1])[0]
        if how == "start-up":
            session.kill()
            starting = LineReview(db, day, "--deck", DECK_ID)
            time.sleep(rng.uniform(0, 0.25))
            starting.kill()
            kills += 2
            ledger.now()
            continue
        ended = False
        for _ in range(rng.randint(0, 8)):
            if session.standing and rng.random() < 0.15:
                session.undo()
                session.undone()
            else:
                session.answer(rng)
            if session.next_card() is None:
                ended = True
                break
        if ended:
            assert session.finish() == 0
            ledger.after_session(session)
            kills += next_day(day + timedelta(days=1))
            continue
        if how == "mid-answer":
            session.grade(rng)
            time.sleep(rng.uniform(0, 0.0025))
        elif how == "mid-undo" and session.standing:
            session.undo()
            time.sleep(rng.uniform(0, 0.0025))
        else:
            time.sleep(rng.uniform(0, 0.01))
        session.kill()
        kills += 1
        assert session.process.returncode == -signal.SIGKILL
        ledger.after_session(session)
        if processes % 10 == 0:
            assert_states_replay(db)
        if processes % 6 == 0:
            kills += next_day(day + timedelta(days=1))
    next_day(day)
    assert_states_replay(db)
    rows = ledger.now()
    assert len(rows) > KILLS  # the sessions did answer between the kills
    assert len({card for card, _, _ in rows}) >= 4


def assert_sound(db: Path) -> None:
    """A database killed while being created is sound: empty, or with a sound schema."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()


# -- two sessions at once ------------------------------------------------------


def test_two_review_sessions_on_one_database_answer_at_once_and_both_finish(tmp_path):
    db = tmp_path / "study.db"
    add_deck(db, tmp_path / "first")
    add_deck(db, tmp_path / "second", "other")
    decks = (DECK_ID, "other")
    sessions = [LineReview(db, DAY, "--deck", deck_id) for deck_id in decks]
    for session in sessions:
        assert session.next_card() is not None
    start = threading.Barrier(len(sessions))
    failures = []

    def study(session: LineReview, seed: int) -> None:
        try:
            rng = random.Random(seed)
            start.wait()
            for _ in range(40):
                session.answer(rng, highest=3)
                assert session.next_card() is not None
            session.send("q")
        except BaseException as error:  # reported by the main thread
            failures.append(error)

    threads = [threading.Thread(target=study, args=(s, n)) for n, s in enumerate(sessions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, failures
    for session in sessions:
        assert session.finish() == 0
        err = session.stderr()
        assert "locked" not in err and err == ""
    conn = sqlite3.connect(db)
    rows = conn.execute(
        "SELECT c.deck_id, c.card_id || CASE WHEN c.kind = 'cloze' THEN ' c' || c.ord ELSE '' END, r.grade"
        " FROM reviews r JOIN cards c ON c.id = r.card ORDER BY r.id"
    ).fetchall()
    conn.close()
    for deck_id, session in zip(decks, sessions):
        assert [(card, grade) for deck, card, grade in rows if deck == deck_id] == [
            (card, grade) for card, grade, _ in session.answers
        ]
    assert len(rows) == 80
    assert_states_replay(db)


# -- a full disk -------------------------------------------------------------------


def can_mount() -> bool:
    if os.geteuid() != 0:
        return False
    probe = Path(subprocess.run(["mktemp", "-d"], capture_output=True, text=True, check=True).stdout.strip())
    try:
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(probe)], capture_output=True)
        if mounted.returncode:
            return False
        subprocess.run(["umount", str(probe)], check=True)
        return True
    finally:
        probe.rmdir()


CAN_MOUNT = can_mount()


@pytest.fixture
def mounts():
    """Mount file systems for a test; every one is unmounted afterwards."""
    done: list[Path] = []

    def mount(*args: str) -> None:
        subprocess.run(["mount", *args], check=True, capture_output=True)
        target = Path(args[-1])
        if target not in done:
            done.append(target)

    yield mount
    for target in reversed(done):
        if subprocess.run(["umount", str(target)], capture_output=True).returncode:
            subprocess.run(["umount", "-l", str(target)], check=True)


def small_disk(tmp_path: Path, mounts, size: str, *, mount: bool = CAN_MOUNT) -> Path:
    """A folder ``disk`` that is a tmpfs of ``size`` (when it can be mounted), to fill up."""
    folder = tmp_path / "disk"
    folder.mkdir()
    if mount:
        mounts("-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder))
    return folder


def fill(folder: Path) -> Path:
    """Write a file until the file system is full."""
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError as error:
        assert error.errno == 28  # ENOSPC
    finally:
        os.close(fd)
    return filler


def file_size_limit(limit: int):
    """For a child process: writes past ``limit`` bytes fail (EFBIG) instead of killing it."""

    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def assert_one_line_error(session: LineReview, db: Path, why: str | None) -> None:
    err = session.stderr()
    assert session.process.returncode == 1
    assert "Traceback" not in err
    assert err.count("\n") == 1, err
    assert err.startswith(f"Error: cannot write to the database {db}: ") and err.endswith("; nothing was changed\n"), err
    if why:
        assert f": {why};" in err


@pytest.mark.parametrize("fault", ["disk full", "file size limit"])
def test_a_write_failing_mid_review_ends_with_a_clear_error_and_keeps_the_saved_answers(tmp_path, mounts, fault):
    """A full disk (a small tmpfs filled up; without root, a file size limit
    stands in for it) makes an answer fail: the session ends with one line
    and exit 1, the answer is not half-saved, the earlier ones are kept."""
    on_tmpfs = fault == "disk full" and CAN_MOUNT
    folder = small_disk(tmp_path, mounts, "1m", mount=on_tmpfs)
    db = folder / "study.db"
    add_deck(db, tmp_path / "decks")
    # The -shm file needs 32 KiB; the log's -wal file grows with each answer.
    limit = None if on_tmpfs else file_size_limit(64 * 1024)
    session = LineReview(db, DAY, "--deck", DECK_ID, preexec_fn=limit)
    rng = random.Random(5)
    initial = logged(db)
    assert session.next_card() is not None
    session.answer(rng, highest=3)
    filler = fill(folder) if on_tmpfs else None
    while True:
        before = logged(db)
        assert session.next_card() is not None
        session.grade(rng, highest=3)
        if session.read_until(_SAVED) is None:
            break
        session.pending = None
        session.answers.append(None)  # saved: the limit is not reached yet
        assert len(session.answers) < 30
    assert_one_line_error(session, db, "the disk is full" if on_tmpfs else None)
    assert "Session ended." in session.screen and "every answer above is saved." in session.screen
    after = logged(db)
    assert after == before
    assert len(after) == len(initial) + len(session.answers)
    assert_states_replay(db)
    # With room again, the same database carries on.
    if filler:
        filler.unlink()
    again = LineReview(db, DAY, "--deck", DECK_ID)
    assert again.next_card() is not None
    again.answer(rng)
    again.send("q")
    assert again.finish() == 0
    assert len(logged(db)) == len(after) + 1


def test_a_full_disk_at_start_is_a_clear_error_and_changes_nothing(tmp_path, mounts):
    folder = small_disk(tmp_path, mounts, "512k")
    db = folder / "study.db"
    add_deck(db, tmp_path / "decks")
    data = db.read_bytes()
    if CAN_MOUNT:
        fill(folder)
    # Opening needs room for the -shm file (32 KiB) beside the database.
    limit = None if CAN_MOUNT else file_size_limit(1024)
    for command in ("review", "status"):
        run = subprocess.run(
            [sys.executable, "-m", "osteo_learn", command, "--db", str(db)],
            input="",
            capture_output=True,
            text=True,
            preexec_fn=limit,
            env={**os.environ, "OSTEO_LEARN_TODAY": DAY.isoformat()},
        )
        assert run.returncode == 1, run.stderr
        assert "Traceback" not in run.stderr and run.stderr.count("\n") == 1, run.stderr
        assert run.stderr.startswith(f"Error: cannot open the database {db}: "), run.stderr
        if CAN_MOUNT:
            assert "the disk is full" in run.stderr
        assert db.read_bytes() == data


def test_an_export_onto_a_full_disk_is_a_clear_error_and_leaves_nothing_behind(tmp_path, mounts):
    """The package is built in a folder beside its target: on a full disk (a
    filled tmpfs; without root, a file size limit) it fails with one line,
    and leaves no file behind."""
    db = tmp_path / "data" / "study.db"
    add_deck(db, tmp_path / "decks")
    disk = small_disk(tmp_path, mounts, "256k")
    if CAN_MOUNT:
        filler = fill(disk)
        # Room for the folder the package is built in, not for a package.
        os.truncate(filler, filler.stat().st_size - 16 * 1024)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    target = disk / "out.apkg"
    data = db.read_bytes()
    run = subprocess.run(
        [sys.executable, "-m", "osteo_learn", "export", "--db", str(db), "-o", str(target), "--with-progress"],
        capture_output=True,
        text=True,
        preexec_fn=None if CAN_MOUNT else file_size_limit(64 * 1024),
        env={**os.environ, "OSTEO_LEARN_TODAY": DAY.isoformat(), "TMPDIR": str(elsewhere)},
    )
    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stderr and run.stderr.count("\n") == 1, run.stderr
    assert run.stderr.startswith(f"Error: cannot write {target}: ") and run.stderr.endswith("; nothing was changed\n")
    if CAN_MOUNT:
        assert "No space left on device" in run.stderr or "the disk is full" in run.stderr, run.stderr
        assert f"building it in {disk} failed" in run.stderr
    assert sorted(path.name for path in disk.iterdir()) == (["filler"] if CAN_MOUNT else [])
    assert sorted(path.name for path in elsewhere.iterdir()) == []
    assert db.read_bytes() == data


def test_a_full_temporary_folder_does_not_fail_an_export(tmp_path, mounts):
    """Nothing of an export goes to the system's temporary folder (SQLite's
    temporary data stays in memory), so a full TMPDIR changes nothing: the
    package is written, an existing one replaced, and nothing is left."""
    db = tmp_path / "data" / "study.db"
    add_deck(db, tmp_path / "decks")
    disk = small_disk(tmp_path, mounts, "256k")
    if CAN_MOUNT:
        fill(disk)
    target_folder = tmp_path / "out"
    target_folder.mkdir()
    target = target_folder / "out.apkg"
    target.write_bytes(b"the previous package")
    data = db.read_bytes()
    run = subprocess.run(
        [sys.executable, "-m", "osteo_learn", "export", "--db", str(db), "-o", str(target), "--with-progress"],
        capture_output=True,
        text=True,
        env={**os.environ, "OSTEO_LEARN_TODAY": DAY.isoformat(), "TMPDIR": str(disk), "SQLITE_TMPDIR": str(disk)},
    )
    assert run.returncode == 0, run.stderr
    assert run.stderr == "" and run.stdout.startswith(f"Wrote {target} (")
    assert zipfile.is_zipfile(target)
    assert sorted(path.name for path in target_folder.iterdir()) == ["out.apkg"]
    assert sorted(path.name for path in disk.iterdir()) == (["filler"] if CAN_MOUNT else [])
    assert db.read_bytes() == data


# -- a read-only database ------------------------------------------------------------


@pytest.fixture
def read_only(mounts, request):
    """Make a database file, or its whole folder, read-only: a read-only mount
    when running as root (permissions do not stop root), else permissions."""

    def make(db: Path, what: str) -> None:
        if os.geteuid() == 0:
            assert CAN_MOUNT, "as root, these tests need to mount file systems (tmpfs, bind mounts)"
            if what == "file":
                mounts("--bind", str(db), str(db))
                mounts("-o", "remount,ro,bind", str(db), str(db))
            else:
                # A tmpfs holding a copy of the folder, then remounted read-only.
                files = snapshot(db.parent)
                mounts("-t", "tmpfs", "-o", "size=4m", "tmpfs", str(db.parent))
                for name, data in files.items():
                    (db.parent / name).write_bytes(data)
                mounts("-o", "remount,ro", str(db.parent))
            return
        target = db if what == "file" else db.parent
        mode = target.stat().st_mode
        target.chmod(0o444 if what == "file" else 0o555)
        request.addfinalizer(lambda: target.chmod(mode))

    return make


def snapshot(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def answered(tmp_path_factory) -> bytes:
    """The bytes of a database with three answers, closed cleanly (no -wal file left)."""
    folder = tmp_path_factory.mktemp("answered")
    db = folder / "data" / "study.db"
    add_deck(db, folder / "decks")
    session = LineReview(db, DAY, "--deck", DECK_ID)
    rng = random.Random(3)
    for _ in range(3):
        assert session.next_card() is not None
        session.answer(rng)
    session.send("q")
    assert session.finish() == 0
    assert sorted(p.name for p in db.parent.iterdir()) == ["study.db"]
    return db.read_bytes()


@pytest.fixture
def db(tmp_path, answered) -> Path:
    """A copy of the answered database, alone in its folder."""
    path = tmp_path / "data" / "study.db"
    path.parent.mkdir()
    path.write_bytes(answered)
    return path


def cli_run(*args: str):
    return CliRunner().invoke(cli, list(args), env={"OSTEO_LEARN_TODAY": DAY.isoformat()})


@pytest.mark.parametrize("what", ["file", "folder"])
def test_writing_to_a_read_only_database_is_refused_with_a_clear_error_and_changes_nothing(tmp_path, db, read_only, what):
    read_only(db, what)
    files = snapshot(db.parent)
    message = f"Error: cannot write to the database {db}: it is read-only; nothing was changed\n"
    review = cli_run("review", "--db", str(db), "--deck", DECK_ID)
    # Refused before a card is shown, not after the student answered one.
    assert (review.exit_code, review.output) == (1, message)
    other = write_deck(tmp_path / "other", DECK.replace(f'id = "{DECK_ID}"', 'id = "other"', 1))
    for args in (["config", "new-per-day", "5"], ["add-deck", str(other)]):
        result = cli_run(args[0], "--db", str(db), *args[1:])
        assert (result.exit_code, result.output) == (1, message), args
    assert snapshot(db.parent) == files


@pytest.mark.parametrize("what", ["file", "folder"])
def test_read_commands_work_on_a_read_only_database(tmp_path, db, read_only, what):
    outputs = {}
    commands = (["status", "--json"], ["cards", "--json"], ["stats", "--json"], ["config"])
    for args in commands:
        outputs[args[0]] = cli_run(args[0], "--db", str(db), *args[1:]).output
    read_only(db, what)
    files = snapshot(db.parent)
    for args in commands:
        result = cli_run(args[0], "--db", str(db), *args[1:])
        assert result.exit_code == 0, result.output
        assert result.output == outputs[args[0]]
    exported = cli_run("export", "--db", str(db), "-o", str(tmp_path / "out.apkg"), "--with-progress")
    assert exported.exit_code == 0, exported.output
    assert "Progress: 3 reviewed cards with their schedule, 3 answers" in exported.output
    assert snapshot(db.parent) == files


def test_a_new_database_in_a_read_only_folder_is_a_clear_error(tmp_path, read_only):
    folder = tmp_path / "data"
    folder.mkdir()
    db = folder / "study.db"
    read_only(db, "folder")
    result = cli_run("status", "--db", str(db))
    assert result.exit_code == 1
    assert result.output == f"Error: cannot create the database {db}: the folder {folder} is read-only\n"
    assert not db.exists()


# -- files that are not ours ------------------------------------------------------


def newer_schema(db: Path) -> str:
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {schema.VERSION + 1}")
    conn.close()
    return (
        f"Error: {db} was written by a newer osteo-learn (schema version {schema.VERSION + 1}; this version knows "
        f"up to {schema.VERSION}); upgrade osteo-learn to open it. The file was left untouched.\n"
    )


def not_a_database(db: Path) -> str:
    db.write_text("Lecture notes, week 3\n" * 200)
    return f"Error: {db} is not an osteo-learn database (not an SQLite file); it was left untouched\n"


def truncated(db: Path) -> str:
    data = db.read_bytes()
    db.write_bytes(data[: len(data) // 2])
    return f"Error: {db} is truncated ({len(data) // 2} of {len(data)} bytes); it was left untouched: restore it from a backup\n"


def damaged(db: Path) -> str:
    data = bytearray(db.read_bytes())
    data[100:4096] = random.Random(1).randbytes(3996)  # the first page's schema, scrambled
    db.write_bytes(bytes(data))
    return f"Error: {db} is not a usable osteo-learn database (database disk image is malformed); it was left untouched\n"


@pytest.mark.parametrize("damage", [newer_schema, not_a_database, truncated, damaged], ids=lambda f: f.__name__)
@pytest.mark.parametrize("command", [["status"], ["review"], ["export", "-o", "out.apkg"], ["stats"], ["cards"]], ids=lambda c: c[0])
def test_a_file_that_is_not_a_current_osteo_learn_database_is_refused_and_never_overwritten(tmp_path, db, damage, command):
    message = damage(db)
    files = snapshot(db.parent)
    args = [a if a != "out.apkg" else str(tmp_path / "out.apkg") for a in command]
    result = CliRunner().invoke(cli, [args[0], "--db", str(db), *args[1:]], input="3\n")
    assert result.exit_code == 1
    assert result.output == message
    assert snapshot(db.parent) == files
    assert not (tmp_path / "out.apkg").exists()


# -- a database killed in its first write -------------------------------------


def test_a_database_killed_in_the_middle_of_its_first_write_is_rolled_back_not_refused(tmp_path):
    """A process killed while writing a new database leaves a hot rollback
    journal and a file that does not look like SQLite yet; SQLite puts it
    back from the journal, so the file must not be refused before that."""
    db = tmp_path / "study.db"
    writer = subprocess.Popen(
        [sys.executable, "-c", (
            "import sqlite3, sys\n"
            f"conn = sqlite3.connect({str(db)!r}, isolation_level=None)\n"
            "conn.execute('PRAGMA cache_size = 2')  # spill pages to the file before the commit\n"
            "conn.execute('BEGIN')\n"
            "conn.execute('CREATE TABLE t (x)')\n"
            "for _ in range(300):\n"
            "    conn.execute('INSERT INTO t VALUES (?)', ('y' * 500,))\n"
            "print('written', flush=True)\n"
            "sys.stdin.readline()\n"
        )],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert writer.stdout.readline() == "written\n"
    writer.kill()
    writer.wait()
    assert db.stat().st_size > 0 and not db.read_bytes().startswith(b"SQLite format 3")
    assert db.with_name("study.db-journal").stat().st_size > 0
    result = cli_run("status", "--db", str(db))
    assert result.exit_code == 0, result.output
    with Store.open(db) as store:
        assert store.decks.ids() == ["osteoporosis-leg-numbness"]


def test_a_full_disk_mid_review_on_a_terminal_ends_cleanly_and_restores_it(tmp_path, mounts):
    folder = small_disk(tmp_path, mounts, "1m")
    db = folder / "study.db"
    add_deck(db, tmp_path / "decks")
    env = {**os.environ, "OSTEO_LEARN_TODAY": DAY.isoformat(), "TERM": "xterm-256color", "COLUMNS": "100", "LINES": "30"}
    command = f"'{sys.executable}' -m osteo_learn review --db '{db}' --deck {DECK_ID}; echo EXIT=$?; stty -a"
    child = pexpect.spawn(
        "/bin/sh",
        ["-c", command],
        env=env,
        dimensions=(30, 100),
        encoding="utf-8",
        timeout=10,
        preexec_fn=None if CAN_MOUNT else file_size_limit(64 * 1024),
    )
    child.delaybeforesend = None  # echo is off in the review: no need to wait before each key
    child.expect_exact("show the answer")
    child.send(" ")
    child.expect_exact("grade · s source")
    child.send("3")
    child.expect_exact("Saved: grade 3")
    if CAN_MOUNT:
        fill(folder)
    saved = 1
    while True:
        found = child.expect_exact(["show the answer", "choose an answer", "Error: "])
        if found == 2:
            break
        child.send(" " if found == 0 else "a")
        child.expect_exact("grade · s source")
        child.send("3")
        saved += 1
        assert saved < 30
    screen = child.before
    # The summary takes the hint line's place; the error stands on a line of its own.
    assert "Session ended." in screen and "Stopped by the error below; every answer above is saved." in screen
    assert screen.endswith("\n")
    child.expect(r"EXIT=(\d+)")
    assert child.match.group(1) == "1"
    error = child.before
    assert error.startswith(f"cannot write to the database {db}: ") and "Traceback" not in error
    child.expect(pexpect.EOF)
    stty = child.before
    assert re.search(r"(?<!-)icanon", stty) and re.search(r"(?<!-)echo\b", stty) and re.search(r"(?<!-)isig", stty)
    assert len(logged(db)) == saved - 1
    assert_states_replay(db)

"""Scratch folders: where a file is built beside its target before it takes the target's name.

A new database and an Anki package are each built in one hidden folder
next to the file they become (``.NAME.<random>.osteo-learn-tmp``), so the
finished file moves into place with one rename or link on the same disk,
and whatever the building leaves (SQLite's side files, a half-written
package) is in that one folder. The folder is removed on every way out
that Python sees (an error, Ctrl-C, SIGTERM or SIGHUP turned into
``SystemExit``); one left by a killed process is removed by the next
:func:`sweep` of that folder.

While its process lives, a scratch folder's ``lock`` file is held with
``flock``; the kernel lets go of it when the process dies, however it dies,
so :func:`sweep` removes exactly the folders whose owner is gone. (Where
``flock`` does not exist, a folder counts as left behind after a day.) A
folder holding anything a scratch folder never holds is not ours, whatever
its name, and is never removed.
"""

from __future__ import annotations

import os
import re
import signal
from pathlib import Path

from osteo_learn.system import clock

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

SUFFIX = ".osteo-learn-tmp"
_LOCK = "lock"
_UNLOCKED_AGE_S = 24 * 3600  # without flock, a folder this old is left behind


def name_for(target: Path) -> str:
    """A scratch folder's name: hidden, after its target, unique, and recognised by :func:`sweep`."""
    return f".{target.name[:100]}.{os.urandom(6).hex()}{SUFFIX}"


class Scratch:
    """A scratch folder beside a target, held until :meth:`remove` (or the end of a ``with`` block).

    While one exists, SIGTERM and SIGHUP remove it (wherever the program
    is) and end the program through ``SystemExit`` (exit code 128 + the
    signal number), unless the program handles those signals already.
    """

    def __init__(self, path: Path, lock: int, signals: dict):
        self.path = path
        self._lock = lock
        self._signals = signals

    @classmethod
    def make(cls, target: Path) -> Scratch:
        """A new scratch folder beside ``target``; ``OSError`` if it cannot be made (a read-only or full folder)."""
        path = target.parent / name_for(target)
        # Known to the signal handler before it exists: a signal arriving at
        # any moment from here on removes it.
        _LIVE.add(path)
        signals = _exit_on_termination()
        try:
            path.mkdir(mode=0o700)
            return cls(path, _hold(path / _LOCK), signals)
        except BaseException:
            remove(path)
            _restore(signals)
            raise

    def remove(self) -> None:
        """Remove the folder and what it holds, as far as the system allows; never raises."""
        remove(self.path)
        _LIVE.discard(self.path)
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None
        _restore(self._signals)
        self._signals = {}

    def __enter__(self) -> Path:
        return self.path

    def __exit__(self, *exc) -> None:
        self.remove()


def folder(target: Path) -> Scratch:
    """A new scratch folder beside ``target`` for a ``with`` block (which gives its path)."""
    return Scratch.make(target)


def remove(path: Path) -> None:
    """Remove a scratch folder and what it holds, as far as the system allows (never raises)."""
    import shutil

    shutil.rmtree(path, ignore_errors=True)


# The scratch folders of this process, for the signal handler.
_LIVE: set[Path] = set()


def _restore(handlers: dict) -> None:
    for signum, handler in handlers.items():
        signal.signal(signum, handler)


def _exit_on_termination() -> dict:
    import threading

    if threading.current_thread() is not threading.main_thread():
        return {}

    def stop(signum, frame):
        # Wherever the program is, its scratch folders go now; then it ends.
        for path in list(_LIVE):
            remove(path)
        raise SystemExit(128 + signum)

    previous = {}
    for name in ("SIGTERM", "SIGHUP"):
        signum = getattr(signal, name, None)
        if signum is not None and signal.getsignal(signum) == signal.SIG_DFL:
            previous[signum] = signal.signal(signum, stop)
    return previous


def _hold(lock_path: Path) -> int:
    """The lock file, held: made under another name and locked before it takes its
    own, so that a sweep never finds it there and not yet locked."""
    making = lock_path.with_name(_MAKING)
    fd = os.open(making, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_EX)
    os.rename(making, lock_path)
    return fd


def sweep(folder_path: Path) -> list[Path]:
    """Remove the scratch folders in ``folder_path`` whose process is gone; return them.

    Never raises: a folder that cannot be read or removed is left.
    """
    removed = []
    try:
        candidates = [p for p in folder_path.iterdir() if p.name.startswith(".") and p.name.endswith(SUFFIX)]
    except OSError:
        return removed
    for candidate in candidates:
        if _abandoned(candidate):
            remove(candidate)
            if not candidate.exists():
                removed.append(candidate)
    return removed


# What a scratch folder may hold: its lock, a database being built (with
# SQLite's side files), an Anki collection, its notes and the package.
_MAKING = ".lock-making"
_CONTENTS = re.compile(r"lock|\.lock-making|new\.db(-wal|-shm|-journal)?|(collection|notes)\.anki2(-journal)?|package\.apkg")


def _abandoned(path: Path) -> bool:
    try:
        if not path.is_dir() or path.is_symlink():
            return False
        if not all(_CONTENTS.fullmatch(entry) for entry in os.listdir(path)):
            return False  # not one of ours, whatever its name: never removed
        if fcntl is None:
            return _age(path) > _UNLOCKED_AGE_S
        try:
            fd = os.open(path / _LOCK, os.O_RDWR)
        except FileNotFoundError:
            # Killed between making the folder and its lock: a moment's work at most.
            return _age(path) > 60
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False  # its process still runs
        finally:
            os.close(fd)
        return True
    except OSError:
        return False


def _age(path: Path) -> float:
    return clock.real_seconds() - path.stat().st_mtime

"""What every benchmark shares: a figure beside its floor, interleaved timing, commands and memory.

Each figure is the median of several runs; its floor is measured in the same
run, interleaved with it, so machine load affects both alike.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from osteo_learn.store import library

PYTHON = sys.executable
# The installed console script, as a student runs it (python -m as a fallback).
_SCRIPT = Path(PYTHON).with_name("osteo-learn")
TOOL = [str(_SCRIPT)] if _SCRIPT.exists() else [PYTHON, "-m", "osteo_learn"]
# The synthetic history ends on 2026-09-23; the benchmarks study the day after.
TODAY = date(2026, 9, 24)
ENV = {**os.environ, "OSTEO_LEARN_TODAY": TODAY.isoformat(), "NO_COLOR": "1"}


@dataclass
class Figure:
    what: str
    ours: float
    floor: float
    target: float | None
    unit: str = "ms"
    note: str = ""
    absolute_limit: float | None = None

    @property
    def ratio(self) -> float:
        return self.ours / self.floor

    @property
    def ok(self) -> bool:
        within_ratio = self.target is None or self.ratio <= self.target
        within_limit = self.absolute_limit is None or self.ours <= self.absolute_limit
        return within_ratio and within_limit

    def row(self) -> str:
        target = f"<= {self.target:.2f}x" if self.target else "-"
        if self.absolute_limit is not None:
            target += f", < {self.absolute_limit:g} {self.unit}"
        verdict = "ok" if self.ok else "MISSED"
        return (
            f"| {self.what} | {self.ours:.1f} {self.unit} | {self.floor:.1f} {self.unit} | "
            f"{self.ratio:.2f}x | {target} | {verdict} | {self.note} |"
        )


def interleaved(ours: Callable[[], float], floor: Callable[[], float], runs: int) -> tuple[float, float]:
    """Medians (ms) of ``ours`` and ``floor``, run alternately after one warm-up each."""
    ours(), floor()
    a, b = [], []
    for _ in range(runs):
        a.append(ours())
        b.append(floor())
    return statistics.median(a), statistics.median(b)


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def command(argv: list[str], **kwargs) -> Callable[[], float]:
    def run() -> float:
        start = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, env=ENV, **kwargs)
        return (time.perf_counter() - start) * 1000

    return run


def imported_modules(args: list[str]) -> set[str]:
    code = (
        "import sys, runpy\n"
        f"sys.argv = ['osteo-learn', *{args!r}]\n"
        "try:\n    runpy.run_module('osteo_learn', run_name='__main__')\nexcept SystemExit:\n    pass\n"
        "print(' '.join(sorted(sys.modules)), file=sys.stderr)"
    )
    done = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, env=ENV)
    return set(done.stderr.split())


def copy_of(collection: Path, folder: Path) -> Path:
    target = folder / collection.name
    shutil.copyfile(collection, target)
    return target


def study_copy(collection: Path, folder: Path) -> Path:
    """A copy of the collection with the bundled deck synced, as a student's would be."""
    db = copy_of(collection, folder)
    store, _ = library.open_library(db)
    store.close()
    return db


def first_card_ms(argv: list[str]) -> float:
    """Start ``review`` and time until the first card's header line is written."""
    start = time.perf_counter()
    child = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=ENV)
    seen = b""
    while b"Card 1 of" not in seen:
        chunk = child.stdout.read1(65536)
        if not chunk:
            raise RuntimeError(f"review ended before showing a card: {seen[-500:]!r}")
        seen += chunk
    elapsed = (time.perf_counter() - start) * 1000
    child.kill()
    child.wait()
    return elapsed


# A child forked from this (large) process would report this process's peak
# as its own, so the command is started from a small launcher.
_LAUNCHER = """
import os, subprocess, sys
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
_, status, usage = os.wait4(child.pid, 0)
print(os.waitstatus_to_exitcode(status), usage.ru_maxrss)
"""


def peak_memory_mib(argv: list[str], keys: bytes) -> float:
    """Peak resident memory of a command, fed ``keys`` on stdin."""
    done = subprocess.run([PYTHON, "-c", _LAUNCHER, *argv], input=keys, capture_output=True, env=ENV, check=True)
    code, peak_kib = map(int, done.stdout.split())
    if code != 0:
        raise RuntimeError(f"{argv} exited with {code}: {done.stderr.decode()[-500:]}")
    return peak_kib / 1024

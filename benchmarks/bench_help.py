"""`osteo-learn --help` against `python -c "import click"`, and which heavy modules it imports."""

from __future__ import annotations

from pathlib import Path

from harness import PYTHON, TOOL, Figure, command, imported_modules, interleaved


def run(runs: int, collection: Path) -> list[Figure]:
    ours, floor = interleaved(command([*TOOL, "--help"]), command([PYTHON, "-c", "import click"]), runs)
    heavy = sorted({"genanki", "sqlite_utils", "sqlite3"} & imported_modules(["--help"]))
    return [Figure("`osteo-learn --help`", ours, floor, 1.25, note=f"heavy modules imported: {heavy or 'none'}")]

"""Run every benchmark and print each figure beside its floor and target.

    python benchmarks/run.py [--runs N] [--only NAME ...]

One module per figure (``bench_<name>.py``, each with ``run(runs,
collection)``), sharing :mod:`harness`. The synthetic collection (100,000
cards, 1,000,000 answers) is built on first use by ``generate.py`` and kept
in ``benchmarks/.data/``. Nothing here changes that collection: benchmarks
that write work on copies.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

import generate

BENCHMARKS = ["help", "review", "queue", "record", "stats", "load", "export", "import"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="timed runs per figure (median reported)")
    parser.add_argument("--only", nargs="*", choices=BENCHMARKS, help="run only these benchmarks")
    args = parser.parse_args()
    # A student's install has compiled bytecode (pip writes it); make sure
    # this checkout's does too, whatever PYTHONDONTWRITEBYTECODE says.
    import compileall

    import osteo_learn

    compileall.compile_dir(Path(osteo_learn.__file__).parent, quiet=1)
    collection = generate.generate(generate.DATA, 100_000, 1_000_000)
    print("| what | osteo-learn | floor | ratio | target | verdict | notes |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    missed = 0
    for name in args.only or BENCHMARKS:
        module = importlib.import_module(f"bench_{name}")
        for figure in module.run(args.runs, collection):
            print(figure.row(), flush=True)
            missed += not figure.ok
    sys.exit(1 if missed else 0)


if __name__ == "__main__":
    main()

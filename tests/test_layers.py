"""The package's layers: imports flow one way, the core stays pure, one module reads the clock.

Layers, lowest first: ``errors`` (and the package root), ``core``, ``system``,
``store``, then ``terminal`` and ``anki`` side by side (neither imports the
other), then ``commands``. A module may import its own subpackage and any
lower layer, never a higher one. Every import counts, also those inside
functions and ``TYPE_CHECKING`` blocks.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "osteo_learn"

LAYERS = {"": 0, "errors": 0, "core": 1, "system": 2, "store": 3, "terminal": 4, "anki": 4, "commands": 5, "__main__": 6}

# The core is pure: no clock, database, terminal, process, randomness or threads.
CORE_FORBIDDEN = {"sqlite3", "time", "termios", "tty", "curses", "select", "signal", "socket", "random", "secrets", "threading", "subprocess"}

# Calls that read the time; only system/clock.py may make them.
CLOCK_READS = {("datetime", "now"), ("datetime", "today"), ("datetime", "utcnow"), ("date", "today"), ("time", "time"), ("time", "monotonic"), ("time", "perf_counter"), ("time", "time_ns")}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> str:
    """``osteo_learn.store.log`` -> ``store``; ``osteo_learn`` -> ``""``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def imports(tree: ast.AST, module: str, is_package: bool) -> set[str]:
    """Every module ``module`` imports, relative imports resolved."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base if is_package else base[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            # "from osteo_learn import store" imports the subpackage store.
            found.update(f"{target}.{alias.name}" for alias in node.names if target == "osteo_learn")
    return found


def violations(source: str, module: str, is_package: bool = False) -> list[str]:
    """What is wrong with the imports and clock reads of one module's source."""
    tree = ast.parse(source)
    layer = layer_of(module)
    problems = []
    for target in sorted(imports(tree, module, is_package)):
        top = target.split(".")[0]
        if top == "osteo_learn":
            other = layer_of(target)
            if other == layer or other not in LAYERS:
                continue
            if LAYERS[other] >= LAYERS[layer]:
                problems.append(f"{module} imports {target}: the {other or 'root'} layer is not below {layer}")
        elif layer == "core" and (top in CORE_FORBIDDEN or top not in sys.stdlib_module_names):
            problems.append(f"{module} imports {target}: the core imports only the standard library, and no {top}")
    if module != "osteo_learn.system.clock":
        for node in ast.walk(tree):
            if not isinstance(node, ast.Attribute):
                continue
            owner = node.value.id if isinstance(node.value, ast.Name) else getattr(node.value, "attr", None)
            if (owner, node.attr) in CLOCK_READS:
                problems.append(f"{module} reads the clock ({owner}.{node.attr}) on line {node.lineno}; only system.clock may")
    if layer == "core" and "osteo_learn.system" in {".".join(t.split(".")[:2]) for t in imports(tree, module, is_package)}:
        problems.append(f"{module} imports the system layer (a clock or a path)")
    return problems


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_each_module_imports_only_its_own_layer_and_those_below(path):
    module = module_name(path)
    assert layer_of(module) in LAYERS, f"{module} is in no known layer; add its subpackage to LAYERS"
    assert violations(path.read_text(encoding="utf-8"), module, path.name == "__init__.py") == []


def test_every_subpackage_says_what_lives_there_and_what_it_may_import():
    for init in PACKAGE.glob("*/__init__.py"):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or ""
        assert "May import" in doc, init


@pytest.mark.parametrize(
    "module, source, complaint",
    [
        ("osteo_learn.core.queue", "from osteo_learn.store import Store", "not below core"),
        ("osteo_learn.core.sm2", "import sqlite3", "no sqlite3"),
        ("osteo_learn.core.deck", "def f():\n    import click", "no click"),
        ("osteo_learn.core.deck", "from osteo_learn.system import clock", "the system layer"),
        ("osteo_learn.store.log", "from osteo_learn.terminal.session import run", "not below store"),
        ("osteo_learn.anki.export", "from osteo_learn.terminal.style import Style", "not below anki"),
        ("osteo_learn.terminal.session", "from ..anki import export", "not below terminal"),
        ("osteo_learn.store.queue", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from osteo_learn.commands import cli", "not below store"),
        ("osteo_learn.store.log", "from datetime import date\ndate.today()", "reads the clock (date.today)"),
        ("osteo_learn.core.sm2", "import datetime\ndatetime.datetime.now()", "reads the clock (datetime.now)"),
        ("osteo_learn.terminal.session", "import time\nstart = time.monotonic()", "reads the clock (time.monotonic)"),
    ],
)
def test_the_check_catches_an_import_reaching_up_and_a_clock_read(module, source, complaint):
    found = violations(source, module)
    assert any(complaint in problem for problem in found), found


def test_the_check_allows_what_the_layers_allow():
    assert violations("from osteo_learn.core import sm2\nfrom osteo_learn.errors import StoreError", "osteo_learn.store.log") == []
    assert violations("from . import rows\nfrom .connection import Database", "osteo_learn.store.log") == []
    assert violations("import re, tomllib\nfrom osteo_learn.core import cloze", "osteo_learn.core.deck") == []
    assert violations("import time\ntime.monotonic()", "osteo_learn.system.clock") == []

"""Where things live: the bundled decks and the student's data.

This is the one place that knows locations. The database defaults to
``$OSTEO_LEARN_DB``, else ``osteo-learn.db`` in ``$OSTEO_LEARN_HOME``, else in
the platform's application folder (``click.get_app_dir``); every command's
``--db`` overrides all of these.
"""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "osteo-learn"
DB_FILENAME = "osteo-learn.db"


def bundled_decks_dir() -> Path:
    """The decks shipped with the tool, installed or in a source checkout."""
    package = Path(__file__).resolve().parents[1]  # osteo_learn/
    installed = package / "decks"
    if installed.is_dir():
        return installed
    # A source checkout (editable install): src/osteo_learn/ -> decks/
    return package.parent.parent / "decks"


def bundled_deck_files() -> list[Path]:
    return sorted(bundled_decks_dir().glob("*.toml"))


def data_dir() -> Path:
    home = os.environ.get("OSTEO_LEARN_HOME")
    if home:
        return Path(home).expanduser()
    import click  # only needed for the platform default

    return Path(click.get_app_dir(APP_NAME))


def default_db_path() -> Path:
    override = os.environ.get("OSTEO_LEARN_DB")
    if override:
        return Path(override).expanduser()
    return data_dir() / DB_FILENAME


def same_file(a: Path, b: Path) -> bool:
    """Whether ``a`` and ``b`` name one file: by real path (links resolved; either may
    not exist yet), or by device and inode (a hard link)."""
    try:
        if os.path.realpath(a) == os.path.realpath(b):
            return True
    except (OSError, ValueError):
        pass
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):
        return False

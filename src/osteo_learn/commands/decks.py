"""Deck files: ``check`` validates them, ``add-deck`` adds one to study."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from osteo_learn.commands.common import Command, PathType, db_option
from osteo_learn.errors import OsteoError

if TYPE_CHECKING:
    from pathlib import Path


@click.command(cls=Command)
@click.argument("paths", nargs=-1, type=PathType(dir_okay=False))
def check(paths: tuple[Path, ...]) -> None:
    """Validate deck files and summarise each one.

    PATHS are deck files (TOML); without any, the bundled decks are checked.
    Every problem is listed with its file, line and card id. Exits 1 if any
    deck has a problem.
    """
    from osteo_learn.core import deck as deck_module
    from osteo_learn.system import paths as locations

    files = list(paths) or locations.bundled_deck_files()
    if not files:
        raise OsteoError(f"no deck files found in {locations.bundled_decks_dir()}")
    failed = 0
    seen_ids: dict[str, Path] = {}
    for file in files:
        try:
            deck = deck_module.load(file)
        except deck_module.DeckError as error:
            failed += 1
            for problem in error.problems:
                click.echo(str(problem), err=True)
            continue
        if deck.id in seen_ids:
            failed += 1
            click.echo(f"{file}: deck id '{deck.id}' is already used by {seen_ids[deck.id]}", err=True)
            continue
        seen_ids[deck.id] = file
        counts = deck.count_by_kind()
        kinds = ", ".join(f"{n} {kind}" for kind, n in counts.items())
        click.echo(f"{file}: ok, deck '{deck.id}': {sum(counts.values())} cards ({kinds})")
    if failed:
        raise OsteoError(f"{failed} of {len(files)} deck file(s) have problems")


@click.command(cls=Command, name="add-deck")
@db_option
@click.argument("path", type=PathType(dir_okay=False))
def add_deck(db_path: Path | None, path: Path) -> None:
    """Add a deck file of your own to study beside the bundled decks.

    The file is validated first (see `osteo-learn check`); it is then read
    again on every run, so edits to it are picked up. Adding it again
    refreshes it at once.
    """
    from osteo_learn.commands.common import created_notice
    from osteo_learn.store import library
    from osteo_learn.system import paths

    where = db_path or paths.default_db_path()
    created = not where.exists()
    store, _ = library.open_library(where)
    if created:
        click.echo(created_notice(where, db_path), err=True)
    with store:
        deck, result = library.add_deck(store, path)
    click.echo(
        f"Deck '{deck.id}' ({deck.title}) from {path}: {result.added} card(s) added, "
        f"{result.updated} updated, {result.retired} retired."
    )

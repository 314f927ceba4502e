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
@click.option("--strict", is_flag=True, help="Exit 1 on item-writing warnings too.")
def check(paths: tuple[Path, ...], strict: bool) -> None:
    """Validate deck files and summarise each one.

    PATHS are deck files (TOML); without any, the bundled decks are checked.
    Every problem is listed with its file, line and card id. Then each valid
    deck is read as an item writer would: a key much longer than the other
    options, an option echoing the case, a front that gives another card's
    answer away, near-duplicate fronts, a source too short for its card...
    These are warnings, each saying what to change. Exits 1 if any deck has
    a problem, or with --strict a warning.
    """
    from osteo_learn.core import deck as deck_module
    from osteo_learn.core import lint
    from osteo_learn.system import paths as locations

    files = list(paths) or locations.bundled_deck_files()
    if not files:
        raise OsteoError(f"no deck files found in {locations.bundled_decks_dir()}")
    failed = warned = 0
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
        found = lint.lint(deck)
        for warning in found:
            click.echo(str(warning), err=True)
        warned += bool(found)
        counts = deck.count_by_kind()
        kinds = ", ".join(f"{n} {kind}" for kind, n in counts.items())
        note = f"; {len(found)} item-writing warning{'' if len(found) == 1 else 's'}" if found else ""
        click.echo(f"{file}: ok, deck '{deck.id}': {sum(counts.values())} cards ({kinds}){note}")
    if failed:
        raise OsteoError(f"{failed} of {len(files)} deck file(s) have problems")
    if strict and warned:
        raise OsteoError(f"{warned} of {len(files)} deck file(s) have item-writing warnings (--strict)")


@click.command(cls=Command, name="add-deck")
@db_option
@click.argument("path", type=PathType(dir_okay=False))
def add_deck(db_path: Path | None, path: Path) -> None:
    """Add a deck file of your own to study beside the bundled decks.

    The file is validated first (see `osteo-learn check`); it is then read
    again on every run, so edits to it are picked up. Adding it again
    refreshes it at once.
    """
    from osteo_learn.store import library

    store, _ = library.open_library(db_path)
    with store:
        deck, result = library.add_deck(store, path)
    click.echo(
        f"Deck '{deck.id}' ({deck.title}) from {path}: {result.added} card(s) added, "
        f"{result.updated} updated, {result.retired} retired."
    )

"""Deck files: ``check`` validates them, ``add-deck`` adds one to study, ``remove-deck`` stops studying one."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from osteo_learn.commands.common import Command, DeckId, PathType, db_option
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
    from osteo_learn.core.text import shown
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
            click.echo(f"{shown(file, 1000)}: deck id '{deck.id}' is already used by {shown(seen_ids[deck.id], 1000)}", err=True)
            continue
        seen_ids[deck.id] = file
        found = lint.lint(deck)
        for warning in found:
            click.echo(str(warning), err=True)
        warned += bool(found)
        counts = deck.count_by_kind()
        kinds = ", ".join(f"{n} {kind}" for kind, n in counts.items())
        note = f"; {len(found)} item-writing warning{'' if len(found) == 1 else 's'}" if found else ""
        click.echo(f"{shown(file, 1000)}: ok, deck '{deck.id}': {sum(counts.values())} cards ({kinds}){note}")
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
    from osteo_learn.commands.common import created_notice
    from osteo_learn.store import library
    from osteo_learn.system import paths

    from osteo_learn.core.text import clean, shown

    where = db_path or paths.default_db_path()
    store, warnings = library.open_library(where)
    if store.created:
        click.echo(created_notice(where, db_path), err=True)
    for warning in warnings:
        click.echo(f"Warning: {warning}", err=True)
    with store:
        deck, result = library.add_deck(store, path)
    title = " ".join(clean(deck.title).split())
    click.echo(
        f"Deck '{deck.id}' ({shown(title)}) from {shown(path, 1000)}: {result.added} card(s) added, "
        f"{result.updated} updated, {result.retired} retired" + (f", {result.restored} restored." if result.restored else ".")
    )


@click.command(cls=Command, name="remove-deck")
@db_option
@click.argument("deck_id", metavar="ID", type=DeckId())
def remove_deck(db_path: Path | None, deck_id: str) -> None:
    """Stop studying a deck you added.

    Its cards are retired: hidden from review, status and export, with their
    schedules and review history kept. The deck file is left as it is; add
    it again with `osteo-learn add-deck` to bring the cards back where they
    were. The bundled decks cannot be removed (narrow a session with --deck).
    """
    from osteo_learn.core.text import shown
    from osteo_learn.store import library

    store, _ = library.open_library(db_path, sync=False)
    with store:
        file = next((r.file for r in store.decks.records() if r.id == deck_id), None)
        retired = store.decks.remove(deck_id)
    click.echo(
        f"Removed deck '{deck_id}': {retired} card(s) retired, their history kept; "
        f"{shown(file, 1000)} was left as it is (add-deck it to study it again)."
    )

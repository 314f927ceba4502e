"""Answers given in Anki, brought back: ``osteo-learn import-reviews``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from osteo_learn.commands.common import Command, PathType, db_option, json_option, open_study, print_json

if TYPE_CHECKING:
    from pathlib import Path


@click.command(cls=Command, name="import-reviews")
@db_option
@click.argument("file", type=PathType())
@click.option("--dry-run", is_flag=True, help="Show what would be merged; write nothing.")
@json_option
def import_reviews(db_path: Path | None, file: Path, dry_run: bool, as_json: bool) -> None:
    """Merge the answers you gave in Anki into your review log.

    FILE is a package exported from Anki (desktop or AnkiDroid): the whole
    collection (.colpkg) or a deck (.apkg, with "Include scheduling
    information" ticked), in any package version. Your cards are found by
    their note's id, so their history is kept however often you export.
    Every answer counts once, in the order answers were given: on a study
    day answered both at the desk and in Anki, the earlier answer counts and
    the later one is a same-day repeat. Importing a file again adds nothing.
    """
    from osteo_learn.anki import import_reviews as importing

    store, settings, now, today = open_study(db_path)
    with store:
        if not dry_run:
            store.check_writable()
        imported = importing.import_reviews(
            store, file, now=now, today=today, day_start_hour=settings.day_start_hour, dry_run=dry_run
        )
        due_today = store.queue.count_due(today)
    if as_json:
        print_json(importing.to_json(imported, due_today))
        return
    for line in importing.summary_lines(imported, due_today):
        click.echo(line)

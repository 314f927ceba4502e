"""Export to Anki: ``osteo-learn export``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from osteo_learn.commands.common import Command, PathType, db_option, deck_options, known_decks, known_tags, open_study

if TYPE_CHECKING:
    from pathlib import Path


@click.command(cls=Command, name="export")
@db_option
@deck_options
@click.option(
    "-o",
    "--output",
    type=PathType(),
    default=None,
    help="The .apkg file to write [default: <deck id>.apkg, or osteo-learn.apkg for several decks, here].",
)
@click.option("--with-progress", is_flag=True, help="Carry your schedule and review history into Anki.")
@click.option(
    "--onto",
    "phone",
    type=PathType(dir_okay=False),
    default=None,
    metavar="PHONE.colpkg",
    help="Merge the answers of this collection exported from Anki, then write a copy of it (-o, a .colpkg) with your cards on the desk's schedule.",
)
def export_command(db_path: Path | None, deck_ids, tags, output: Path | None, with_progress: bool, phone: Path | None) -> None:
    """Write the cards as an Anki package (.apkg), for Anki on a phone or desktop.

    Exporting again after a deck changed updates the notes in Anki instead
    of duplicating them. With --with-progress, reviewed cards arrive with
    their interval, ease and due date, and the review history with them,
    when "Import any learning progress" is ticked in Anki's import dialog.

    With --onto PHONE.colpkg -o FOR-PHONE.colpkg: the answers of the phone's
    collection are merged first (as import-reviews does), then a copy of that
    collection is written in which your cards carry the desk's schedule and
    the desk's answers join Anki's review history. Importing it replaces the
    phone's collection: study nothing on the phone in between.
    """
    from pathlib import Path

    from osteo_learn.anki import export
    from osteo_learn.core.text import shown

    if phone is not None:
        _export_onto(db_path, phone, output, deck_ids, tags, with_progress)
        return
    if output is not None and output.suffix.lower() != ".apkg":
        raise click.BadParameter(f"'{output}' must end in .apkg (Anki opens packages by that extension)", param_hint="-o")
    store, settings, now, today = open_study(db_path)
    with store:
        known_decks(store, deck_ids)
        known_tags(store, tags)
        path = output or Path(export.default_file_name(list(deck_ids) or store.decks.ids()))
        try:
            summary = export.export_from_store(
                store,
                path,
                deck_ids=deck_ids,
                tags=tags,
                with_progress=with_progress,
                timestamp=now.timestamp(),
                day_start_hour=settings.day_start_hour,
                today=today,
            )
        except export.OverwriteRefused as refused:
            if output is None:
                raise
            raise click.BadParameter(
                f"'{shown(output, 1000)}' is {refused.what}; the package would replace it. Give another path", param_hint="'-o'"
            ) from None
    for line in export.summary_lines(summary):
        click.echo(line)


def _export_onto(db_path: Path | None, phone: Path, output: Path | None, deck_ids, tags, with_progress: bool) -> None:
    from osteo_learn.anki import import_reviews, onto
    from osteo_learn.anki.export import OverwriteRefused

    if deck_ids or tags or with_progress:
        raise click.UsageError("--onto writes the whole collection with all your cards: it takes no --deck, --tag or --with-progress")
    if output is None:
        raise click.UsageError("--onto needs -o FOR-PHONE.colpkg, the file to write")
    if output.suffix.lower() != ".colpkg":
        raise click.BadParameter(
            f"'{output}' must end in .colpkg (Anki replaces the collection only with a file of that name)", param_hint="-o"
        )
    store, settings, now, today = open_study(db_path)
    with store:
        store.check_writable()
        try:
            written = onto.export_onto(store, phone, output, now=now, today=today, day_start_hour=settings.day_start_hour)
        except OverwriteRefused as refused:
            raise click.BadParameter(onto.refused_line(refused), param_hint="-o") from None
        due_today = store.queue.count_due(today)
    for line in import_reviews.summary_lines(written.imported, due_today):
        click.echo(line)
    for line in onto.summary_lines(written):
        click.echo(line)

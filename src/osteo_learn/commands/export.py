"""Export to Anki: ``osteo-learn export``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from osteo_learn.commands.common import Command, PathType, db_option, deck_options, known_decks, open_study

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
def export_command(db_path: Path | None, deck_ids, tags, output: Path | None, with_progress: bool) -> None:
    """Write the cards as an Anki package (.apkg), for Anki on a phone or desktop.

    Exporting again after a deck changed updates the notes in Anki instead
    of duplicating them. With --with-progress, reviewed cards arrive with
    their interval, ease and due date, and the review history with them,
    when "Import any learning progress" is ticked in Anki's import dialog.
    """
    from pathlib import Path

    from osteo_learn.anki import export
    from osteo_learn.core.text import shown

    if output is not None and output.suffix.lower() != ".apkg":
        raise click.BadParameter(f"'{output}' must end in .apkg (Anki opens packages by that extension)", param_hint="-o")
    store, settings, now, _ = open_study(db_path)
    with store:
        known_decks(store, deck_ids)
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
            )
        except export.OverwriteRefused as refused:
            if output is None:
                raise
            raise click.BadParameter(
                f"'{shown(output, 1000)}' is {refused.what}; the package would replace it. Give another path", param_hint="-o"
            ) from None
    for line in export.summary_lines(summary):
        click.echo(line)

"""The command line: thin commands that parse arguments, call the core and print.

Modules beyond ``click`` are imported inside the commands, so ``--help`` and
start-up stay fast. Errors of the :class:`~osteo_learn.errors.OsteoError`
family become a one-line message and exit 1; usage errors exit 2 (click).
"""

from __future__ import annotations

from pathlib import Path

import click

from osteo_learn import __version__
from osteo_learn.errors import OsteoError


class _Group(click.Group):
    """Turns the project's errors into click's error message and exit 1, in one place."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except OsteoError as error:
            raise click.ClickException(str(error)) from error


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="osteo-learn")
def cli() -> None:
    """Study one medical article with spaced repetition in the terminal.

    Flashcards and clinical case vignettes, scheduled with SuperMemo-2 and
    kept in a local SQLite database, with export to Anki.
    """


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path, dir_okay=False))
def check(paths: tuple[Path, ...]) -> None:
    """Validate deck files and summarise each one.

    PATHS are deck files (TOML); without any, the bundled decks are checked.
    Every problem is listed with its file, line and card id. Exits 1 if any
    deck has a problem.
    """
    from osteo_learn import deck as deck_module
    from osteo_learn import paths as locations

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


def main() -> None:
    cli(prog_name="osteo-learn")

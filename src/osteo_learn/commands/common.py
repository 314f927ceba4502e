"""What the commands share: their options, opening the study data, printing JSON.

Nothing beyond ``click`` is imported at the top, so ``--help`` and start-up
stay fast; the store and the rest are imported when a command runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from osteo_learn.errors import OsteoError

if TYPE_CHECKING:
    from datetime import date, datetime
    from pathlib import Path

    from osteo_learn.core.settings import Settings
    from osteo_learn.store import Store


class PathType(click.Path):
    """click.Path giving a pathlib.Path, with pathlib imported only when a path is given (for a fast ``--help``)."""

    def convert(self, value, param, ctx) -> Path:
        from pathlib import Path

        return Path(super().convert(value, param, ctx))


class UsageWithEveryError:
    """Show the usage with every usage error: click leaves it out of some
    (an option given without its value), though they exit 2 all the same."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as error:
            error.ctx = error.ctx or ctx
            raise


class Command(UsageWithEveryError, click.Command):
    pass


def db_option(command):
    """``--db PATH`` on every command that uses the database."""
    return click.option(
        "--db",
        "db_path",
        type=PathType(dir_okay=False),
        default=None,
        help="Database file [default: $OSTEO_LEARN_DB, else osteo-learn.db in $OSTEO_LEARN_HOME or the app folder].",
    )(command)


def deck_options(command):
    command = click.option("--tag", "tags", multiple=True, metavar="TAG", help="Only cards with this tag (repeatable).")(command)
    return click.option("--deck", "deck_ids", multiple=True, metavar="ID", help="Only this deck (repeatable).")(command)


def json_option(command):
    return click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")(command)


def open_study(db_path: Path | None) -> tuple[Store, Settings, datetime, date]:
    """The store, synced with the deck files, and today's study day."""
    from osteo_learn.core.days import study_day
    from osteo_learn.store import library
    from osteo_learn.system import clock

    store, warnings = library.open_library(db_path)
    for warning in warnings:
        click.echo(f"Warning: {warning}", err=True)
    settings = store.settings.values()
    now = clock.now()
    return store, settings, now, study_day(now, settings.day_start_hour)


def known_decks(store, deck_ids: tuple[str, ...]) -> None:
    known = store.decks.ids()
    for deck_id in deck_ids:
        if deck_id not in known:
            raise OsteoError(f"no deck '{deck_id}' (decks: {', '.join(known) or 'none'})")


def print_json(data) -> None:
    import json

    click.echo(json.dumps(data, indent=2, ensure_ascii=False))

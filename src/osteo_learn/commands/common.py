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
    command = click.option(
        "--tag", "tags", multiple=True, metavar="TAG", help="Only cards with this tag (repeat for any of several tags)."
    )(command)
    return click.option(
        "--deck", "deck_ids", multiple=True, metavar="ID", help="Only this deck (repeat for any of several decks)."
    )(command)


def json_option(command):
    return click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")(command)


def open_study(db_path: Path | None, notices: list[str] | None = None) -> tuple[Store, Settings, datetime, date]:
    """The store, synced with the deck files, and today's study day.

    Notices for the student (a database just created, a study day kept
    when the local date went back) go to ``notices`` if given, else to
    stderr.
    """
    from datetime import timedelta

    from osteo_learn.core.days import kept_study_day, study_day
    from osteo_learn.store import library
    from osteo_learn.system import clock, paths

    path = db_path or paths.default_db_path()
    created = not path.exists()
    store, warnings = library.open_library(path)
    for warning in warnings:
        click.echo(f"Warning: {warning}", err=True)
    settings = store.settings.values()
    now = clock.now()
    local_day = study_day(now, settings.day_start_hour)
    today = kept_study_day(local_day, store.queue.latest_day())
    said = []
    if created:
        said.append(created_notice(path, db_path))
    if today != local_day:
        said.append(
            f"Study day {today.isoformat()}: your clock reads {now:%Y-%m-%d %H:%M}, earlier than the study day "
            "of your last answer (a move west across time zones?). A study day never goes back, so no day's new "
            f"cards come twice; the next one begins at {settings.day_start_hour}:00 on {today + timedelta(days=1)}."
        )
    if notices is not None:
        notices.extend(said)
    else:
        for line in said:
            click.echo(line, err=True)
    return store, settings, now, today


def created_notice(path: Path, db_path: Path | None) -> str:
    """What the first run says: where the progress is kept, and how to come back."""
    again = f"osteo-learn review --db {db_path}" if db_path else "osteo-learn review (or osteo-learn alone)"
    return f"Created your study database {path}: your progress is kept there. Come back with {again}."


def known_tags(store, tags: tuple[str, ...]) -> None:
    if not tags:
        return
    known = store.cards.tags()
    for tag in tags:
        if tag not in known:
            raise OsteoError(f"no tag '{tag}' (tags: {', '.join(sorted(known)) or 'none'})")


def known_decks(store, deck_ids: tuple[str, ...]) -> None:
    known = store.decks.ids()
    for deck_id in deck_ids:
        if deck_id not in known:
            raise OsteoError(f"no deck '{deck_id}' (decks: {', '.join(known) or 'none'})")


def print_json(data) -> None:
    import json

    click.echo(json.dumps(data, indent=2, ensure_ascii=False))

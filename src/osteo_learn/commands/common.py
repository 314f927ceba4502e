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


MAX_REPEATS = 100
"""How many times a repeatable option (``--deck``, ``--tag``) may be given."""

MAX_COUNT = 1_000_000
"""The largest count an option takes (``--new``, ``--limit``)."""


class PathType(click.Path):
    """click.Path giving a pathlib.Path, with pathlib imported only when a path is given (for a fast
    ``--help``); a path the system cannot even look at (a name too long, a loop of links) is a usage error."""

    def convert(self, value, param, ctx) -> Path:
        import errno
        import os
        from pathlib import Path

        from osteo_learn.core.text import shown

        try:
            os.stat(value)
        except OSError as error:
            if error.errno in (errno.ENAMETOOLONG, errno.ELOOP):
                self.fail(f"{shown(value)}: {error.strerror}", param, ctx)
        except ValueError as error:
            self.fail(f"{shown(value)}: {error}", param, ctx)
        return Path(super().convert(value, param, ctx))


class DeckId(click.ParamType):
    """A deck id as decks write them: lowercase letters, digits, '.', '_', '-', at most 100 long."""

    name = "ID"

    def convert(self, value, param, ctx) -> str:
        from osteo_learn.core import limits
        from osteo_learn.core.text import shown

        if not limits.valid_id(value):
            self.fail(
                f"'{shown(value)}' is not a deck id (lowercase letters, digits, '.', '_' or '-', "
                f"at most {limits.MAX_ID_LENGTH} characters)",
                param,
                ctx,
            )
        return value


class Tag(click.ParamType):
    """A tag as cards carry them: one word of printable characters, at most 100 long."""

    name = "TAG"

    def convert(self, value, param, ctx) -> str:
        from osteo_learn.core import limits
        from osteo_learn.core.text import shown

        if not limits.valid_tag(value):
            self.fail(
                f"'{shown(value)}' is not a tag (one word of printable characters, without spaces or quotes, "
                f"at most {limits.MAX_TAG_LENGTH} characters)",
                param,
                ctx,
            )
        return value


def at_most_value(limit: int):
    """A callback refusing a number above ``limit`` (click's IntRange says the rest)."""

    def check(ctx: click.Context, param: click.Parameter, value: int | None):
        if value is not None and value > limit:
            raise click.BadParameter(f"{value} is more than {limit:,}", ctx, param)
        return value

    return check


def _at_most(limit: int):
    def check(ctx: click.Context, param: click.Parameter, values: tuple):
        if len(values) > limit:
            raise click.BadParameter(f"given {len(values):,} times; at most {limit}", ctx, param)
        return values

    return check


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


def deck_option(command):
    return click.option(
        "--deck",
        "deck_ids",
        multiple=True,
        type=DeckId(),
        callback=_at_most(MAX_REPEATS),
        help="Only this deck (repeat for any of several decks).",
    )(command)


def deck_options(command):
    command = click.option(
        "--tag",
        "tags",
        multiple=True,
        type=Tag(),
        callback=_at_most(MAX_REPEATS),
        help="Only cards with this tag (repeat for any of several tags).",
    )(command)
    return deck_option(command)


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
    store, warnings = library.open_library(path)
    created = store.created
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
    from osteo_learn.core.text import shown

    again = f"osteo-learn review --db {shown(db_path)}" if db_path else "osteo-learn review (or osteo-learn alone)"
    return f"Created your study database {shown(path)}: your progress is kept there. Come back with {again}."


def known_tags(store, tags: tuple[str, ...]) -> None:
    """Refuse a tag no card has, as an unknown deck is refused."""
    from osteo_learn.core.text import shown

    if not tags:
        return
    known = store.cards.tags()
    for tag in tags:
        if tag not in known:
            raise OsteoError(f"no tag '{shown(tag)}' (tags: {shown(', '.join(sorted(known)) or 'none', 1000)})")


def known_decks(store, deck_ids: tuple[str, ...]) -> None:
    from osteo_learn.core.text import shown

    known = store.decks.ids()
    for deck_id in deck_ids:
        if deck_id not in known:
            raise OsteoError(f"no deck '{shown(deck_id)}' (decks: {shown(', '.join(known) or 'none', 1000)})")


def print_json(data) -> None:
    """JSON for scripts: the exact text, with every character a terminal would act on escaped."""
    import json

    from osteo_learn.core.text import json_safe

    click.echo(json_safe(json.dumps(data, indent=2, ensure_ascii=False)))

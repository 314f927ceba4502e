"""Settings: ``osteo-learn config``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from osteo_learn.commands.common import Command, db_option

if TYPE_CHECKING:
    from pathlib import Path


@click.command(cls=Command)
@db_option
@click.argument("name", required=False)
@click.argument("value", required=False)
@click.option("--reset", is_flag=True, help="Put NAME back to its default.")
@click.option("--deck", "deck_id", metavar="ID", help="A deck's own new-per-day (the global one stays the cap).")
def config(db_path: Path | None, name: str | None, value: str | None, reset: bool, deck_id: str | None) -> None:
    """Show or change settings (kept in the database).

    Without arguments, list every setting with its value and default;
    with NAME, show one; with NAME VALUE, change it. With --deck ID,
    new-per-day is that deck's own limit; --reset --deck ID removes it.
    """
    from osteo_learn.core import settings as settings_module
    from osteo_learn.store import Store
    from osteo_learn.system import paths

    if name is not None and name not in settings_module.SETTINGS:
        raise click.BadParameter(
            f"unknown setting '{name}' (known: {', '.join(settings_module.SETTINGS)})", param_hint="NAME"
        )
    if reset and (name is None or value is not None):
        raise click.UsageError("--reset takes a NAME and no VALUE")
    if deck_id is not None and name not in settings_module.PER_DECK:
        raise click.UsageError(f"--deck goes with {', '.join(settings_module.PER_DECK)} only")
    from osteo_learn.commands.common import created_notice, known_decks

    path = db_path or paths.default_db_path()
    with Store.open(path) as store:
        if store.created:
            click.echo(created_notice(path, db_path), err=True)
        key = name
        if deck_id is not None:
            from osteo_learn.store import library

            library.sync_decks(store)
            known_decks(store, (deck_id,))
            key = settings_module.deck_key(name, deck_id)
        if value is not None:
            store.settings.set(key, str(settings_module.parse(name, value)))
        elif reset:
            store.settings.set(key, None)
        current = store.settings.values()
    for setting in settings_module.SETTINGS.values():
        if name is None or setting.name == name:
            click.echo(f"{setting.name} = {current.value(setting.name)}  (default {setting.default}; {setting.help})")
            for deck, limit in current.deck_new_per_day if setting.name == "new-per-day" else ():
                if deck_id is None or deck == deck_id:
                    click.echo(f"{setting.name} = {limit} for deck {deck}  (within the global {current.new_per_day})")
    if deck_id is not None and current.new_per_day_for(deck_id) is None:
        click.echo(f"{name}: deck {deck_id} has no limit of its own; the global one applies")

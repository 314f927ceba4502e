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
def config(db_path: Path | None, name: str | None, value: str | None, reset: bool) -> None:
    """Show or change settings (kept in the database).

    Without arguments, list every setting with its value and default;
    with NAME, show one; with NAME VALUE, change it.
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
    with Store.open(db_path or paths.default_db_path()) as store:
        if value is not None:
            store.settings.set(name, str(settings_module.parse(name, value)))
        elif reset:
            store.settings.set(name, None)
        current = store.settings.values()
    for setting in settings_module.SETTINGS.values():
        if name is None or setting.name == name:
            click.echo(f"{setting.name} = {current.value(setting.name)}  (default {setting.default}; {setting.help})")

"""The command line: the ``osteo-learn`` group, and the one place where errors become exit codes.

Each command lives in a module of this package by what it is about
(:mod:`.study`, :mod:`.decks`, :mod:`.reports`, :mod:`.control`,
:mod:`.config`, :mod:`.export`, :mod:`.import_reviews`), thin: it parses arguments, calls the layers below and
prints. Errors of the :class:`~osteo_learn.errors.OsteoError` family become
a one-line message and exit 1; usage errors exit 2 (click); Ctrl-C exits
130. Everything printed while a command runs, error messages included,
goes through the terminal gate (:mod:`osteo_learn.terminal.gate`).
"""

from __future__ import annotations

import click

from osteo_learn import __version__
from osteo_learn.commands import config, control, decks, export, import_reviews, reports, study
from osteo_learn.commands.common import UsageWithEveryError
from osteo_learn.errors import OsteoError


class _Group(UsageWithEveryError, click.Group):
    """Turns the project's errors into click's error message and exit 1, and
    Ctrl-C into exit 130 (the shell's code for SIGINT), in one place; and
    puts the terminal gate in front of stdout and stderr."""

    def main(self, *args, **kwargs):
        from osteo_learn.terminal.gate import gated

        with gated():
            return super().main(*args, **kwargs)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except OsteoError as error:
            raise click.ClickException(str(error)) from error
        except KeyboardInterrupt:
            # Every write is one transaction, and a package replaces its file
            # only once complete: stopping here leaves nothing half done.
            click.echo("Interrupted; nothing was left half done.", err=True)
            raise click.exceptions.Exit(130) from None


@click.group(cls=_Group, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="osteo-learn")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Study one medical article with spaced repetition in the terminal.

    Flashcards and clinical case vignettes, scheduled with SuperMemo-2 and
    kept in a local SQLite database, with export to Anki.

    Without a command, starts today's review (osteo-learn review).
    """
    if ctx.invoked_subcommand is None:
        ctx.invoke(study.review)


for command in (
    study.review,
    reports.status,
    reports.cards,
    reports.stats,
    control.suspend,
    control.unsuspend,
    control.flag,
    control.unflag,
    decks.check,
    decks.add_deck,
    decks.remove_deck,
    config.config,
    export.export_command,
    import_reviews.import_reviews,
):
    cli.add_command(command)


def main() -> None:
    import sys

    from osteo_learn.terminal.gate import GatedStream

    # For the whole process, so that even a traceback goes through the gate.
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is not None and not isinstance(stream, GatedStream):
            setattr(sys, name, GatedStream(stream))
    cli(prog_name="osteo-learn")

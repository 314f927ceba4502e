"""The command line: the ``osteo-learn`` group, and the one place where errors become exit codes.

Each command lives in a module of this package by what it is about
(:mod:`.study`, :mod:`.decks`, :mod:`.reports`, :mod:`.control`,
:mod:`.config`, :mod:`.export`, :mod:`.import_reviews`), loaded when it is
used; thin: it parses arguments, calls the layers below and prints. Errors of the :class:`~osteo_learn.errors.OsteoError` family become
a one-line message and exit 1; usage errors exit 2 (click); Ctrl-C exits
130. Everything printed while a command runs, error messages included,
goes through the terminal gate (:mod:`osteo_learn.terminal.gate`).
"""

from __future__ import annotations

import importlib

import click

from osteo_learn import __version__
from osteo_learn.commands.common import UsageWithEveryError
from osteo_learn.errors import OsteoError

# Every command: its module in this package, its function, and the line
# ``osteo-learn --help`` lists it with (its docstring's first sentence; a
# test keeps the two equal). A command's module is imported only when the
# command runs or shows its own help, so start-up and ``--help`` stay fast.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "review": ("study", "review", "Study today's cards: due reviews first, then new cards."),
    "status": ("reports", "status", "Show what is due today, per deck, without studying."),
    "cards": ("reports", "cards", "List cards with their schedule, in deck order."),
    "stats": ("reports", "stats", "Show how your study is going: reviews per day, due cards ahead, retention, cards by state, your streak and the hardest cards."),
    "suspend": ("control", "suspend", "Take cards out of review until unsuspended; their schedule is kept."),
    "unsuspend": ("control", "unsuspend", "Put suspended cards (leeches too) back into review, on their kept schedule."),
    "flag": ("control", "flag", "Mark cards as wrong or unclear, with an optional note; they are still studied."),
    "unflag": ("control", "unflag", "Take the flag (and its note) off cards."),
    "check": ("decks", "check", "Validate deck files and summarise each one."),
    "add-deck": ("decks", "add_deck", "Add a deck file of your own to study beside the bundled decks."),
    "remove-deck": ("decks", "remove_deck", "Stop studying a deck you added."),
    "config": ("config", "config", "Show or change settings (kept in the database)."),
    "export": ("export", "export_command", "Write the cards as an Anki package (.apkg), for Anki on a phone or desktop."),
    "import-reviews": ("import_reviews", "import_reviews", "Merge the answers you gave in Anki into your review log."),
}


class _Group(UsageWithEveryError, click.Group):
    """Turns the project's errors into click's error message and exit 1, and
    Ctrl-C into exit 130 (the shell's code for SIGINT), in one place; puts
    the terminal gate in front of stdout and stderr; and loads each command
    only when it is used (:data:`COMMANDS`)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module, function, _ = COMMANDS[name]
        return getattr(importlib.import_module(f"osteo_learn.commands.{module}"), function)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # The listing's lines come from COMMANDS, so no command is loaded for it.
        limit = formatter.width - 6 - max(map(len, COMMANDS))
        rows = [(name, _shortened(COMMANDS[name][2], limit)) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

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
        ctx.invoke(cli.get_command(ctx, "review"))


def all_commands() -> dict[str, click.Command]:
    """Every command, loaded: for checks over all of them."""
    return {name: cli.get_command(click.Context(cli), name) for name in cli.list_commands(click.Context(cli))}


def _shortened(text: str, limit: int) -> str:
    """``text`` cut at a word to fit ``limit`` columns, as click shortens a command's help."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 3, 1)].rsplit(" ", 1)[0].rstrip(",;:") + "..."


def main() -> None:
    import sys

    from osteo_learn.terminal.gate import GatedStream

    # For the whole process, so that even a traceback goes through the gate.
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is not None and not isinstance(stream, GatedStream):
            setattr(sys, name, GatedStream(stream))
    cli(prog_name="osteo-learn")

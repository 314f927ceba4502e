"""The command line: thin commands that parse arguments, call the core and print.

Modules beyond ``click`` are imported inside the commands, so ``--help`` and
start-up stay fast. Errors of the :class:`~osteo_learn.errors.OsteoError`
family become a one-line message and exit 1; usage errors exit 2 (click).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from osteo_learn import __version__
from osteo_learn.errors import OsteoError

if TYPE_CHECKING:
    from pathlib import Path


class _PathType(click.Path):
    """click.Path giving a pathlib.Path, with pathlib imported only when a path is given (for a fast ``--help``)."""

    def convert(self, value, param, ctx) -> Path:
        from pathlib import Path

        return Path(super().convert(value, param, ctx))


class _UsageWithEveryError:
    """Show the usage with every usage error: click leaves it out of some
    (an option given without its value), though they exit 2 all the same."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as error:
            error.ctx = error.ctx or ctx
            raise


class _Command(_UsageWithEveryError, click.Command):
    pass


class _Group(_UsageWithEveryError, click.Group):
    """Turns the project's errors into click's error message and exit 1, and
    Ctrl-C into exit 130 (the shell's code for SIGINT), in one place."""

    command_class = _Command

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
        ctx.invoke(review)


@cli.command()
@click.argument("paths", nargs=-1, type=_PathType(dir_okay=False))
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


def db_option(command):
    """``--db PATH`` on every command that uses the database."""
    return click.option(
        "--db",
        "db_path",
        type=_PathType(dir_okay=False),
        default=None,
        help="Database file [default: $OSTEO_LEARN_DB, else osteo-learn.db in $OSTEO_LEARN_HOME or the app folder].",
    )(command)


def deck_options(command):
    command = click.option("--tag", "tags", multiple=True, metavar="TAG", help="Only cards with this tag (repeatable).")(command)
    return click.option("--deck", "deck_ids", multiple=True, metavar="ID", help="Only this deck (repeatable).")(command)


def json_option(command):
    return click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")(command)


def _open(db_path: Path | None):
    """The store, synced with the deck files, and today's study day."""
    from osteo_learn import clock, library
    from osteo_learn.settings import Settings

    store, warnings = library.open_library(db_path)
    for warning in warnings:
        click.echo(f"Warning: {warning}", err=True)
    settings = Settings.from_stored(store.settings())
    now = clock.now()
    return store, settings, now, clock.study_day(now, settings.day_start_hour)


def _known_decks(store, deck_ids: tuple[str, ...]) -> None:
    known = store.deck_ids()
    for deck_id in deck_ids:
        if deck_id not in known:
            raise OsteoError(f"no deck '{deck_id}' (decks: {', '.join(known) or 'none'})")


def _print_json(data) -> None:
    import json

    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


@cli.command()
@db_option
@json_option
def status(db_path: Path | None, as_json: bool) -> None:
    """Show what is due today, per deck, without studying."""
    store, settings, _, today = _open(db_path)
    with store:
        decks = store.deck_counts(today)
        introduced = store.new_introduced(today)
    new_today = max(0, settings.new_per_day - introduced)
    rows = [
        {
            "deck": d.deck_id,
            "title": d.title,
            "due": d.due,
            "new": d.new,
            "learned": d.learned,
            "retired": d.retired,
            "next_due": d.next_due.isoformat() if d.next_due else None,
        }
        for d in decks
    ]
    if as_json:
        _print_json(
            {
                "today": today.isoformat(),
                "decks": rows,
                "new_per_day": settings.new_per_day,
                "new_introduced_today": introduced,
                "new_left_today": min(new_today, sum(d.new for d in decks)),
            }
        )
        return
    click.echo(f"Study day {today.isoformat()}")
    click.echo(f"{'deck':<32} {'due':>5} {'new':>5} {'learned':>8}  next due")
    for row in rows:
        click.echo(
            f"{row['deck'][:32]:<32} {row['due']:>5} {row['new']:>5} {row['learned']:>8}  {row['next_due'] or '-'}"
        )
    due = sum(d.due for d in decks)
    click.echo(
        f"Today: {due} due, {min(new_today, sum(d.new for d in decks))} new to learn "
        f"({introduced} of {settings.new_per_day} new introduced today)."
    )


@cli.command()
@db_option
@deck_options
@click.option("--new", "new_limit", type=click.IntRange(0), default=None, metavar="N", help="Show N new cards in this session [default: what is left of new-per-day].")
@click.option("--limit", "review_limit", type=click.IntRange(0), default=None, metavar="N", help="Show at most N due reviews in this session [default: what is left of reviews-per-day].")
@click.pass_context
def review(ctx: click.Context, db_path: Path | None, deck_ids, tags, new_limit: int | None, review_limit: int | None) -> None:
    """Study today's cards: due reviews first, then new cards.

    Keys: space or Enter shows the answer; A-E picks a case's answer; 0-5
    grades (0-2 failed, 3-5 recalled); s shows the source passage; u undoes
    the last answer; q ends the session; ? lists the keys. When stdin is not
    a terminal, give one key per line. Every answer is saved at once.
    Exits 0, or 130 after Ctrl-C.
    """
    from osteo_learn import session

    store, settings, now, today = _open(db_path)
    with store:
        _known_decks(store, deck_ids)
        store.check_writable()  # refuse now, not after the first answer
        code = session.run(store, settings, now, today, session.Options(deck_ids, tags, new_limit, review_limit))
    ctx.exit(code)


@cli.command()
@db_option
@click.option("--deck", "deck_ids", multiple=True, metavar="ID", help="Only this deck (repeatable).")
@json_option
def stats(db_path: Path | None, deck_ids, as_json: bool) -> None:
    """Show how your study is going: reviews per day, due cards ahead, retention,
    cards by state, your streak and the hardest cards."""
    import sys

    from osteo_learn import stats as stats_module
    from osteo_learn import terminal

    store, _, _, today = _open(db_path)
    with store:
        _known_decks(store, deck_ids)
        found = stats_module.collect(store, today, deck_ids)
    if as_json:
        _print_json(stats_module.to_json(found))
        return
    out = sys.stdout
    width = min(terminal.terminal_width(out), 100)
    click.echo(stats_module.render(found, terminal.Style(terminal.colour_wanted(out)), width))


CARD_STATES = ("new", "due", "learned", "retired")


@cli.command()
@db_option
@deck_options
@click.option("--state", "states", multiple=True, type=click.Choice(CARD_STATES), help="Only cards in this state (repeatable): new, due (today), learned (reviewed, not due), retired.")
@json_option
def cards(db_path: Path | None, deck_ids, tags, states, as_json: bool) -> None:
    """List cards with their schedule, in deck order."""
    from osteo_learn import sm2

    store, _, _, today = _open(db_path)
    with store:
        _known_decks(store, deck_ids)
        found = store.cards(deck_ids, tags, include_retired=True)
    rows = []
    for stored in found:
        state = stored.state
        if stored.retired:
            label = "retired"
        elif isinstance(state, sm2.NewCard):
            label = "new"
        else:
            label = "due" if state.due <= today else "learned"
        if states and label not in states:
            continue
        reviewed = not isinstance(state, sm2.NewCard)
        rows.append(
            {
                "deck": stored.deck_id,
                "card": stored.card.id,
                "ordinal": stored.ordinal,
                "kind": str(stored.card.kind),
                "tags": list(stored.card.tags),
                "state": label,
                "due": state.due.isoformat() if reviewed else None,
                "interval": state.interval if reviewed else None,
                "ease_factor": float(state.ease_factor),
                "repetitions": state.repetitions,
                "lapses": state.lapses,
                "last_review": state.last_review.isoformat() if reviewed else None,
            }
        )
    if as_json:
        _print_json(rows)
        return
    names = [f"{r['deck']}/{r['card']}" + (f" c{r['ordinal']}" if r["kind"] == "cloze" else "") for r in rows]
    width = max(map(len, names), default=4)
    click.echo(f"{'card':<{width}} {'kind':<8} {'state':<8} {'due':<10} {'ivl':>5} {'EF':>5} {'reps':>4} {'lapses':>6}")
    for name, row in zip(names, rows):
        click.echo(
            f"{name:<{width}} {row['kind']:<8} {row['state']:<8} {row['due'] or '-':<10} "
            f"{row['interval'] or '-':>5} {row['ease_factor']:>5.2f} {row['repetitions']:>4} {row['lapses']:>6}"
        )
    click.echo(f"{len(rows)} card(s)")


@cli.command("add-deck")
@db_option
@click.argument("path", type=_PathType(dir_okay=False))
def add_deck(db_path: Path | None, path: Path) -> None:
    """Add a deck file of your own to study beside the bundled decks.

    The file is validated first (see `osteo-learn check`); it is then read
    again on every run, so edits to it are picked up. Adding it again
    refreshes it at once.
    """
    from osteo_learn import library

    store, _ = library.open_library(db_path)
    with store:
        deck, result = library.add_deck(store, path)
    click.echo(
        f"Deck '{deck.id}' ({deck.title}) from {path}: {result.added} card(s) added, "
        f"{result.updated} updated, {result.retired} retired."
    )


@cli.command()
@db_option
@click.argument("name", required=False)
@click.argument("value", required=False)
@click.option("--reset", is_flag=True, help="Put NAME back to its default.")
def config(db_path: Path | None, name: str | None, value: str | None, reset: bool) -> None:
    """Show or change settings (kept in the database).

    Without arguments, list every setting with its value and default;
    with NAME, show one; with NAME VALUE, change it.
    """
    from osteo_learn import settings as settings_module
    from osteo_learn.store import Store

    from osteo_learn import paths

    if name is not None and name not in settings_module.SETTINGS:
        raise click.BadParameter(
            f"unknown setting '{name}' (known: {', '.join(settings_module.SETTINGS)})", param_hint="NAME"
        )
    if reset and (name is None or value is not None):
        raise click.UsageError("--reset takes a NAME and no VALUE")
    with Store.open(db_path or paths.default_db_path()) as store:
        if value is not None:
            store.set_setting(name, str(settings_module.parse(name, value)))
        elif reset:
            store.set_setting(name, None)
        current = settings_module.Settings.from_stored(store.settings())
    for setting in settings_module.SETTINGS.values():
        if name is None or setting.name == name:
            click.echo(f"{setting.name} = {current.value(setting.name)}  (default {setting.default}; {setting.help})")


@cli.command("export")
@db_option
@deck_options
@click.option(
    "-o",
    "--output",
    type=_PathType(),
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

    from osteo_learn import export

    if output is not None and output.suffix.lower() != ".apkg":
        raise click.BadParameter(f"'{output}' must end in .apkg (Anki opens packages by that extension)", param_hint="-o")
    store, settings, now, _ = _open(db_path)
    with store:
        _known_decks(store, deck_ids)
        path = output or Path(export.default_file_name(list(deck_ids) or store.deck_ids()))
        summary = export.export_from_store(
            store,
            path,
            deck_ids=deck_ids,
            tags=tags,
            with_progress=with_progress,
            timestamp=now.timestamp(),
            day_start_hour=settings.day_start_hour,
        )
    for line in export.summary_lines(summary):
        click.echo(line)


def main() -> None:
    cli(prog_name="osteo-learn")

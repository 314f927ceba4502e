"""Reports on the study: ``status``, ``cards`` and ``stats``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from osteo_learn.commands.common import Command, db_option, deck_option, deck_options, json_option, known_decks, open_study, print_json

if TYPE_CHECKING:
    from pathlib import Path


@click.command(cls=Command)
@db_option
@json_option
def status(db_path: Path | None, as_json: bool) -> None:
    """Show what is due today, per deck, without studying."""
    store, settings, _, today = open_study(db_path)
    with store:
        studied = set(store.decks.ids())  # not those removed with remove-deck
        decks = [d for d in store.queue.per_deck(today) if d.deck_id in studied]
        introduced = store.queue.new_introduced(today)
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
        print_json(
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


@click.command(cls=Command)
@db_option
@deck_option
@json_option
def stats(db_path: Path | None, deck_ids, as_json: bool) -> None:
    """Show how your study is going: reviews per day, due cards ahead, retention,
    cards by state, your streak and the hardest cards."""
    import sys

    from osteo_learn.terminal import stats_screen
    from osteo_learn.terminal.layout import terminal_width
    from osteo_learn.terminal.style import Style, colour_wanted

    store, _, _, today = open_study(db_path)
    with store:
        known_decks(store, deck_ids)
        found = stats_screen.collect(store, today, deck_ids)
    if as_json:
        print_json(stats_screen.to_json(found))
        return
    out = sys.stdout
    width = min(terminal_width(out), 100)
    click.echo(stats_screen.render(found, Style(colour_wanted(out)), width))


CARD_STATES = ("new", "due", "learned", "retired")


@click.command(cls=Command)
@db_option
@deck_options
@click.option("--state", "states", multiple=True, type=click.Choice(CARD_STATES), help="Only cards in this state (repeatable): new, due (today), learned (reviewed, not due), retired.")
@json_option
def cards(db_path: Path | None, deck_ids, tags, states, as_json: bool) -> None:
    """List cards with their schedule, in deck order."""
    from osteo_learn.core import sm2

    store, _, _, today = open_study(db_path)
    with store:
        known_decks(store, deck_ids)
        found = store.cards.all(deck_ids, tags, include_retired=True)
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
        print_json(rows)
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

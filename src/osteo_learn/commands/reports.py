"""Reports on the study: ``status``, ``cards`` and ``stats``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from osteo_learn.commands.common import (
    Command,
    db_option,
    deck_option,
    deck_options,
    json_option,
    known_decks,
    known_tags,
    open_study,
    print_json,
)

if TYPE_CHECKING:
    from pathlib import Path


@click.command(cls=Command)
@db_option
@json_option
def status(db_path: Path | None, as_json: bool) -> None:
    """Show what is due today, per deck, without studying."""
    from osteo_learn.core.text import shown

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
            "suspended": d.suspended,
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
            f"{shown(row['deck'])[:32]:<32} {row['due']:>5} {row['new']:>5} {row['learned']:>8}  {row['next_due'] or '-'}"
        )
    due = sum(d.due for d in decks)
    click.echo(
        f"Today: {due} due, {min(new_today, sum(d.new for d in decks))} new to learn "
        f"({introduced} of {settings.new_per_day} new introduced today)."
    )
    held = sum(d.suspended for d in decks)
    if held:
        click.echo(f"Suspended: {held} card{'' if held == 1 else 's'}, not counted above (osteo-learn cards --suspended).")


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
    with store:  # cards are decoded (and checked) as they are drawn: inside
        known_decks(store, deck_ids)
        found = stats_screen.collect(store, today, deck_ids)
        if as_json:
            text = None
            data = stats_screen.to_json(found)
        else:
            out = sys.stdout
            text = stats_screen.render(found, Style(colour_wanted(out)), max(60, min(terminal_width(out), 100)))
    if text is None:
        print_json(data)
        return
    click.echo(text)


CARD_STATES = ("new", "due", "learned", "retired")


@click.command(cls=Command)
@db_option
@deck_options
@click.option("--state", "states", multiple=True, type=click.Choice(CARD_STATES), help="Only cards in this state (repeatable): new, due (today), learned (reviewed, not due), retired.")
@click.option("--search", metavar="TEXT", help="Only cards whose text holds TEXT (case and accents ignored).")
@click.option("--flagged", is_flag=True, help="Only flagged cards, with their notes.")
@click.option("--suspended", is_flag=True, help="Only suspended cards (leeches too).")
@click.option("--leeches", is_flag=True, help="Only leeches: cards suspended for lapsing too often.")
@json_option
def cards(db_path: Path | None, deck_ids, tags, states, search, flagged: bool, suspended: bool, leeches: bool, as_json: bool) -> None:
    """List cards with their schedule, in deck order.

    With --search, --flagged, --suspended or --leeches (which narrow
    together), each card is shown with its text, state and due date, and
    the name that suspend, unsuspend, flag and unflag take.
    """
    import sys

    from osteo_learn.core import search as finding
    from osteo_learn.core.text import clean
    from osteo_learn.core import sm2
    from osteo_learn.terminal.layout import terminal_width
    from osteo_learn.terminal.listing import found_cards

    store, _, _, today = open_study(db_path)
    with store:
        known_decks(store, deck_ids)
        known_tags(store, tags)
        # Checked here, inside, so that a damaged row is reported with the database's name.
        found = [stored.check() for stored in store.cards.all(deck_ids, tags, include_retired=True)]
        buried = store.control.buried(today)
    rows, shown = [], []
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
        if (flagged and not stored.flagged) or (suspended and not stored.suspended) or (leeches and not stored.leech):
            continue
        if search is not None and not finding.matches(search, stored.card, stored.ordinal):
            continue
        reviewed = not isinstance(state, sm2.NewCard)
        shown.append(stored)
        rows.append(
            {
                "deck": stored.deck_id,
                "card": stored.card.id,
                "ordinal": stored.ordinal,
                "ref": stored.ref,
                "kind": str(stored.card.kind),
                "tags": list(stored.card.tags),
                "text": clean(finding.prompt(stored.card, stored.ordinal)),
                "state": label,
                "due": state.due.isoformat() if reviewed else None,
                "interval": state.interval if reviewed else None,
                "ease_factor": float(state.ease_factor),
                "repetitions": state.repetitions,
                "lapses": state.lapses,
                "last_review": state.last_review.isoformat() if reviewed else None,
                "suspended": stored.suspended,
                "leech": stored.leech,
                "buried": stored.pk in buried,
                "flagged": stored.flagged,
                "flag_note": stored.flag_note if stored.flagged else None,
            }
        )
    if as_json:
        print_json(rows)
        return
    if search is not None or flagged or suspended or leeches:
        for line in found_cards(rows, terminal_width(sys.stdout) if sys.stdout.isatty() else 100):
            click.echo(line)
        return
    names = [r["ref"] for r in rows]
    width = max(map(len, names), default=4)
    click.echo(f"{'card':<{width}} {'kind':<8} {'state':<8} {'due':<10} {'ivl':>5} {'EF':>5} {'reps':>4} {'lapses':>6}  held")
    for name, row in zip(names, rows):
        held = ", ".join(k for k in ("leech", "suspended", "buried", "flagged") if row[k] and not (k == "suspended" and row["leech"]))
        click.echo(
            f"{name:<{width}} {row['kind']:<8} {row['state']:<8} {row['due'] or '-':<10} "
            f"{row['interval'] or '-':>5} {row['ease_factor']:>5.2f} {row['repetitions']:>4} {row['lapses']:>6}  {held}".rstrip()
        )
    click.echo(f"{len(rows)} card(s)")

"""The daily review: ``osteo-learn review``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from osteo_learn.commands.common import (
    MAX_COUNT,
    Command,
    at_most_value,
    db_option,
    deck_options,
    known_decks,
    known_tags,
    open_study,
)

if TYPE_CHECKING:
    from pathlib import Path


@click.command(cls=Command)
@db_option
@deck_options
@click.option("--new", "new_limit", type=click.IntRange(0), callback=at_most_value(MAX_COUNT), default=None, metavar="N", help="Show N new cards in this session [default: what is left of new-per-day].")
@click.option("--limit", "review_limit", type=click.IntRange(0), callback=at_most_value(MAX_COUNT), default=None, metavar="N", help="Show at most N due reviews in this session [default: what is left of reviews-per-day].")
@click.option("--kind", "kinds", multiple=True, type=click.Choice(["basic", "cloze", "vignette"]), help="Only cards of this kind (repeat for several).")
@click.option("--ahead", type=click.IntRange(1, 3650), default=None, metavar="N", help="Study the reviews due in the next N days now (before an exam).")
@click.option("--failed", type=click.IntRange(1, 3650), default=None, is_flag=False, flag_value=1, metavar="[DAYS]", help="Study again the cards graded below 3 on the last DAYS study days [DAYS: 1, today].")
@click.pass_context
def review(
    ctx: click.Context,
    db_path: Path | None,
    deck_ids,
    tags,
    new_limit: int | None,
    review_limit: int | None,
    kinds,
    ahead: int | None,
    failed: int | None,
) -> None:
    """Study today's cards: due reviews first, then new cards.

    Keys: space or Enter shows the answer; A-E picks a case's answer; 0-5
    grades (0-2 failed, 3-5 recalled); s shows the source passage; - buries,
    ! suspends, f flags, o edits the card; u undoes; q ends the session; ?
    lists the keys. When stdin is not a terminal, give one key per line.
    Every answer is saved at once. Exits 0, or 130 after Ctrl-C.
    """
    from osteo_learn.terminal import session

    if ahead is not None and failed is not None:
        raise click.UsageError("--ahead and --failed are two ways of studying: give one")
    notices: list[str] = []
    store, settings, now, today = open_study(db_path, notices)
    with store:
        known_decks(store, deck_ids)
        known_tags(store, tags)
        store.check_writable()  # refuse now, not after the first answer
        options = session.Options(deck_ids, tags, new_limit, review_limit, kinds, ahead, failed)
        code = session.run(store, settings, now, today, options, notices=notices)
    ctx.exit(code)

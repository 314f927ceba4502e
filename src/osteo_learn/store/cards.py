"""The store's cards: looked up, listed and streamed in deck order."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from osteo_learn.core import sm2
from osteo_learn.errors import StoreError
from osteo_learn.store import rows
from osteo_learn.store.connection import Database
from osteo_learn.store.rows import CARD_COLUMNS, STATE_COLUMNS, StoredCard, card_filters, select_cards


class Cards:
    """``store.cards``: every studied card, with its text and schedule."""

    def __init__(self, db: Database):
        self._db = db

    def get(self, pk: int) -> StoredCard:
        found = list(select_cards(self._db.conn, "c.id = ?", (pk,)))
        if not found:
            raise StoreError(f"no card with number {pk} in {self._db.path}")
        return found[0]

    def all(
        self, deck_ids: Sequence[str] = (), tags: Sequence[str] = (), include_retired: bool = False, kinds: Sequence[str] = ()
    ) -> list[StoredCard]:
        """Every card in deck order, narrowed by deck, tag and kind."""
        where, params = card_filters(deck_ids, tags, kinds)
        if not include_retired:
            where.append("c.retired = 0")
        return list(select_cards(self._db.conn, " AND ".join(where) or "1", params))

    def keys(self) -> list[tuple[int, str, str, int, bool]]:
        """Every card, retired ones included: its key, deck id, card id, ordinal and whether it is retired."""
        found = self._db.conn.execute("SELECT id, deck_id, card_id, ord, retired FROM cards ORDER BY id")
        return [(pk, deck_id, card_id, ordinal, bool(retired)) for pk, deck_id, card_id, ordinal, retired in found]

    def states(self) -> Iterator[tuple[int, sm2.CardState]]:
        """Every card's key and schedule, retired ones included."""
        for pk, *state in self._db.conn.execute(f"SELECT id, {STATE_COLUMNS} FROM cards ORDER BY id"):
            yield pk, rows.state(*state)

    def each(self, deck_ids: Sequence[str] = (), tags: Sequence[str] = ()) -> Iterator[StoredCard]:
        """The cards not retired, narrowed by deck and tag, one at a time: decks in
        their order (bundled first, then added), each deck's cards in file order."""
        where, params = card_filters(deck_ids, tags)
        sql = (
            f"SELECT {CARD_COLUMNS} FROM cards AS c JOIN decks AS d ON d.id = c.deck_id"
            f" WHERE {' AND '.join(['c.retired = 0', *where])} ORDER BY d.rank, d.id, c.position, c.ord"
        )
        return map(StoredCard, self._db.conn.execute(sql, params))

    def entry(self, deck_id: str, card_id: str) -> list[StoredCard]:
        """The cards of one deck entry (a cloze's deletions, by number), retired ones too."""
        return list(select_cards(self._db.conn, "c.deck_id = ? AND c.card_id = ?", (deck_id, card_id), order="c.ord"))

    def tags(self) -> set[str]:
        """Every tag of a card not retired."""
        found = self._db.conn.execute("SELECT DISTINCT tags FROM cards WHERE retired = 0")
        return {tag for (tags,) in found for tag in tags.split()}

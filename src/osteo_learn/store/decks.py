"""The store's decks: what it remembers of each deck file, and keeping its cards in step.

A sync decides what to write inside its own write transaction
(``BEGIN IMMEDIATE``): the deck's rows are read again there, so processes
that start together and find the same deck file changed never write the
same cards twice; the second finds them written and writes nothing.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from osteo_learn.core.cards import Deck
from osteo_learn.core.guid import note_guid
from osteo_learn.errors import StoreError
from osteo_learn.store import rows
from osteo_learn.store.connection import Database
from osteo_learn.store.rows import DeckRecord


@dataclass(frozen=True)
class SyncResult:
    added: int = 0
    updated: int = 0
    retired: int = 0
    restored: int = 0

    @property
    def changed(self) -> bool:
        return any((self.added, self.updated, self.retired, self.restored))


@dataclass(frozen=True)
class DeckSync:
    """A validated deck to bring the store in step with, and what is known of its file."""

    deck: Deck
    file_size: int
    file_mtime_ns: int
    file_hash: str
    bundled: bool
    rank: int


class Decks:
    """``store.decks``: the decks in deck order (bundled first, then added), and their sync."""

    def __init__(self, db: Database):
        self._db = db

    def records(self) -> list[DeckRecord]:
        """Every deck the store knows, removed ones too, in deck order."""
        return _records(self._db.conn)

    def ids(self) -> list[str]:
        """The ids of the decks studied (not removed), in deck order."""
        return [row[0] for row in self._db.conn.execute(f"SELECT id FROM decks WHERE {_STUDIED} ORDER BY rank, id")]

    def titles(self) -> dict[str, str]:
        """Deck id to title, in deck order."""
        return dict(self._db.conn.execute("SELECT id, title FROM decks ORDER BY rank, id"))

    def source_document(self, deck_id: str) -> tuple[str, str]:
        """The title and full text of the document a deck was written from."""
        row = self._db.conn.execute("SELECT source_title, source_text FROM decks WHERE id = ?", (deck_id,)).fetchone()
        if row is None:
            raise StoreError(f"no deck '{deck_id}' in {self._db.path}")
        return row[0], row[1]

    def sync(
        self,
        deck: Deck,
        *,
        file_size: int,
        file_mtime_ns: int,
        file_hash: str,
        bundled: bool,
        rank: int,
    ) -> SyncResult:
        """Bring the store in step with a validated deck; write nothing if nothing changed.

        Cards are matched by (deck id, card id, ordinal): an edited card keeps
        its schedule and history; a card gone from the file is retired
        (hidden from review, history kept) and comes back if it returns.
        """
        wanted = DeckSync(deck, file_size, file_mtime_ns, file_hash, bundled, rank)
        [(_, result)] = self.apply(lambda records: [wanted])
        return result

    def apply(
        self, still_wanted: Callable[[dict[str, DeckRecord]], Sequence[DeckSync]]
    ) -> list[tuple[DeckSync, SyncResult]]:
        """Sync several decks in one write transaction.

        ``still_wanted`` is called inside the transaction with the decks as
        they are now (by id) and returns those to sync after all: the check
        and the write see the same state, whatever other processes did.
        Nothing is written when nothing changed.
        """
        with self._db.write() as conn:
            wanted = still_wanted({record.id: record for record in _records(conn)})
            return [(item, _sync(conn, item)) for item in wanted]

    def remove(self, deck_id: str) -> int:
        """Stop studying a deck added by the student: retire its cards (their
        history stays) and forget its file (left as it is). Return how many
        cards were retired."""
        with self._db.write() as conn:
            row = conn.execute("SELECT bundled, file FROM decks WHERE id = ?", (deck_id,)).fetchone()
            if row is None or (not row[0] and not row[1]):
                raise StoreError(f"no deck '{deck_id}' to remove")
            if row[0]:
                raise StoreError(f"'{deck_id}' is a bundled deck; it cannot be removed (study other decks with --deck)")
            retired = conn.execute("UPDATE cards SET retired = 1 WHERE deck_id = ? AND retired = 0", (deck_id,)).rowcount
            conn.execute(
                "UPDATE decks SET file = '', file_size = 0, file_mtime_ns = 0, file_hash = '' WHERE id = ?", (deck_id,)
            )
        return retired


# A removed deck keeps its row (its cards and their history point at it)
# with no file: it is no longer followed or studied.
_STUDIED = "(bundled = 1 OR file != '')"


def _records(conn: sqlite3.Connection) -> list[DeckRecord]:
    found = conn.execute(
        "SELECT id, title, file, file_size, file_mtime_ns, file_hash, bundled, source_title, source_text"
        " FROM decks ORDER BY rank, id"
    ).fetchall()
    return [DeckRecord(*row[:6], bool(row[6]), *row[7:]) for row in found]


def _sync(conn: sqlite3.Connection, item: DeckSync) -> SyncResult:
    """Write what a deck changes, inside the caller's transaction."""
    deck = item.deck
    wanted = {}
    for position, card in enumerate(deck.cards):
        tags = " ".join(card.tags)
        fields = rows.fields(card.content)
        for ordinal in card.ordinals():
            wanted[(card.id, ordinal)] = (str(card.kind), position, tags, fields, card.source)
    existing = {
        (card_id, ordinal): (pk, (kind, position, tags, fields, source), retired)
        for pk, card_id, ordinal, kind, position, tags, fields, source, retired in conn.execute(
            "SELECT id, card_id, ord, kind, position, tags, fields, source, retired FROM cards WHERE deck_id = ?",
            (deck.id,),
        )
    }
    inserts, updates, retire, restore = [], [], [], []
    for key, values in wanted.items():
        found = existing.get(key)
        if found is None:
            inserts.append((deck.id, *key, *values))
            continue
        pk, old_values, retired = found
        if old_values != values:
            updates.append((*values, pk))
        if retired:
            restore.append((pk,))
    for key, (pk, _, retired) in existing.items():
        if key not in wanted and not retired:
            retire.append((pk,))
    deck_row = (
        deck.title,
        deck.description,
        str(deck.path),
        item.file_size,
        item.file_mtime_ns,
        item.file_hash,
        int(item.bundled),
        item.rank,
        deck.source.title,
        str(deck.source.path),
        deck.source.text,
    )
    old_deck = conn.execute(
        "SELECT title, description, file, file_size, file_mtime_ns, file_hash, bundled, rank,"
        " source_title, source_path, source_text FROM decks WHERE id = ?",
        (deck.id,),
    ).fetchone()
    result = SyncResult(len(inserts), len(updates), len(retire), len(restore))
    if tuple(old_deck or ()) == deck_row and not result.changed:
        return result
    conn.execute(
        "INSERT INTO decks (id, title, description, file, file_size, file_mtime_ns, file_hash, bundled, rank,"
        " source_title, source_path, source_text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (id) DO UPDATE SET title = excluded.title, description = excluded.description,"
        " file = excluded.file, file_size = excluded.file_size, file_mtime_ns = excluded.file_mtime_ns,"
        " file_hash = excluded.file_hash, bundled = excluded.bundled, rank = excluded.rank,"
        " source_title = excluded.source_title, source_path = excluded.source_path,"
        " source_text = excluded.source_text",
        (deck.id, *deck_row),
    )
    conn.executemany(
        "INSERT INTO cards (deck_id, card_id, ord, kind, position, tags, fields, source, guid)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(*row, note_guid(row[0], row[1])) for row in inserts],
    )
    conn.executemany("UPDATE cards SET kind = ?, position = ?, tags = ?, fields = ?, source = ? WHERE id = ?", updates)
    conn.executemany("UPDATE cards SET retired = 1 WHERE id = ?", retire)
    conn.executemany("UPDATE cards SET retired = 0 WHERE id = ?", restore)
    return result

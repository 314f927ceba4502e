"""The store's decks: what it remembers of each deck file, and keeping its cards in step."""

from __future__ import annotations

from dataclasses import dataclass

from osteo_learn.core.cards import Deck
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


class Decks:
    """``store.decks``: the decks in deck order (bundled first, then added), and their sync."""

    def __init__(self, db: Database):
        self._db = db

    def records(self) -> list[DeckRecord]:
        found = self._db.conn.execute(
            "SELECT id, title, file, file_size, file_mtime_ns, file_hash, bundled, source_title, source_text"
            " FROM decks ORDER BY rank, id"
        ).fetchall()
        return [DeckRecord(*row[:6], bool(row[6]), *row[7:]) for row in found]

    def ids(self) -> list[str]:
        return [row[0] for row in self._db.conn.execute("SELECT id FROM decks ORDER BY rank, id")]

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
        wanted = {}
        for position, card in enumerate(deck.cards):
            tags = " ".join(card.tags)
            fields = rows.fields(card.content)
            for ordinal in card.ordinals():
                wanted[(card.id, ordinal)] = (str(card.kind), position, tags, fields, card.source)
        existing = {
            (card_id, ordinal): (pk, (kind, position, tags, fields, source), retired)
            for pk, card_id, ordinal, kind, position, tags, fields, source, retired in self._db.conn.execute(
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
            file_size,
            file_mtime_ns,
            file_hash,
            int(bundled),
            rank,
            deck.source.title,
            str(deck.source.path),
            deck.source.text,
        )
        old_deck = self._db.conn.execute(
            "SELECT title, description, file, file_size, file_mtime_ns, file_hash, bundled, rank,"
            " source_title, source_path, source_text FROM decks WHERE id = ?",
            (deck.id,),
        ).fetchone()
        result = SyncResult(len(inserts), len(updates), len(retire), len(restore))
        if tuple(old_deck or ()) == deck_row and not result.changed:
            return result
        with self._db.write() as conn:
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
                "INSERT INTO cards (deck_id, card_id, ord, kind, position, tags, fields, source)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                inserts,
            )
            conn.executemany(
                "UPDATE cards SET kind = ?, position = ?, tags = ?, fields = ?, source = ? WHERE id = ?", updates
            )
            conn.executemany("UPDATE cards SET retired = 1 WHERE id = ?", retire)
            conn.executemany("UPDATE cards SET retired = 0 WHERE id = ?", restore)
        return result

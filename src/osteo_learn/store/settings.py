"""The student's settings as stored: only those changed from their defaults."""

from __future__ import annotations

from osteo_learn.core.settings import Settings as Values
from osteo_learn.store.connection import Database


class Settings:
    """``store.settings``: read them all, change or reset one."""

    def __init__(self, db: Database):
        self._db = db

    def stored(self) -> dict[str, str]:
        """The settings changed from their defaults, as stored (text)."""
        return dict(self._db.conn.execute("SELECT key, value FROM settings"))

    def values(self) -> Values:
        """Every setting's value: the stored one, else its default."""
        return Values.from_stored(self.stored())

    def set(self, key: str, value: str | None) -> None:
        """Store a setting's value, or ``None`` to put it back to its default."""
        with self._db.write() as conn:
            if value is None:
                conn.execute("DELETE FROM settings WHERE key = ?", (key,))
            else:
                conn.execute(
                    "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (key, value),
                )

"""The student's settings: names, defaults and checks (stored in the database)."""

from __future__ import annotations

from dataclasses import dataclass

from osteo_learn.core.control import DEFAULT_LEECH_LAPSES
from osteo_learn.core.days import DEFAULT_DAY_START_HOUR
from osteo_learn.errors import OsteoError


@dataclass(frozen=True)
class Setting:
    name: str
    default: int
    low: int
    high: int
    help: str


SETTINGS = {
    s.name: s
    for s in (
        Setting("new-per-day", 20, 0, 9999, "new cards introduced per study day, across all sessions"),
        Setting("reviews-per-day", 200, 0, 99999, "due reviews answered per study day, across all sessions"),
        Setting("day-start-hour", DEFAULT_DAY_START_HOUR, 0, 23, "hour (local time) at which a new study day begins"),
        Setting("leech-lapses", DEFAULT_LEECH_LAPSES, 0, 99, "lapses that make a card a leech, suspended (0: never)"),
    )
}

PER_DECK = ("new-per-day",)
"""Settings a deck may have its own value of (``config new-per-day 10 --deck ID``)."""


def deck_key(name: str, deck_id: str) -> str:
    """How a deck's own value of a setting is stored: ``new-per-day@deck-id``."""
    return f"{name}@{deck_id}"


@dataclass(frozen=True)
class Settings:
    new_per_day: int = SETTINGS["new-per-day"].default
    reviews_per_day: int = SETTINGS["reviews-per-day"].default
    day_start_hour: int = SETTINGS["day-start-hour"].default
    leech_lapses: int = SETTINGS["leech-lapses"].default
    deck_new_per_day: tuple[tuple[str, int], ...] = ()
    """Decks with a new-per-day of their own, as (deck id, limit) pairs."""

    @classmethod
    def from_stored(cls, stored: dict[str, str]) -> Settings:
        """Settings from the stored text values; unknown or broken ones fall back to defaults."""
        values: dict = {}
        for name, setting in SETTINGS.items():
            try:
                values[name.replace("-", "_")] = parse(name, stored[name])
            except (KeyError, OsteoError):
                values[name.replace("-", "_")] = setting.default
        per_deck = []
        for key, text in sorted(stored.items()):
            name, _, deck_id = key.partition("@")
            if deck_id and name in PER_DECK:
                try:
                    per_deck.append((deck_id, parse(name, text)))
                except OsteoError:
                    pass
        return cls(**values, deck_new_per_day=tuple(per_deck))

    def new_per_day_for(self, deck_id: str) -> int | None:
        """A deck's own new-per-day, or ``None`` when only the global limit applies."""
        return dict(self.deck_new_per_day).get(deck_id)

    def value(self, name: str) -> int:
        return getattr(self, name.replace("-", "_"))


def parse(name: str, text: str) -> int:
    """Check a value the student gives for a setting."""
    setting = SETTINGS.get(name)
    if setting is None:
        raise OsteoError(f"unknown setting '{name}' (known: {', '.join(SETTINGS)})")
    try:
        value = int(text)
    except ValueError:
        raise OsteoError(f"{name} must be a whole number, not {text!r}") from None
    if not setting.low <= value <= setting.high:
        raise OsteoError(f"{name} must be from {setting.low} to {setting.high}, not {value}")
    return value

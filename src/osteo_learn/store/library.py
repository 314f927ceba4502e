"""The student's decks: the bundled ones plus those added, kept in step with the store.

Every command that studies or reports opens the store through
:func:`open_library`, which re-reads a deck file only when it changed
(size and modification time, then a hash of its bytes), validates every
changed file, and syncs those that are sound in one write transaction
that checks again, inside it, what still needs writing (another process
may have synced them a moment before). An unchanged deck costs one
``stat`` and writes nothing.

A deck file that cannot be used (missing, unreadable, broken, or now
claiming another deck's id) never locks the student out: it is reported
in one line (file, line, what is wrong) and its cards stay as they were,
while the other decks go on. Only ``add-deck``, which is about that one
file, refuses it with every problem.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from osteo_learn.core import files
from osteo_learn.core.text import shown
from osteo_learn.errors import OsteoError
from osteo_learn.store import Store
from osteo_learn.store.decks import DeckSync, SyncResult
from osteo_learn.system import paths

if TYPE_CHECKING:
    from osteo_learn.core.cards import Deck
    from osteo_learn.store.rows import DeckRecord


@dataclass(frozen=True)
class DeckFile:
    """A deck file to follow; ``deck_id`` is the id it was added as (``None``: bundled, or new)."""

    path: Path
    bundled: bool
    rank: int
    deck_id: str | None = None


@dataclass(frozen=True)
class LoadedDeck:
    deck: Deck
    file: DeckFile
    size: int
    mtime_ns: int
    digest: str

    def sync(self) -> DeckSync:
        return DeckSync(self.deck, self.size, self.mtime_ns, self.digest, self.file.bundled, self.file.rank)


class Unusable(OsteoError):
    """A deck file that cannot be synced now; the message is one line naming it."""


def open_library(db_path: Path | None = None, sync: bool = True) -> tuple[Store, list[str]]:
    """Open the student's database and sync the decks; return it with any warnings."""
    store = Store.open(db_path or paths.default_db_path())
    if not sync:
        return store, []
    with store.failing_cleanly():
        try:
            warnings = sync_decks(store)
        except BaseException:
            store.close()
            raise
    return store, warnings


def deck_files(store: Store) -> list[DeckFile]:
    bundled = [DeckFile(path.resolve(), True, rank) for rank, path in enumerate(paths.bundled_deck_files())]
    added, seen = [], set()
    for record in store.decks.records():
        if record.bundled or not record.file or record.file in seen:
            continue  # removed with remove-deck, or the same file twice
        seen.add(record.file)
        added.append(DeckFile(Path(record.file), False, 1000 + len(added), record.id))
    return bundled + added


def sync_decks(store: Store, files: list[DeckFile] | None = None) -> list[str]:
    """Load every changed deck file and sync those that are sound; return a warning for each other."""
    known = store.decks.records()
    records = {record.file: record for record in known}
    owners = {record.id: record for record in known}
    warnings, changed, claimed = [], [], {}
    for file in files if files is not None else deck_files(store):
        try:
            loaded = _load_if_changed(file, records.get(str(file.path)))
            if loaded is not None:
                _check_id(loaded, owners, claimed)
                changed.append(loaded)
        except Unusable as unusable:
            warnings.append(str(unusable))
    if not changed:
        return warnings
    if store.read_only:
        names = ", ".join(shown(loaded.file.path, 1000) for loaded in changed)
        return [*warnings, f"{names} changed, but the database {store.path} is read-only: its cards are shown as they were"]

    def still_wanted(now: dict[str, DeckRecord]) -> list[DeckSync]:
        wanted, claimed = [], {}
        for loaded in changed:
            record = now.get(loaded.deck.id)
            if loaded.file.deck_id is not None and record is not None and not record.bundled and not record.file:
                continue  # removed with remove-deck a moment ago: no longer followed
            try:
                _check_id(loaded, now, claimed)
            except Unusable as unusable:
                warnings.append(str(unusable))
                continue
            wanted.append(loaded.sync())
        return wanted

    store.decks.apply(still_wanted)
    return warnings


def _load_if_changed(file: DeckFile, record: DeckRecord | None) -> LoadedDeck | None:
    """The deck in ``file`` if it changed since the store last read it; raise :class:`Unusable`."""
    from osteo_learn.core import deck as deck_module

    where = shown(file.path, 1000)
    try:
        stat = file.path.stat()
    except FileNotFoundError:
        raise Unusable(f"deck file {where} is missing; its cards are kept as they were") from None
    except (OSError, ValueError) as error:  # ValueError: a NUL in a name edited into the database
        raise Unusable(f"deck file {where} cannot be read ({files.reason(error)}); its cards are kept as they were") from None
    if record and (record.file_size, record.file_mtime_ns) == (stat.st_size, stat.st_mtime_ns):
        return None
    try:
        data = deck_module.read_bytes(file.path)
        digest = hashlib.sha256(data).hexdigest()
        if record and record.file_hash == digest:
            return None
        deck = deck_module.parse(deck_module.decode(data, file.path), file.path)
    except deck_module.DeckError as error:
        first, more = error.problems[0], len(error.problems) - 1
        also = f" (and {more} more problem{'s' if more != 1 else ''})" if more else ""
        raise Unusable(
            f"{first}{also}; this deck is left as it was until the file is fixed (osteo-learn check {where})"
        ) from None
    return LoadedDeck(deck, file, stat.st_size, stat.st_mtime_ns, digest)


def add_deck(store: Store, path: Path) -> tuple[Deck, SyncResult]:
    """Validate a deck file and add it to the student's decks (or refresh it, or add it again after remove-deck)."""
    from osteo_learn.core import deck as deck_module

    path = path.resolve()
    data = deck_module.read_bytes(path)
    deck = deck_module.parse(deck_module.decode(data, path), path)
    stat = path.stat()
    digest = hashlib.sha256(data).hexdigest()
    with store.failing_cleanly():

        def still_wanted(now: dict[str, DeckRecord]) -> list[DeckSync]:
            records = list(now.values())
            same_file = next((r for r in records if r.file == str(path)), None)
            rank = 1000 + len([r for r in records if not r.bundled and r.file and r.file != str(path)])
            file = DeckFile(path, same_file.bundled if same_file else False, rank)
            loaded = LoadedDeck(deck, file, stat.st_size, stat.st_mtime_ns, digest)
            try:
                _check_id(loaded, now)
            except Unusable as unusable:
                raise OsteoError(str(unusable)) from None
            return [loaded.sync()]

        [(_, result)] = store.decks.apply(still_wanted)
    return deck, result


def _check_id(loaded: LoadedDeck, owners: dict[str, DeckRecord], claimed: dict[str, Path] | None = None) -> None:
    """Refuse a deck whose id belongs to another deck file (in the store, or in
    ``claimed``, the decks synced with it), or a followed file whose id changed;
    else claim its id."""
    deck_id, path = loaded.deck.id, loaded.file.path
    where = shown(path, 1000)
    claimed = {} if claimed is None else claimed
    if claimed.get(deck_id, path) != path:
        raise Unusable(f"{where}: deck id '{shown(deck_id)}' is already used by {shown(claimed[deck_id], 1000)}; give this deck another id")
    if loaded.file.deck_id is not None and loaded.file.deck_id != deck_id:
        old = loaded.file.deck_id
        raise Unusable(
            f"{where}: its deck id is now '{shown(deck_id)}', but it was added as '{shown(old)}'; put the id back, "
            f"or run osteo-learn remove-deck {shown(old)} and add the file again"
        )
    owner = owners.get(deck_id)
    # New, the same file, a deck removed before (added again now), or a
    # bundled deck that moved (another install); an added deck must not take
    # over the id of a different deck file.
    if (
        owner is None
        or owner.file == str(path)
        or (not owner.file and not owner.bundled)
        or (owner.bundled and loaded.file.bundled)
    ):
        claimed[deck_id] = path
        return
    raise Unusable(f"{where}: deck id '{shown(deck_id)}' is already used by {shown(owner.file, 1000)}; give this deck another id")

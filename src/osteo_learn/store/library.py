"""The student's decks: the bundled ones plus those added, kept in step with the store.

Every command that studies or reports opens the store through
:func:`open_library`, which re-reads a deck file only when it changed
(size and modification time, then a hash of its bytes), validates every
changed file before writing anything, and then syncs each deck. An
unchanged deck costs one ``stat`` and writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from osteo_learn.errors import OsteoError
from osteo_learn.store import Store
from osteo_learn.store.decks import SyncResult
from osteo_learn.system import paths

if TYPE_CHECKING:
    from osteo_learn.core.cards import Deck


@dataclass(frozen=True)
class DeckFile:
    path: Path
    bundled: bool
    rank: int


@dataclass(frozen=True)
class LoadedDeck:
    deck: Deck
    file: DeckFile
    size: int
    mtime_ns: int
    digest: str


def open_library(db_path: Path | None = None, sync: bool = True) -> tuple[Store, list[str]]:
    """Open the student's database and sync the decks; return it with any warnings."""
    store = Store.open(db_path or paths.default_db_path())
    if not sync:
        return store, []
    try:
        warnings = sync_decks(store)
    except BaseException:
        store.close()
        raise
    return store, warnings


def deck_files(store: Store) -> list[DeckFile]:
    bundled = [DeckFile(path.resolve(), True, rank) for rank, path in enumerate(paths.bundled_deck_files())]
    added = [
        DeckFile(Path(record.file), False, 1000 + rank)
        for rank, record in enumerate(r for r in store.decks.records() if not r.bundled)
    ]
    return bundled + added


def sync_decks(store: Store, files: list[DeckFile] | None = None) -> list[str]:
    """Load every changed deck file and sync it; all are validated before any is written."""
    records = {record.file: record for record in store.decks.records()}
    warnings, changed = [], []
    for file in files if files is not None else deck_files(store):
        try:
            stat = file.path.stat()
        except OSError:
            if file.bundled:
                raise OsteoError(f"the bundled deck {file.path} cannot be read") from None
            warnings.append(f"deck file {file.path} is missing; its cards are kept as they were")
            continue
        record = records.get(str(file.path))
        if record and (record.file_size, record.file_mtime_ns) == (stat.st_size, stat.st_mtime_ns):
            continue
        # Only a changed file needs hashing and parsing: import those tools here.
        import hashlib

        from osteo_learn.core import deck as deck_module

        data = file.path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        if record and record.file_hash == digest:
            continue
        deck = deck_module.parse(deck_module.decode(data, file.path), file.path)
        changed.append(LoadedDeck(deck, file, stat.st_size, stat.st_mtime_ns, digest))
    _refuse_duplicate_ids(store, changed)
    for loaded in changed:
        _sync(store, loaded)
    return warnings


def add_deck(store: Store, path: Path) -> tuple[Deck, SyncResult]:
    """Validate a deck file and add it to the student's decks (or refresh it)."""
    import hashlib

    from osteo_learn.core import deck as deck_module

    path = path.resolve()
    data = deck_module.read_bytes(path)
    deck = deck_module.parse(deck_module.decode(data, path), path)
    stat = path.stat()
    records = store.decks.records()
    same_file = next((r for r in records if r.file == str(path)), None)
    rank = 1000 + len([r for r in records if not r.bundled and r.file != str(path)])
    file = DeckFile(path, same_file.bundled if same_file else False, rank)
    loaded = LoadedDeck(deck, file, stat.st_size, stat.st_mtime_ns, hashlib.sha256(data).hexdigest())
    _refuse_duplicate_ids(store, [loaded])
    return deck, _sync(store, loaded)


def _sync(store: Store, loaded: LoadedDeck) -> SyncResult:
    return store.decks.sync(
        loaded.deck,
        file_size=loaded.size,
        file_mtime_ns=loaded.mtime_ns,
        file_hash=loaded.digest,
        bundled=loaded.file.bundled,
        rank=loaded.file.rank,
    )


def _refuse_duplicate_ids(store: Store, loaded: list[LoadedDeck]) -> None:
    owners = {record.id: record for record in store.decks.records()}
    seen: dict[str, Path] = {}
    for item in loaded:
        deck_id, path = item.deck.id, item.file.path
        if deck_id in seen:
            raise OsteoError(f"{path}: deck id '{deck_id}' is already used by {seen[deck_id]}")
        seen[deck_id] = path
        owner = owners.get(deck_id)
        # A bundled deck may move (another install); an added one must not
        # take over the id of a different deck file.
        if owner and owner.file != str(path) and not (owner.bundled and item.file.bundled):
            raise OsteoError(
                f"{path}: deck id '{deck_id}' is already used by {owner.file}; give this deck another id"
            )


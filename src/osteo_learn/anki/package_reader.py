"""Reading a package a student exported from Anki: a deck ``.apkg`` or a whole-collection ``.colpkg``.

Both are zip files of one layout (Anki 26.09, ``rslib/src/import_export/package/``):

- ``meta``: a protobuf ``PackageMetadata`` holding one varint, field 1, the
  package version. Packages older than Anki 2.1.50 have no ``meta``; then
  the version is 2 when a ``collection.anki21`` is present, else 1.
- the collection, an SQLite file, by version: 1 ``collection.anki2``
  (schema 11); 2 ``collection.anki21`` (schema 11, "Support older Anki
  versions"); 3 ``collection.anki21b``, zstd-compressed (schema 18, the
  default of current desktop Anki and AnkiDroid). Versions 2 and 3 also
  carry a stub ``collection.anki2`` holding one note that asks the student
  to update Anki: it is never read here. A version Anki does not know (0,
  or above 3) means a newer Anki, which Anki itself refuses as "too new".
- ``media``: the media map. Versions 1 and 2: JSON ``{"0": "name.jpg"}``;
  version 3: a zstd-compressed protobuf ``MediaEntries`` (name, size,
  SHA-1), whose n-th entry is in the zip entry named ``n``, itself
  zstd-compressed. Old AnkiDroid packages may lack the map.

Nothing in the file says whether it is a deck or a whole collection: Anki
writes both with the same function and tells them apart by the *file name*
(``qt/aqt/import_export/importing.py``: ``.colpkg``, ``collection.apkg`` or
``backup-*.apkg`` replace the collection). The content differs in one way
that holds for every exporter Anki has had: a deck export is written into a
brand-new collection whose stock note types are deleted before the
exported ones are copied in, so its current note type (config
``curModel``) names a note type the file does not hold; a whole
collection's current note type always exists (removing a note type makes
another one current). :attr:`Package.kind` follows that rule; anything
else is taken for a deck export, so that ``export --onto`` refuses it.

The collection is inflated as a stream into a temporary folder (never
beside the input), stopping past ``max_bytes`` or the folder's free space,
and opened read-only with Anki's ``unicase`` collation, which indexes of a
schema-18 collection need (without it even ``PRAGMA quick_check`` fails).
Every bad file raises one :class:`PackageError` saying what is wrong and
what to do; the temporary folder is always removed.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import BinaryIO, Literal

import zstandard

from osteo_learn.anki.protobuf import protobuf_fields
from osteo_learn.errors import OsteoError

MAX_BYTES = 1 << 30  # the most a collection or a media file may unpack to
MEDIA_MAP_MAX = 64 << 20  # the media list is read into memory: a few MB for 100,000 files
NEWEST_SCHEMA = 18  # Anki 2.1.50 onwards; Anki opens 11 and 14-18
COLLECTIONS = {1: "collection.anki2", 2: "collection.anki21", 3: "collection.anki21b"}
STUB = "collection.anki2"  # in versions 2 and 3, a placeholder for old clients
OLDER_VERSIONS = 'tick "Support older Anki versions" in Anki\'s export dialog and export again'
EXPORT_AGAIN = "export it from Anki again (desktop: File > Export; AnkiDroid: menu > Export)"

_CHUNK = 1 << 20
_SQLITE_MAGIC = b"SQLite format 3\x00"
_OSTEO_APPLICATION_ID = (0x4F53544C).to_bytes(4, "big")  # osteo_learn.schema.APPLICATION_ID
_META_MAX = 1024  # Anki's is two bytes


class PackageError(OsteoError):
    """The file cannot be read as an Anki package; nothing was written anywhere."""


@dataclass(frozen=True)
class MediaFile:
    """A media file of the package: its name in Anki's media folder and the zip entry holding it.

    ``size`` and ``sha1`` come from a version-3 map; older maps give names only.
    """

    name: str
    entry: str
    size: int | None = None
    sha1: bytes | None = None


@dataclass
class Package:
    """An opened package (see :func:`open_package`)."""

    path: Path
    kind: Literal["apkg", "colpkg"]
    version: int  # 1, 2 or 3
    schema: int  # the collection's ``col.ver``: 11 or 14-18
    conn: sqlite3.Connection  # read-only, unicase collation registered
    collection_path: Path  # the unpacked collection, in the temporary folder
    collection_entry: str  # its name in the zip
    entries: tuple[str, ...]  # every entry of the zip, in the zip's order
    max_bytes: int
    _archive: zipfile.ZipFile = field(repr=False)

    @property
    def stub(self) -> str | None:
        """The placeholder collection of versions 2 and 3, never read: copy it as it is."""
        return STUB if self.version > 1 and STUB in self.entries else None

    @property
    def zstd(self) -> bool:
        """Version 3: the collection, media map and media files are zstd-compressed."""
        return self.version == 3

    @cached_property
    def media(self) -> tuple[MediaFile, ...]:
        """The media map, read on first use."""
        if "media" not in self.entries:
            return ()
        data = _read_all(self, "media", self.zstd)
        try:
            if self.zstd:
                return tuple(_media_entries(data))
            names = json.loads(data)
            return tuple(MediaFile(str(name), str(entry)) for entry, name in names.items())
        except (ValueError, AttributeError, TypeError):
            raise PackageError(f"{self.path} is damaged: its media list cannot be read; {EXPORT_AGAIN}") from None

    def copy_entry(self, name: str, out: BinaryIO) -> int:
        """Copy a zip entry's content as stored (a version-3 entry stays zstd-compressed),
        e.g. the stub ``collection.anki2`` into a rewritten package; return its size."""
        return _copy(self, name, out, zstd=False)

    def copy_media(self, media: MediaFile, out: BinaryIO) -> int:
        """Copy a media file's bytes, decompressed; return how many."""
        return _copy(self, media.entry, out, zstd=self.zstd)

    def config(self) -> dict:
        """The collection's configuration (``curModel``, ``rollover``, ``creationOffset``...)."""
        return _config(self.conn, self.schema)

    def notetype_ids(self) -> set[int]:
        return _notetype_ids(self.conn, self.schema)

    def notetype_originals(self) -> dict[int, int]:
        """Note types that are copies Anki made of another (importing a note type
        whose fields differ from the one of its id): copy's id -> original's id."""
        return _notetype_originals(self.conn, self.schema)


@contextmanager
def open_package(
    path: Path | str,
    *,
    max_bytes: int | None = None,
    temp_dir: Path | str | None = None,
    beside: Path | None = None,
    check: bool = True,
) -> Iterator[Package]:
    """Open the Anki package at ``path``: its collection unpacked into a temporary
    folder (a scratch folder beside ``beside`` where that folder can be written
    to, else in ``temp_dir``, else the system's), removed on leaving. A scratch folder (:mod:`osteo_learn.system.scratch`)
    is also removed on SIGTERM or SIGHUP, and the next sweep of its folder
    removes one a killed process left.

    Raises :class:`PackageError` for a file that is not a package Anki wrote
    or that osteo-learn cannot read, and before unpacking more than
    ``max_bytes`` (default :data:`MAX_BYTES`, read when called) or more than the
    temporary folder's free space. ``check`` runs SQLite's ``quick_check`` over
    the whole collection first (a reader that reads only part of it may leave
    that to SQLite, which checks every page it reads).
    """
    path = Path(path)
    max_bytes = MAX_BYTES if max_bytes is None else max_bytes
    archive = _open_zip(path)
    try:
        folder = None
        if beside is not None:
            from osteo_learn.system import scratch

            try:
                folder = scratch.folder(beside)
            except OSError:
                pass  # a folder that cannot be written to (a read-only database): the system's
        if folder is None:
            folder = tempfile.TemporaryDirectory(prefix="osteo-learn-package-", dir=temp_dir)
        with folder as work:
            package = _unpack(path, archive, Path(work), max_bytes, check)
            try:
                yield package
            finally:
                package.conn.close()
    finally:
        archive.close()


# -- the zip and its meta -----------------------------------------------------


def _open_zip(path: Path) -> zipfile.ZipFile:
    from osteo_learn.core import files

    try:
        if path.is_dir():
            raise IsADirectoryError
        # A regular file only, opened without blocking (a FIFO would wait for ever).
        head = files.read_start(path, 100, "package exported from Anki") or b""
    except IsADirectoryError:
        raise PackageError(f"{path} is a folder; give the .colpkg or .apkg file exported from Anki") from None
    except OSError as error:
        raise PackageError(f"cannot read {path}: {error.strerror or error}") from None
    except files.FileRefused as refused:
        if refused.missing:
            raise PackageError(f"{path} does not exist; give the .colpkg or .apkg file exported from Anki") from None
        raise PackageError(f"{path} {refused}") from None
    try:
        return zipfile.ZipFile(path)
    except IsADirectoryError:
        raise PackageError(f"{path} is a folder; give the .colpkg or .apkg file exported from Anki") from None
    except FileNotFoundError:
        raise PackageError(f"{path} does not exist; give the .colpkg or .apkg file exported from Anki") from None
    except OSError as error:
        raise PackageError(f"cannot read {path}: {error.strerror or error}") from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError):
        pass
    if head.startswith(b"PK\x03\x04"):
        raise PackageError(
            f"{path} is incomplete: the zip file ends before its table of contents"
            f" (the copy was probably cut short); copy it again, or {EXPORT_AGAIN}"
        )
    if head.startswith(_SQLITE_MAGIC) and head[68:72] == _OSTEO_APPLICATION_ID:
        raise PackageError(f"{path} is an osteo-learn database, not a file exported from Anki; {EXPORT_AGAIN}")
    raise PackageError(f"{path} is not an Anki package (it is not a zip file); {EXPORT_AGAIN}")


def _version(path: Path, archive: zipfile.ZipFile, names: set[str]) -> int:
    if "meta" not in names:
        return 2 if COLLECTIONS[2] in names else 1
    with _entry(path, archive, "meta") as stream:
        data = _guarded(path, "meta", lambda: stream.read(_META_MAX + 1))
    version = 0  # a missing field is proto3's default: "unknown"
    try:
        if len(data) > _META_MAX:
            raise ValueError
        for number, wire, value in protobuf_fields(data):
            if number == 1:
                if wire != 0:
                    raise ValueError
                version = value
    except ValueError:
        raise PackageError(f"{path} is damaged: its meta entry cannot be read; {EXPORT_AGAIN}") from None
    if version not in COLLECTIONS:
        raise PackageError(
            f"{path} was written by a newer Anki (package version {version}; osteo-learn reads 1 to 3): {OLDER_VERSIONS}"
        )
    return version


def _media_entries(data: bytes) -> Iterator[MediaFile]:
    """A version-3 ``MediaEntries``: the n-th entry's file is in the zip entry ``n``."""
    index = 0
    for number, wire, value in protobuf_fields(data):
        if number != 1 or wire != 2:
            continue
        name, size, sha1 = "", 0, b""
        for inner, inner_wire, inner_value in protobuf_fields(value):
            if inner == 1 and inner_wire == 2:
                name = inner_value.decode()
            elif inner == 2 and inner_wire == 0:
                size = inner_value
            elif inner == 3 and inner_wire == 2:
                sha1 = inner_value
        yield MediaFile(name, str(index), size, sha1)
        index += 1


# -- unpacking ------------------------------------------------------------------


def _unpack(path: Path, archive: zipfile.ZipFile, work: Path, max_bytes: int, check: bool) -> Package:
    entries = tuple(info.filename for info in archive.infolist())
    names = set(entries)
    version = _version(path, archive, names)
    entry = COLLECTIONS[version]
    if entry not in names:
        _no_collection(path, archive, names, version)
    target = work / "collection.sqlite"
    with target.open("wb") as out:
        _stream(path, archive, entry, out, zstd=version == 3, max_bytes=max_bytes, folder=work)
    conn = _connect(path, entry, target)
    try:
        schema = _check_collection(path, entry, conn, check)
        kind = _kind(conn, schema)
    except BaseException:
        conn.close()
        raise
    return Package(path, kind, version, schema, conn, target, entry, entries, max_bytes, archive)


def _no_collection(path: Path, archive: zipfile.ZipFile, names: set[str], version: int):
    """Say why a zip without the collection its version needs is not a package."""
    if names & set(COLLECTIONS.values()):
        raise PackageError(f"{path} is damaged: its meta says version {version}, but {COLLECTIONS[version]} is missing; {EXPORT_AGAIN}")
    for info in archive.infolist():
        with _entry(path, archive, info.filename) as stream:
            head = _guarded(path, info.filename, lambda: stream.read(100))
        if head.startswith(_SQLITE_MAGIC) and head[68:72] == _OSTEO_APPLICATION_ID:
            raise PackageError(
                f"{path} holds an osteo-learn database ({info.filename}), not a file exported from Anki; {EXPORT_AGAIN}"
            )
    raise PackageError(f"{path} is a zip file but not an Anki package: it holds no Anki collection; {EXPORT_AGAIN}")


@contextmanager
def _entry(path: Path, archive: zipfile.ZipFile, name: str):
    try:
        stream = archive.open(name)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, EOFError, ValueError) as error:
        raise PackageError(f"{path} is damaged: {name} cannot be opened ({error}); copy it again, or {EXPORT_AGAIN}") from None
    with stream:
        yield stream


def _guarded(path: Path, name: str, read):
    """Run ``read`` on a zip entry, turning damage into one PackageError."""
    try:
        return read()
    except (zipfile.BadZipFile, zlib.error, EOFError, zstandard.ZstdError) as error:
        detail = str(error).replace(f" for file {name!r}", "").replace(f" for file '{name}'", "")
        raise PackageError(f"{path} is damaged: {name} fails its integrity check ({detail}); copy it again, or {EXPORT_AGAIN}") from None


def _stream(path: Path, archive: zipfile.ZipFile, name: str, out: BinaryIO, *, zstd: bool, max_bytes: int, folder: Path) -> int:
    """Inflate the entry ``name`` into ``out`` (a file in ``folder``), stopping past
    ``max_bytes`` or the folder's free space; return how many bytes."""
    free = shutil.disk_usage(folder).free
    limit = min(max_bytes, free)
    written = 0
    with _entry(path, archive, name) as raw:
        source = zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True, closefd=False) if zstd else raw

        def copy() -> int:
            nonlocal written
            while chunk := source.read(_CHUNK):
                written += len(chunk)
                if written > limit:
                    return written
                out.write(chunk)
            return written

        try:
            _guarded(path, name, copy)
        except OSError as error:
            raise PackageError(f"cannot unpack {name} of {path} into the temporary folder {folder.parent}: {error.strerror or error}") from None
    if written > max_bytes:
        raise PackageError(
            f"{path}: {name} unpacks to more than {_size(max_bytes)}, the most osteo-learn unpacks;"
            " it is damaged or not a package Anki wrote"
        )
    if written > free:
        raise PackageError(
            f"{path}: not enough free space in the temporary folder {folder.parent} to unpack {name}"
            f" ({_size(free)} free); free some space, or set TMPDIR to a folder with more"
        )
    return written


def _read_all(package: Package, name: str, zstd: bool) -> bytes:
    import io

    buffer = io.BytesIO()
    _copy(package, name, buffer, zstd=zstd, max_bytes=min(package.max_bytes, MEDIA_MAP_MAX))
    return buffer.getvalue()


def _copy(package: Package, name: str, out: BinaryIO, *, zstd: bool, max_bytes: int | None = None) -> int:
    if name not in package.entries:
        raise PackageError(f"{package.path} is damaged: it lists {name}, which it does not hold; {EXPORT_AGAIN}")
    limit = package.max_bytes if max_bytes is None else max_bytes
    folder = package.collection_path.parent
    return _stream(package.path, package._archive, name, out, zstd=zstd, max_bytes=limit, folder=folder)


def _size(n: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            value = n / scale
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{n} bytes"


# -- the collection -------------------------------------------------------------


def unicase(a: str, b: str) -> int:
    """Anki's ``unicase`` collation: Unicode case-insensitive order (the Rust
    ``unicase`` crate compares full case foldings, as ``str.casefold`` gives)."""
    a, b = a.casefold(), b.casefold()
    return (a > b) - (a < b)


def _connect(path: Path, entry: str, target: Path) -> sqlite3.Connection:
    with target.open("rb") as file:
        head = file.read(100)
    if not head.startswith(_SQLITE_MAGIC):
        raise PackageError(f"{path} is damaged: {entry} is not a database; {EXPORT_AGAIN}")
    if head[68:72] == _OSTEO_APPLICATION_ID:
        raise PackageError(f"{path} holds an osteo-learn database ({entry}), not a file exported from Anki; {EXPORT_AGAIN}")
    # immutable: the file is ours and never changes; SQLite then takes no
    # locks and makes no -wal or -shm file, even for a WAL-mode collection.
    conn = sqlite3.connect(f"{target.absolute().as_uri()}?mode=ro&immutable=1", uri=True)
    conn.create_collation("unicase", unicase)
    return conn


def _check_collection(path: Path, entry: str, conn: sqlite3.Connection, check: bool = True) -> int:
    try:
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not {"col", "notes", "cards", "revlog"} <= tables:
            raise PackageError(
                f"{path} is not an Anki export: its {entry} is an SQLite database but not an Anki collection; {EXPORT_AGAIN}"
            )
        schema = conn.execute("SELECT ver FROM col").fetchone()[0]
        if schema > NEWEST_SCHEMA:
            raise PackageError(
                f"{path} holds a collection of schema {schema}, newer than {NEWEST_SCHEMA}"
                f" (the newest osteo-learn reads): it comes from a newer Anki; {OLDER_VERSIONS}"
            )
        if schema < 11 or schema in (12, 13):
            raise PackageError(f"{path} holds a collection of schema {schema}, which no current Anki opens; {EXPORT_AGAIN}")
        (verdict,) = conn.execute("PRAGMA quick_check(1)").fetchone() if check else ("ok",)
        if verdict != "ok":
            detail = " ".join(verdict.replace("***", "").split())
            raise PackageError(f"{path} is damaged: its collection fails SQLite's check ({detail}); {EXPORT_AGAIN}")
        return schema
    except (sqlite3.DatabaseError, TypeError) as error:
        raise PackageError(f"{path} is damaged: its collection cannot be read ({error}); {EXPORT_AGAIN}") from None


def _kind(conn: sqlite3.Connection, schema: int) -> Literal["apkg", "colpkg"]:
    """A whole collection names a note type it holds as the current one; a deck export does not."""
    try:
        current = int(_config(conn, schema).get("curModel"))
    except (TypeError, ValueError):
        return "apkg"
    return "colpkg" if current in _notetype_ids(conn, schema) else "apkg"


def _config(conn: sqlite3.Connection, schema: int) -> dict:
    if schema >= 14:
        return {key: json.loads(value) for key, value in conn.execute("SELECT key, val FROM config")}
    return json.loads(conn.execute("SELECT conf FROM col").fetchone()[0])


def _notetype_ids(conn: sqlite3.Connection, schema: int) -> set[int]:
    if schema >= 15:
        return {nid for (nid,) in conn.execute("SELECT id FROM notetypes")}
    return {int(key) for key in json.loads(conn.execute("SELECT models FROM col").fetchone()[0])}


def _notetype_originals(conn: sqlite3.Connection, schema: int) -> dict[int, int]:
    found = {}
    if schema >= 15:
        # Notetype.Config, field 10: original_id (proto/anki/notetypes.proto).
        for notetype_id, config in conn.execute("SELECT id, config FROM notetypes"):
            try:
                fields = protobuf_fields(bytes(config))
                original = next((value for number, wire, value in fields if number == 10 and wire == 0), None)
            except (ValueError, TypeError):
                continue
            if original:
                found[notetype_id] = original
        return found
    for key, notetype in json.loads(conn.execute("SELECT models FROM col").fetchone()[0] or "{}").items():
        if isinstance(notetype, dict) and isinstance(notetype.get("originalId"), int):
            found[int(key)] = notetype["originalId"]
    return found

"""Reading Anki's packages: every format the real Anki writes, read back and compared
with the collection it came from; each bad file, its one message."""

from __future__ import annotations

import io
import os
import shutil
import sqlite3
import zipfile
from pathlib import Path

import pytest
import zstandard
from anki.collection import Collection, DeckIdLimit, ExportAnkiPackageOptions
from anki.scheduler.v3 import CardAnswer

from osteo_learn.anki import export
from osteo_learn.store import library
from osteo_learn.anki import package_reader
from osteo_learn.anki.package_reader import PackageError, open_package

PICTURE = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
EXPORT_AGAIN = "export it from Anki again (desktop: File > Export; AnkiDroid: menu > Export)"
OLDER_VERSIONS = 'tick "Support older Anki versions" in Anki\'s export dialog and export again'


# -- packages written by the real Anki ---------------------------------------------


def study(col: Collection, deck_id: int, answers: int) -> None:
    """Answer ``answers`` queued cards of a deck with Good, through the v3 scheduler."""
    col.decks.select(deck_id)
    for _ in range(answers):
        queued = col.sched.get_queued_cards().cards[0]
        card = col.get_card(queued.card.id)
        card.start_timer()
        answer = col.sched.build_answer(card=card, states=queued.states, rating=CardAnswer.GOOD)
        answer.milliseconds_taken = 3000
        col.sched.answer_card(answer)


def snapshot(conn: sqlite3.Connection, guids: set[str] | None = None) -> dict:
    """Notes, cards and review log of a collection, by note GUID and card ordinal."""
    notes = {
        guid: (flds, tags.split())
        for guid, flds, tags in conn.execute("SELECT guid, flds, tags FROM notes")
        if guids is None or guid in guids
    }
    cards = {
        (guid, row[0]): row[1:]
        for guid, *row in conn.execute(
            "SELECT n.guid, c.ord, c.id, c.did, c.type, c.queue, c.due, c.ivl, c.factor, c.reps, c.lapses, c.left"
            " FROM cards AS c JOIN notes AS n ON n.id = c.nid"
        )
        if guid in notes
    }
    card_ids = {row[0] for row in cards.values()}
    revlog = sorted(
        row
        for row in conn.execute("SELECT id, cid, ease, ivl, lastIvl, factor, time, type FROM revlog")
        if row[1] in card_ids
    )
    return {"notes": notes, "cards": cards, "revlog": revlog}


def repackage_as_version_1(source: Path, target: Path) -> Path:
    """A version-2 package as Anki before 2.1.50 (and Anki 2.0) wrote it: the
    schema-11 collection as ``collection.anki2``, no ``meta``, no stub.

    Anki 26.09 writes no version-1 package; this is the format its importer
    still reads (``Meta::from_archive``: no meta and no collection.anki21)."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            if info.filename in ("meta", "collection.anki2"):
                continue
            name = "collection.anki2" if info.filename == "collection.anki21" else info.filename
            new.writestr(name, old.read(info.filename))
    return target


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> dict:
    """A collection with two decks, answers and a picture, exported in every format
    Anki writes; with what each package should hold."""
    folder = tmp_path_factory.mktemp("anki")
    col = Collection(str(folder / "collection.anki2"))
    basic = col.models.by_name("Basic")
    phone_deck = col.decks.id("Phone deck")
    other_deck = col.decks.id("Other")
    picture = col.media.write_data("picture.png", PICTURE)
    for n in range(4):
        note = col.new_note(basic)
        note["Front"] = f"Question {n} <img src=\"{picture}\">" if n == 0 else f"Question {n}"
        note["Back"] = f"Answer {n}"
        note.tags = ["greek", "ünïcode"]
        col.add_note(note, phone_deck)
    other = col.new_note(basic)
    other["Front"], other["Back"] = "Elsewhere", "Yes"
    col.add_note(other, other_deck)
    study(col, phone_deck, 3)
    study(col, other_deck, 1)
    deck_guids = set(col.db.list("SELECT guid FROM notes WHERE id IN (SELECT nid FROM cards WHERE did = ?)", phone_deck))
    whole = snapshot_of_file(col)

    paths: dict[str, Path] = {}
    for legacy, version in ((False, 3), (True, 2)):
        for name, limit in (("apkg", DeckIdLimit(deck_id=phone_deck)), ("all-decks apkg", None)):
            path = folder / f"{name.replace(' ', '-')}-v{version}.apkg"
            options = ExportAnkiPackageOptions(with_scheduling=True, with_deck_configs=True, with_media=True, legacy=legacy)
            col.export_anki_package(out_path=str(path), options=options, limit=limit)
            paths[f"{name} v{version}"] = path
    for legacy, version in ((False, 3), (True, 2)):
        path = folder / f"collection-v{version}.colpkg"
        col.export_collection_package(str(path), include_media=True, legacy=legacy)
        col.reopen()
        paths[f"colpkg v{version}"] = path
    col.close()
    paths["apkg v1"] = repackage_as_version_1(paths["apkg v2"], folder / "deck-v1.apkg")
    # Anki's legacy Python exporter (2.1.50 to 23.10) wrote version 2 without meta.
    paths["apkg v2 without meta"] = rewrite(paths["apkg v2"], folder / "deck-v2-no-meta.apkg", {"meta": None})
    paths["colpkg v1"] = repackage_as_version_1(paths["colpkg v2"], folder / "collection.apkg")
    return {"paths": paths, "whole": whole, "deck": snapshot_subset(whole, deck_guids)}


def snapshot_of_file(col: Collection) -> dict:
    """The collection's snapshot, read from its file with sqlite3 while Anki has it closed."""
    col.close()
    conn = sqlite3.connect(col.path)
    conn.create_collation("unicase", package_reader.unicase)
    try:
        return snapshot(conn)
    finally:
        conn.close()
        col.reopen()


def snapshot_subset(whole: dict, guids: set[str]) -> dict:
    notes = {g: v for g, v in whole["notes"].items() if g in guids}
    cards = {k: v for k, v in whole["cards"].items() if k[0] in guids}
    ids = {v[0] for v in cards.values()}
    return {"notes": notes, "cards": cards, "revlog": [row for row in whole["revlog"] if row[1] in ids]}


FORMATS = [
    # (package, kind, version, schema, collection entry, what it holds)
    ("apkg v1", "apkg", 1, 11, "collection.anki2", "deck"),
    ("apkg v2", "apkg", 2, 11, "collection.anki21", "deck"),
    ("apkg v2 without meta", "apkg", 2, 11, "collection.anki21", "deck"),
    ("apkg v3", "apkg", 3, 18, "collection.anki21b", "deck"),
    ("all-decks apkg v2", "apkg", 2, 11, "collection.anki21", "whole"),
    ("all-decks apkg v3", "apkg", 3, 18, "collection.anki21b", "whole"),
    ("colpkg v1", "colpkg", 1, 11, "collection.anki2", "whole"),
    ("colpkg v2", "colpkg", 2, 11, "collection.anki21", "whole"),
    ("colpkg v3", "colpkg", 3, 18, "collection.anki21b", "whole"),
]


@pytest.mark.parametrize(("name", "kind", "version", "schema", "entry", "holds"), FORMATS, ids=[f[0] for f in FORMATS])
def test_every_format_anki_writes_reads_back_its_notes_cards_and_review_log(made, name, kind, version, schema, entry, holds):
    with open_package(made["paths"][name]) as package:
        assert (package.kind, package.version, package.schema, package.collection_entry) == (kind, version, schema, entry)
        assert snapshot(package.conn) == made[holds]
        assert package.conn.execute("PRAGMA quick_check").fetchone() == ("ok",)
        stub = ["collection.anki2"] if version > 1 else []
        meta = ["meta"] if version > 1 and "without meta" not in name else []
        assert sorted(package.entries) == sorted(["media", "0", entry, *stub, *meta])


def test_the_deck_and_the_whole_collection_are_told_apart_by_content_not_by_name(made, tmp_path):
    # A deck export named like a collection, and a collection named like a deck.
    deck = shutil.copy(made["paths"]["all-decks apkg v3"], tmp_path / "collection.colpkg")
    whole = shutil.copy(made["paths"]["colpkg v3"], tmp_path / "deck.apkg")
    with open_package(deck) as package:
        assert package.kind == "apkg"
        # A deck export's current note type is one the export deleted.
        assert int(package.config()["curModel"]) not in package.notetype_ids()
    with open_package(whole) as package:
        assert package.kind == "colpkg"
        assert int(package.config()["curModel"]) in package.notetype_ids()


def test_osteo_learns_own_export_reads_as_a_version_1_deck_package(tmp_path):
    store, _ = library.open_library(tmp_path / "study.db")
    with store:
        summary = export.export_from_store(store, tmp_path / "out.apkg", timestamp=1_700_000_000.0)
    with open_package(tmp_path / "out.apkg") as package:
        assert (package.kind, package.version, package.schema) == ("apkg", 1, 11)
        assert package.conn.execute("SELECT count(*) FROM cards").fetchone() == (summary.card_total,)
        assert package.media == ()


@pytest.mark.parametrize("name", ["apkg v1", "apkg v2", "apkg v3", "colpkg v3"])
def test_media_files_read_back_by_name_with_their_bytes(made, name):
    with open_package(made["paths"][name]) as package:
        (media,) = package.media
        out = io.BytesIO()
        assert package.copy_media(media, out) == len(PICTURE)
    assert media.name == "picture.png" and media.entry == "0"
    assert out.getvalue() == PICTURE
    if name.endswith("v3"):  # the version-3 map has the size and SHA-1
        import hashlib

        assert (media.size, media.sha1) == (len(PICTURE), hashlib.sha1(PICTURE).digest())


def test_the_stub_collection_of_versions_2_and_3_is_never_read(made, tmp_path):
    for name in ("apkg v2", "colpkg v3"):
        path = rewrite(made["paths"][name], tmp_path / f"{name}.zip", {"collection.anki2": b"not a database"})
        with open_package(path) as package:
            assert snapshot(package.conn)["notes"]
            assert package.stub == "collection.anki2"
            stub = io.BytesIO()
            package.copy_entry(package.stub, stub)
            assert stub.getvalue() == b"not a database"


def test_a_version_3_collection_needs_the_unicase_collation(made, tmp_path):
    with open_package(made["paths"]["colpkg v3"]) as package:
        bare = sqlite3.connect(package.collection_path)
        with pytest.raises(sqlite3.OperationalError, match="no such collation sequence: unicase"):
            bare.execute("PRAGMA quick_check").fetchall()
        bare.close()
        assert package.conn.execute("PRAGMA quick_check").fetchone() == ("ok",)
        # Names sort as Anki sorts them: case-insensitive, Unicode-aware.
        assert package.conn.execute("SELECT 'Maße' = 'MASSE' COLLATE unicase, 'a' < 'B' COLLATE unicase").fetchone() == (1, 1)


def test_unicase_compares_full_unicode_case_foldings():
    assert package_reader.unicase("Maße", "MASSE") == 0
    assert package_reader.unicase("ÉCOLE", "école") == 0
    assert package_reader.unicase("a", "B") == -1
    assert package_reader.unicase("b", "A") == 1
    assert package_reader.unicase("a", "AA") == -1


def test_the_collection_is_opened_read_only(made):
    with open_package(made["paths"]["colpkg v3"]) as package:
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            package.conn.execute("DELETE FROM revlog")


def test_nothing_is_written_beside_the_input_and_the_temporary_folder_is_removed(made, tmp_path):
    folder, temp = tmp_path / "in", tmp_path / "tmp"
    folder.mkdir()
    temp.mkdir()
    good = Path(shutil.copy(made["paths"]["colpkg v3"], folder))
    bad = folder / "bad.apkg"
    bad.write_bytes(b"PK\x03\x04 cut short")
    with open_package(good, temp_dir=temp) as package:
        assert package.collection_path.parent.parent == temp
        assert os.listdir(temp)
    with pytest.raises(RuntimeError), open_package(good, temp_dir=temp):
        raise RuntimeError("the caller fails")
    with pytest.raises(PackageError):
        with open_package(bad, temp_dir=temp):
            pass
    with pytest.raises(PackageError):
        with open_package(good, temp_dir=temp, max_bytes=1000):
            pass
    assert sorted(os.listdir(folder)) == ["bad.apkg", good.name]
    assert os.listdir(temp) == []


# -- bad files -----------------------------------------------------------------------


def rewrite(source: Path, target: Path, replace: dict[str, bytes | None]) -> Path:
    """A copy of a package with some entries replaced (None: left out)."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            data = replace.get(info.filename, old.read(info.filename))
            if data is not None:
                new.writestr(info, data)
    return target


def zip_of(target: Path, entries: dict[str, bytes], compression=zipfile.ZIP_STORED) -> Path:
    with zipfile.ZipFile(target, "w", compression) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return target


def error_of(path: Path, **options) -> str:
    with pytest.raises(PackageError) as raised:
        with open_package(path, **options):
            pass
    return str(raised.value)


def collection_bytes(made, name: str) -> bytes:
    """The plain collection file of a package."""
    with open_package(made["paths"][name]) as package:
        return package.collection_path.read_bytes()


def edited_collection(made, name: str, tmp_path: Path, sql: str) -> bytes:
    path = tmp_path / "edited.sqlite"
    path.write_bytes(collection_bytes(made, name))
    conn = sqlite3.connect(path)
    conn.create_collation("unicase", package_reader.unicase)
    conn.execute(sql)
    conn.commit()
    conn.close()
    return path.read_bytes()


def test_a_file_that_is_not_a_zip(tmp_path):
    path = tmp_path / "notes.apkg"
    path.write_text("just some notes\n")
    assert error_of(path) == f"{path} is not an Anki package (it is not a zip file); {EXPORT_AGAIN}"


def test_a_missing_file_and_a_folder(tmp_path):
    assert error_of(tmp_path / "none.colpkg") == (
        f"{tmp_path / 'none.colpkg'} does not exist; give the .colpkg or .apkg file exported from Anki"
    )
    assert error_of(tmp_path) == f"{tmp_path} is a folder; give the .colpkg or .apkg file exported from Anki"


def test_a_truncated_package(made, tmp_path):
    data = made["paths"]["colpkg v3"].read_bytes()
    path = tmp_path / "cut.colpkg"
    path.write_bytes(data[: len(data) // 2])
    assert error_of(path) == (
        f"{path} is incomplete: the zip file ends before its table of contents"
        f" (the copy was probably cut short); copy it again, or {EXPORT_AGAIN}"
    )


def test_a_package_whose_collection_fails_its_crc(tmp_path):
    # osteo-learn's own export stores the collection uncompressed: one byte
    # changed in the middle is caught by the zip's CRC-32 alone.
    store, _ = library.open_library(tmp_path / "study.db")
    with store:
        export.export_from_store(store, tmp_path / "out.apkg", timestamp=1_700_000_000.0)
    data = bytearray((tmp_path / "out.apkg").read_bytes())
    with zipfile.ZipFile(tmp_path / "out.apkg") as archive:
        info = archive.getinfo("collection.anki2")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data[start + info.compress_size // 2] ^= 0xFF
    path = tmp_path / "damaged.apkg"
    path.write_bytes(bytes(data))
    assert error_of(path) == (
        f"{path} is damaged: collection.anki2 fails its integrity check (Bad CRC-32); copy it again, or {EXPORT_AGAIN}"
    )


def test_a_package_whose_zstd_collection_is_damaged(made, tmp_path):
    with zipfile.ZipFile(made["paths"]["colpkg v3"]) as archive:
        compressed = bytearray(archive.read("collection.anki21b"))
    compressed[len(compressed) // 2 :] = bytes(len(compressed) - len(compressed) // 2)
    path = rewrite(made["paths"]["colpkg v3"], tmp_path / "damaged.colpkg", {"collection.anki21b": bytes(compressed)})
    message = error_of(path)
    assert message.startswith(f"{path} is damaged: collection.anki21b fails its integrity check (")
    assert message.endswith(f"); copy it again, or {EXPORT_AGAIN}")


@pytest.mark.parametrize(("meta", "version"), [(b"\x08\x04", 4), (b"\x08\x7f", 127), (b"", 0)])
def test_a_package_from_a_newer_anki_says_to_tick_support_older_versions(made, tmp_path, meta, version):
    path = rewrite(made["paths"]["colpkg v3"], tmp_path / "new.colpkg", {"meta": meta})
    assert error_of(path) == (
        f"{path} was written by a newer Anki (package version {version}; osteo-learn reads 1 to 3): {OLDER_VERSIONS}"
    )


def test_meta_fields_anki_does_not_know_are_skipped(made, tmp_path):
    # Field 2 (a string) before the version, as a later Anki might add.
    path = rewrite(made["paths"]["colpkg v3"], tmp_path / "more.colpkg", {"meta": b"\x12\x03abc\x08\x03"})
    with open_package(path) as package:
        assert package.version == 3


def test_a_meta_entry_that_is_not_protobuf(made, tmp_path):
    path = rewrite(made["paths"]["colpkg v3"], tmp_path / "bad.colpkg", {"meta": b"\x08"})
    assert error_of(path) == f"{path} is damaged: its meta entry cannot be read; {EXPORT_AGAIN}"


def test_meta_naming_a_collection_the_zip_lacks(made, tmp_path):
    path = rewrite(made["paths"]["apkg v2"], tmp_path / "bad.apkg", {"meta": b"\x08\x03"})
    assert error_of(path) == (
        f"{path} is damaged: its meta says version 3, but collection.anki21b is missing; {EXPORT_AGAIN}"
    )


def test_a_collection_schema_newer_than_18(made, tmp_path):
    collection = edited_collection(made, "apkg v2", tmp_path, "UPDATE col SET ver = 19")
    path = rewrite(made["paths"]["apkg v2"], tmp_path / "new.apkg", {"collection.anki21": collection})
    assert error_of(path) == (
        f"{path} holds a collection of schema 19, newer than 18 (the newest osteo-learn reads):"
        f" it comes from a newer Anki; {OLDER_VERSIONS}"
    )


def test_a_foreign_sqlite_file(tmp_path):
    foreign = tmp_path / "foreign.sqlite"
    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT)")
    conn.commit()
    conn.close()
    path = zip_of(tmp_path / "foreign.apkg", {"collection.anki2": foreign.read_bytes(), "media": b"{}"})
    assert error_of(path) == (
        f"{path} is not an Anki export: its collection.anki2 is an SQLite database but not an Anki collection; {EXPORT_AGAIN}"
    )


def test_a_collection_entry_that_is_not_a_database(tmp_path):
    path = zip_of(tmp_path / "text.apkg", {"collection.anki2": b"hello " * 100})
    assert error_of(path) == f"{path} is damaged: collection.anki2 is not a database; {EXPORT_AGAIN}"


def test_a_damaged_database_inside(made, tmp_path):
    collection = bytearray(collection_bytes(made, "apkg v2"))
    page = 4096
    collection[2 * page : 4 * page] = b"\xa5" * (2 * page)  # two b-tree pages overwritten
    path = rewrite(made["paths"]["apkg v2"], tmp_path / "bad.apkg", {"collection.anki21": bytes(collection)})
    message = error_of(path)
    assert message.startswith(f"{path} is damaged: its collection fails SQLite's check (")
    assert message.endswith(f"); {EXPORT_AGAIN}")
    assert "\n" not in message


def test_osteo_learns_own_database_zipped(tmp_path):
    store, _ = library.open_library(tmp_path / "study.db")
    store.close()
    database = (tmp_path / "study.db").read_bytes()
    zipped = zip_of(tmp_path / "study.zip", {"study.db": database}, zipfile.ZIP_DEFLATED)
    assert error_of(zipped) == (
        f"{zipped} holds an osteo-learn database (study.db), not a file exported from Anki; {EXPORT_AGAIN}"
    )
    renamed = zip_of(tmp_path / "study.apkg", {"collection.anki2": database})
    assert error_of(renamed) == (
        f"{renamed} holds an osteo-learn database (collection.anki2), not a file exported from Anki; {EXPORT_AGAIN}"
    )
    assert error_of(tmp_path / "study.db") == (
        f"{tmp_path / 'study.db'} is an osteo-learn database, not a file exported from Anki; {EXPORT_AGAIN}"
    )


def test_a_zip_without_a_collection(tmp_path):
    path = zip_of(tmp_path / "photos.zip", {"readme.txt": b"holiday photos", "media": b"{}"})
    assert error_of(path) == f"{path} is a zip file but not an Anki package: it holds no Anki collection; {EXPORT_AGAIN}"


def test_a_zip_bomb_stops_past_the_cap(tmp_path):
    # 8 MiB of zeros deflate to 8 KiB; the cap is 1 MiB.
    path = zip_of(tmp_path / "bomb.apkg", {"collection.anki21": bytes(8 << 20)}, zipfile.ZIP_DEFLATED)
    assert path.stat().st_size < 64 << 10
    assert error_of(path, max_bytes=1 << 20, temp_dir=tmp_path) == (
        f"{path}: collection.anki21 unpacks to more than 1 MiB, the most osteo-learn unpacks;"
        " it is damaged or not a package Anki wrote"
    )
    assert [p.name for p in tmp_path.iterdir()] == ["bomb.apkg"]


def test_a_zstd_bomb_stops_past_the_cap(tmp_path):
    bomb = zstandard.ZstdCompressor(level=19).compress(bytes(64 << 20))
    assert len(bomb) < 64 << 10
    path = zip_of(tmp_path / "bomb.colpkg", {"meta": b"\x08\x03", "collection.anki21b": bomb})
    assert error_of(path, max_bytes=1 << 20, temp_dir=tmp_path) == (
        f"{path}: collection.anki21b unpacks to more than 1 MiB, the most osteo-learn unpacks;"
        " it is damaged or not a package Anki wrote"
    )
    assert [p.name for p in tmp_path.iterdir()] == ["bomb.colpkg"]


def test_unpacking_stops_past_the_free_space_of_the_temporary_folder(made, tmp_path, monkeypatch):
    temp = tmp_path / "tmp"
    temp.mkdir()
    real = shutil.disk_usage

    def little_free(folder):
        usage = real(folder)
        return usage._replace(free=100_000)

    monkeypatch.setattr(package_reader.shutil, "disk_usage", little_free)
    path = made["paths"]["apkg v2"]
    assert error_of(path, temp_dir=temp) == (
        f"{path}: not enough free space in the temporary folder {temp} to unpack collection.anki21"
        " (97.7 KiB free); free some space, or set TMPDIR to a folder with more"
    )
    assert os.listdir(temp) == []


def test_a_media_map_that_is_not_json(made, tmp_path):
    path = rewrite(made["paths"]["apkg v2"], tmp_path / "bad.apkg", {"media": b"{not json"})
    with open_package(path) as package, pytest.raises(PackageError) as raised:
        package.media
    assert str(raised.value) == f"{path} is damaged: its media list cannot be read; {EXPORT_AGAIN}"

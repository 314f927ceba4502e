"""Reading a protobuf message without its schema: the few Anki writes into a package and a collection.

A package's ``meta`` (``PackageMetadata``), a version-3 media map
(``MediaEntries``) and a note type's ``config`` (``Notetype.Config``) are
protobuf messages; only a field or two of each is read.
"""

from __future__ import annotations

from collections.abc import Iterator


def protobuf_fields(data: bytes) -> Iterator[tuple[int, int, int | bytes]]:
    """(field number, wire type, value) of each field of a protobuf message: a
    varint as an int, a length-delimited field as bytes. ``ValueError`` if malformed."""
    pos, end = 0, len(data)

    def varint() -> int:
        nonlocal pos
        result = shift = 0
        while True:
            if pos >= end or shift > 63:
                raise ValueError("truncated varint")
            byte = data[pos]
            pos += 1
            result |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                return result

    while pos < end:
        key = varint()
        number, wire = key >> 3, key & 7
        if number == 0:
            raise ValueError("field number 0")
        if wire == 0:
            yield number, wire, varint()
            continue
        size = {1: 8, 5: 4}.get(wire)
        if wire == 2:
            size = varint()
        if size is None or pos + size > end:
            raise ValueError("bad field")
        yield number, wire, data[pos : pos + size]
        pos += size

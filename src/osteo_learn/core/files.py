"""Reading a file the student named: regular files only, never blocking, never without bound.

Deck files, source documents and the database's first bytes are read
through :func:`read_regular`. It opens without blocking (a FIFO would
otherwise wait for a writer for ever), refuses whatever is not a regular
file (``/dev/zero``, a FIFO, a socket, a terminal, a folder) and reads at
most a limit, so no file can hang a command or fill its memory. Failures
are :class:`FileRefused`, whose message says what is wrong with the file,
in words for the student, without naming it (the caller does).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from osteo_learn.errors import OsteoError

MAX_DECK_BYTES = 64 * 1024 * 1024
"""The largest deck file read (a deck of 100,000 cards takes about 29 MB)."""

MAX_SOURCE_BYTES = 16 * 1024 * 1024
"""The largest source document read (an article is some kilobytes)."""


class FileRefused(OsteoError):
    """A file that cannot be read as asked; the message says why (not which file).

    ``missing`` tells a file that does not exist from one that is refused;
    ``system_reason`` is set when the system would not even open it (a name
    too long, no permission), in its own words.
    """

    def __init__(self, message: str, missing: bool = False, system_reason: str | None = None):
        super().__init__(message)
        self.missing = missing
        self.system_reason = system_reason


def read_regular(path: Path, limit: int, what: str = "file") -> bytes:
    """The bytes of the regular file at ``path``, at most ``limit`` of them.

    Raises :class:`FileRefused` for a missing file (``missing`` set), one
    that cannot be opened, is not a regular file, or is larger than
    ``limit`` bytes.
    """
    fd = _open(path)
    try:
        info = os.fstat(fd)
        _check_regular(info, what)
        if info.st_size > limit:
            raise FileRefused(f"is {info.st_size:,} bytes; a {what} may be at most {limit:,} bytes")
        chunks, size = [], 0
        while True:
            # One byte past the limit tells a file that grew while it was read.
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                raise FileRefused(f"grew past {limit:,} bytes while it was read; a {what} may be at most {limit:,} bytes")
        return b"".join(chunks)
    except OSError as error:
        raise FileRefused(f"cannot be read ({reason(error)})") from None
    finally:
        os.close(fd)


def read_start(path: Path, size: int, what: str = "file") -> bytes | None:
    """The first ``size`` bytes of the regular file at ``path``; ``None`` if there is no such file."""
    try:
        fd = _open(path)
    except FileRefused as refused:
        if refused.missing:
            return None
        raise
    try:
        _check_regular(os.fstat(fd), what)
        return os.read(fd, size)
    except OSError as error:
        raise FileRefused(f"cannot be read ({reason(error)})") from None
    finally:
        os.close(fd)


def _open(path: Path) -> int:
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
    try:
        return os.open(path, flags)
    except FileNotFoundError:
        raise FileRefused("does not exist", missing=True) from None
    except IsADirectoryError:
        raise FileRefused("is a folder, not a regular file") from None
    except (OSError, ValueError) as error:  # ValueError: a NUL in the name
        raise FileRefused(f"cannot be opened ({reason(error)})", system_reason=reason(error)) from None


def _check_regular(info: os.stat_result, what: str) -> None:
    if stat.S_ISREG(info.st_mode):
        return
    kind = (
        "a folder" if stat.S_ISDIR(info.st_mode)
        else "a FIFO (named pipe)" if stat.S_ISFIFO(info.st_mode)
        else "a device" if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode)
        else "a socket" if stat.S_ISSOCK(info.st_mode)
        else "not a regular file"
    )
    raise FileRefused(f"is {kind}, not a regular file; give the path of a {what}")


def reason(error: BaseException) -> str:
    """Why the system refused, in its own words ("Permission denied", "File name too long")."""
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error)


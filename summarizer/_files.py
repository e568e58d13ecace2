"""The one atomic writer for every file we write (``summarize -o``, batch exports, reports,
``eval -o``, the embedded model's weights and their marker).

A file is written to a temporary name in its directory, fsynced, then renamed over the target,
so a reader (or a crash) sees the old file or the complete new one. ``mkstemp`` creates the
temporary file 0600 whatever the umask; the writer gives it the mode any new file would get
(``0666 & ~umask``: 0644 under the usual 022) before the rename, so a report written by cron
can be read by colleagues and a web server.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import sqlite3
import tempfile
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import IO, Any, BinaryIO, Literal, TextIO, overload

__all__ = ["atomic_writer", "current_umask", "sweep_leftovers", "unwritable", "write_atomic"]

_SUFFIX = ".tmp"
_MKSTEMP = r"[a-z0-9_]{8}"  # the random part ``tempfile.mkstemp`` puts between prefix and suffix

_ENVIRONMENT_ERRNOS = frozenset(
    {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EACCES, errno.EPERM, errno.EIO}
)
_ENVIRONMENT_SQLITE = frozenset(
    {
        sqlite3.SQLITE_FULL,
        sqlite3.SQLITE_READONLY,
        sqlite3.SQLITE_IOERR,
        sqlite3.SQLITE_CANTOPEN,
        sqlite3.SQLITE_PERM,
    }
)

_UMASK_LOCK = threading.Lock()


def current_umask() -> int:
    """The process umask, read without changing it where Linux tells it (``/proc``)."""
    with (
        contextlib.suppress(OSError, ValueError),
        open("/proc/self/status", encoding="ascii", errors="replace") as status,
    ):
        for line in status:
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    with _UMASK_LOCK:  # elsewhere the only way to read it is to set it and put it back
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


@overload
def atomic_writer(path: Path) -> AbstractContextManager[TextIO]: ...
@overload
def atomic_writer(path: Path, *, binary: Literal[True]) -> AbstractContextManager[BinaryIO]: ...


def atomic_writer(path: Path, *, binary: bool = False) -> AbstractContextManager[IO[Any]]:
    """A UTF-8 text handle (``binary``: a byte handle) whose content replaces ``path`` only if
    the block succeeds."""
    return _replacing(path, binary)


@contextlib.contextmanager
def _replacing(path: Path, binary: bool) -> Iterator[IO[Any]]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=_SUFFIX)
    try:
        with os.fdopen(fd, "wb" if binary else "w", encoding=None if binary else "utf-8") as handle:
            os.fchmod(handle.fileno(), 0o666 & ~current_umask())
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_atomic(path: Path, content: str) -> None:
    """Replace ``path`` with ``content``, atomically, with the umask's mode."""
    with atomic_writer(path) as handle:
        handle.write(content)


def sweep_leftovers(folder: Path, target: str, before: float) -> int:
    """Remove the temporary files :func:`atomic_writer` left in ``folder`` (a ``kill -9``
    between their creation and the rename), for targets whose name matches the regular
    expression ``target``, last modified before ``before`` (a time stamp; a writer at work
    now is left alone). Returns how many were removed; a file that cannot be is left."""
    pattern = re.compile(rf"\.(?:{target})\.{_MKSTEMP}{re.escape(_SUFFIX)}")
    removed = 0
    with contextlib.suppress(OSError), os.scandir(folder) as entries:
        for entry in entries:
            if not pattern.fullmatch(entry.name):
                continue
            with contextlib.suppress(OSError):
                if entry.is_file(follow_symlinks=False) and entry.stat().st_mtime < before:
                    os.unlink(entry.path)
                    removed += 1
    return removed


def unwritable(exc: BaseException | None) -> str | None:
    """Why ``exc`` (or an error it was raised from) says the disk cannot take our writes (full,
    over quota or a file-size limit, read-only, no permission, failing), or None when it does
    not: such an error stops a batch night, since every later article would meet it too."""
    seen = 0
    while exc is not None and seen < 8:
        if isinstance(exc, OSError) and exc.errno in _ENVIRONMENT_ERRNOS:
            where = f" ({exc.filename})" if exc.filename else ""
            return f"{exc.strerror or errno.errorcode.get(exc.errno or 0, exc)}{where}"
        code = getattr(exc, "sqlite_errorcode", None)
        if (
            isinstance(exc, sqlite3.Error)
            and code is not None
            and code & 0xFF in _ENVIRONMENT_SQLITE
        ):
            return str(exc)
        exc = exc.__cause__
        seen += 1
    return None

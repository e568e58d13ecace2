"""Batch inputs: directories and JSONL files, streamed one article at a time.

Memory must not grow with the night, so nothing here lists a whole directory or reads a whole
JSONL file: ``os.scandir`` is walked lazily in sorted order per directory (the order is stable
across reruns), and JSONL files are read line by line. A file or line that cannot be read does
not stop the night: it becomes an :class:`Item` carrying its :class:`InputError`, recorded as a
failed article.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import fnmatch
import itertools
import os
import unicodedata
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from summarizer._fetch import ArticleInput, _json, parse_failure, read_input
from summarizer._input import load_json, open_regular
from summarizer.exceptions import InputError

__all__ = [
    "DEFAULT_EXCLUDES",
    "DEFAULT_PATTERNS",
    "Item",
    "aiter_items",
    "count_items",
    "iter_items",
    "normalise",
]

DEFAULT_PATTERNS = ("*.txt", "*.md", "*.json", "*.html", "*.htm")
# A corpus folder carries its licence and credits beside the articles; they are not news.
DEFAULT_EXCLUDES = (
    "README*",
    "LICENSE*",
    "LICENCE*",
    "ATTRIBUTION*",
    "CHANGELOG*",
    "NOTICE*",
    "COPYING*",
    "AUTHORS*",
)
_MAX_LINE = 20 * 1024 * 1024
_ITEMS_PER_HOP = 8


@dataclass(frozen=True)
class Item:
    """One input article, or the reason it could not be read."""

    article_id: str
    source: str
    article: ArticleInput | None = None
    error: InputError | None = None
    modified: dt.date | None = None
    origin: str = ""
    """The input file the item came from (a JSONL feed for its lines); ``source`` if empty."""

    @property
    def date(self) -> dt.date | None:
        """The date ``--since`` filters on: the article's own, else the file's mtime."""
        if self.article is not None and self.article.published is not None:
            return self.article.published
        return self.modified


def normalise(text: str) -> str:
    """The text the run key hashes: NFC, ``\\n`` line ends, no trailing spaces on lines.

    A re-export of the same article with CRLF line ends or a trailing newline is the same
    article and must not be summarized (and paid for) twice.
    """
    lines = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(line.rstrip() for line in lines.split("\n")).strip()


def iter_items(
    sources: Iterable[str | os.PathLike[str]],
    patterns: tuple[str, ...] = DEFAULT_PATTERNS,
    excludes: tuple[str, ...] = DEFAULT_EXCLUDES,
) -> Iterator[Item]:
    """Every article under ``sources`` (directories, ``.jsonl`` files, article files).

    In directories, files matching ``patterns`` and none of ``excludes`` (case-insensitive)
    are read; a file named on the command line is always read.
    """
    for found in _found(sources, patterns, excludes):
        if isinstance(found, Item):
            yield found
            continue
        path, article_id = found
        if article_id is None:
            yield from _jsonl(path)
        else:
            yield _file(path, article_id)


def count_items(
    sources: Iterable[str | os.PathLike[str]],
    patterns: tuple[str, ...] = DEFAULT_PATTERNS,
    excludes: tuple[str, ...] = DEFAULT_EXCLUDES,
) -> int:
    """How many items :func:`iter_items` will yield, without reading any article: the same walk,
    and the non-blank lines of each JSONL file (a progress bar's honest total)."""
    total = 0
    for found in _found(sources, patterns, excludes):
        total += _jsonl_lines(found[0]) if not isinstance(found, Item) and found[1] is None else 1
    return total


def _found(
    sources: Iterable[str | os.PathLike[str]], patterns: tuple[str, ...], excludes: tuple[str, ...]
) -> Iterator[Item | tuple[Path, str | None]]:
    """The walk both share: an unreadable directory's :class:`Item`, else (path, article id),
    the id None for a JSONL file (its lines are the articles)."""
    for source in sources:
        path = Path(source)
        if path.is_dir():
            yield from _walk(path, path, patterns, tuple(e.casefold() for e in excludes))
        elif path.suffix.casefold() == ".jsonl":
            yield path, None
        else:
            yield path, path.name if not path.exists() else str(path)


async def aiter_items(
    sources: Iterable[str | os.PathLike[str]],
    patterns: tuple[str, ...] = DEFAULT_PATTERNS,
    excludes: tuple[str, ...] = DEFAULT_EXCLUDES,
) -> AsyncIterator[Item]:
    """:func:`iter_items` read in a worker thread, a few items per hop: a slow disk (or a
    file that blocks despite the checks) holds this iterator, never the event loop, so
    workers keep going and a SIGTERM is still handled."""
    items = iter_items(sources, patterns, excludes)
    while chunk := await asyncio.to_thread(lambda: list(itertools.islice(items, _ITEMS_PER_HOP))):
        for item in chunk:
            yield item


def _walk(
    root: Path, directory: Path, patterns: tuple[str, ...], excludes: tuple[str, ...]
) -> Iterator[Item | tuple[Path, str | None]]:
    try:
        with os.scandir(directory) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as exc:
        yield Item(str(directory), str(directory), error=InputError(f"{directory}: {exc}"))
        return
    for entry in entries:
        if entry.name.startswith(".") or any(
            fnmatch.fnmatch(entry.name.casefold(), e) for e in excludes
        ):
            continue
        path = Path(entry.path)
        if entry.is_dir(follow_symlinks=False):
            yield from _walk(root, path, patterns, excludes)
        elif path.suffix.casefold() == ".jsonl":
            yield path, None
        elif any(fnmatch.fnmatch(entry.name, p) for p in patterns):
            yield path, path.relative_to(root).as_posix()


def _jsonl_lines(path: Path) -> int:
    """The items of a JSONL file: its non-blank lines (an unreadable file is one failed item)."""
    lines, at_start = 0, True
    try:
        with open_regular(path) as handle:  # a FIFO or /dev/zero named *.jsonl: one item
            for raw in iter(lambda: handle.readline(_MAX_LINE + 1), b""):
                lines += at_start and bool(raw.strip())  # a line over 20 MB is one item too
                at_start = raw.endswith(b"\n")
    except (OSError, InputError):
        return 1
    return lines


def _file(path: Path, article_id: str) -> Item:
    try:
        modified = dt.date.fromtimestamp(path.stat().st_mtime)
    except OSError:
        modified = None
    try:
        return Item(article_id, str(path), article=read_input(path), modified=modified)
    except InputError as exc:
        return Item(article_id, str(path), error=exc, modified=modified)
    except Exception as exc:  # read_input promises InputError; a night outlives a broken promise
        return Item(article_id, str(path), error=parse_failure(str(path), exc), modified=modified)


def _jsonl(path: Path) -> Iterator[Item]:
    try:
        handle = open_regular(path)
    except InputError as exc:
        yield Item(str(path), str(path), error=exc)
        return
    number = 0
    with handle:
        try:
            for number, raw in enumerate(iter(lambda: handle.readline(_MAX_LINE + 1), b""), 1):
                where = f"{path}:{number}"
                if not raw.strip():
                    continue
                if len(raw) > _MAX_LINE:
                    while raw and not raw.endswith(b"\n"):  # skip the rest, 20 MB at a time
                        raw = handle.readline(_MAX_LINE)
                    yield Item(where, where, error=InputError(f"{where}: line over 20 MB"))
                    continue
                yield _jsonl_line(raw, where, str(path))
        except OSError as exc:  # the disk failed mid-file: the lines read so far stand
            where = f"{path}:{number + 1}"
            reason = f"{where}: cannot be read ({exc.strerror or exc})"
            yield Item(where, where, error=InputError(reason))


def _jsonl_line(raw: bytes, where: str, origin: str) -> Item:
    try:
        text = raw.decode("utf-8")
        article = _json(text, where)
        found = load_json(text, where).get("id")  # an object: _json checked it
    except UnicodeDecodeError:
        return Item(where, where, error=InputError(f"{where}: not UTF-8"))
    except InputError as exc:
        return Item(where, where, error=exc)
    except Exception as exc:  # one poison line is that line's failure, not the night's
        return Item(where, where, error=parse_failure(where, exc))
    article_id = str(found) if found not in (None, "") else where
    return Item(article_id, where, article=article, origin=origin)

"""Read an article file for the command line: ``.txt``/``.md``, ``.json`` or ``.html``.

* ``.txt``/``.md`` (and standard input): the whole file is the article; its first line is the
  title, and a second line holding only an ISO date is the publication date.
* ``.json``: an object ``{"text", "title", "url", "published", "language"}``; only ``text`` is
  required, ``published`` is an ISO date.
* ``.html``/``.htm``: the title and main text, extracted by :mod:`summarizer._html`.

Every failure is an :class:`~summarizer.exceptions.InputError` naming the file and the problem.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from summarizer._html import extract_article
from summarizer._input import MAX_CHARS, decode_bytes
from summarizer.exceptions import InputError

__all__ = ["MAX_FILE_BYTES", "ArticleInput", "read_input"]

MAX_FILE_BYTES = 4 * MAX_CHARS
_JSON_KEYS = ("text", "title", "url", "published", "language")


@dataclass(frozen=True)
class ArticleInput:
    """One article ready for :meth:`Summarizer.asummarize`, plus notes for the user."""

    text: str
    title: str | None = None
    url: str | None = None
    published: dt.date | None = None
    language: str | None = None
    notes: list[str] = field(default_factory=list)


def _read_bytes(path: Path) -> bytes:
    if str(path) == "-":
        data = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise InputError(f"standard input is over the limit of {MAX_FILE_BYTES:,} bytes")
        return data
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a directory; pass an article file")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise InputError(f"{path}: {size:,} bytes, over the limit of {MAX_FILE_BYTES:,} bytes")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from exc


def _date(value: str, where: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip()[:10])
    except ValueError as exc:
        raise InputError(f"{where}: published {value!r} is not an ISO date (YYYY-MM-DD)") from exc


def plain_article(text: str) -> ArticleInput:
    """A .txt/.md article: line 1 the title; line 2 the date when it holds only an ISO date."""
    lines = text.strip().splitlines()
    title = lines[0].strip() or None if lines else None
    published = None
    if len(lines) > 1:
        try:
            published = dt.date.fromisoformat(lines[1].strip())
        except ValueError:
            published = None
    return ArticleInput(text=text, title=title, published=published)


def _json(text: str, where: str) -> ArticleInput:
    try:
        doc: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{where}: not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        ) from exc
    if not isinstance(doc, dict):
        raise InputError(
            f'{where}: expected a JSON object with a "text" field, got {type(doc).__name__}'
        )
    if "text" not in doc:
        raise InputError(f'{where}: the JSON object has no "text" field (the article)')
    for key in _JSON_KEYS:
        if doc.get(key) is not None and not isinstance(doc[key], str):
            raise InputError(f'{where}: "{key}" must be a string, not {type(doc[key]).__name__}')
    published = doc.get("published")
    return ArticleInput(
        text=doc["text"],
        title=(doc.get("title") or "").strip() or None,
        url=doc.get("url") or None,
        published=_date(published, where) if published else None,
        language=doc.get("language") or None,
    )


def _html(text: str, where: str) -> ArticleInput:
    page = extract_article(text)
    published = None
    if page.published:
        try:
            published = dt.date.fromisoformat(page.published[:10])
        except ValueError:
            published = None
    if not page.text.strip():
        raise InputError(f"{where}: no article text found in the HTML (is it built by JavaScript?)")
    return ArticleInput(
        text=page.text,
        title=page.title,
        url=page.url,
        published=published,
        language=page.language,
    )


def read_input(path: Path) -> ArticleInput:
    """Read and parse one article file (``-`` is standard input, read as plain text)."""
    where = "standard input" if str(path) == "-" else str(path)
    text, encoding = decode_bytes(_read_bytes(path))
    notes = []
    if encoding not in ("utf-8", "utf-8-sig"):
        notes.append(f"{where} is not UTF-8; read it as {encoding}")
    suffix = path.suffix.casefold()
    if suffix == ".json":
        article = _json(text, where)
    elif suffix in (".html", ".htm"):
        article = _html(text, where)
    else:
        article = plain_article(text)
    return ArticleInput(
        text=article.text,
        title=article.title,
        url=article.url,
        published=article.published,
        language=article.language,
        notes=notes,
    )

"""Checks on the article text before any model is called: clear errors, never a traceback."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import stat
import unicodedata
from pathlib import Path
from typing import Any, BinaryIO

from summarizer.exceptions import InputError

__all__ = [
    "MAX_CHARS",
    "BodyTooLarge",
    "ByteCap",
    "binary_kind",
    "check_text",
    "decode_bytes",
    "find_surrogate",
    "load_json",
    "open_regular",
    "read_regular",
    "text_sha256",
]

MAX_CHARS = 1_000_000
# Files that are not text even when their first bytes decode (an uncompressed PDF is ASCII).
_MAGIC = (
    ("%PDF-", "a PDF document"),
    ("\x89PNG", "a PNG image"),
    ("\xff\xd8\xff", "a JPEG image"),
    ("GIF87a", "a GIF image"),
    ("GIF89a", "a GIF image"),
    ("PK\x03\x04", "a ZIP archive (or a .docx, .odt or .epub)"),
    ("\x1f\x8b", "a gzip file"),
    ("\xd0\xcf\x11\xe0", "an old Office document (.doc, .xls)"),
)
_SURROGATE = re.compile("[\ud800-\udfff]")
# Letters by category that print as nothing: the Hangul fillers and the half-width filler.
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0")
_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)


def check_text(text: object, *, max_chars: int = MAX_CHARS) -> str:
    """Return the article ready for the pipeline, or raise :class:`InputError` saying why."""
    if not isinstance(text, str):
        raise InputError(f"the article must be text (str), not {type(text).__name__}")
    if not text.strip():
        raise InputError("the article is empty (only whitespace): nothing to summarize")
    if len(text) > max_chars:
        raise InputError(
            f"the article has {len(text):,} characters, over the limit of {max_chars:,}; "
            "split it or raise max_chars"
        )
    kind = binary_kind(text)
    if kind is not None:
        raise InputError(f"the article is binary ({kind}), not text: extract its text first")
    if (at := find_surrogate(text)) is not None:
        raise InputError(
            f"the article is not valid Unicode: a lone surrogate (U+{ord(text[at]):04X}) at "
            f"character {at:,}; decode its bytes with errors='replace'"
        )
    bad = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\n\r\t")
    if bad > max(8, len(text) // 100):
        raise InputError(
            f"the article looks binary ({bad} control characters): pass the text, not the file"
        )
    if not _has_words(text):
        raise InputError(
            "the article has no letter or digit (only invisible characters such as zero-width "
            "spaces, or punctuation): nothing to summarize"
        )
    # NUL and other control characters are replaced one for one, so offsets stay valid.
    return (
        "".join(
            " " if unicodedata.category(ch) == "Cc" and ch not in "\n\r\t" else ch for ch in text
        )
        if bad
        else text
    )


def _has_words(text: str) -> bool:
    """Whether ``text`` has a visible letter or digit; a page of zero-width spaces (format
    characters, category Cf) or of blank fillers that Unicode counts as letters has none."""
    return any(ch.isalnum() and ch not in _BLANK_LETTERS for ch in text)


def binary_kind(text: str) -> str | None:
    """What a well-known binary format ``text`` starts with is ("a PDF document"), or None."""
    head = text[:64].lstrip("\ufeff \t\r\n")
    return next((kind for magic, kind in _MAGIC if head.startswith(magic)), None)


def find_surrogate(text: str) -> int | None:
    """The index of the first lone surrogate (text that cannot be UTF-8), or None."""
    found = _SURROGATE.search(text)
    return None if found is None else found.start()


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode a file's bytes: BOMs, then UTF-8, then cp1252/latin-1. Returns (text, encoding)."""
    kind = binary_kind(data[:64].decode("latin-1"))
    if kind is not None:
        raise InputError(f"the file is binary ({kind}), not an article: extract its text first")
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError("the file is binary (it contains NUL bytes), not an article")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"the file starts with a {encoding} BOM but is not {encoding}"
                ) from exc
    for encoding in ("utf-8", "cp1252", "latin-1"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise InputError("the file is not text in UTF-8, cp1252 or latin-1")  # pragma: no cover


def open_regular(path: Path) -> BinaryIO:
    """``path`` opened for reading if it is a regular file, else an :class:`InputError`.

    A FIFO, device or socket is refused before it is opened, and the open does not block
    (``O_NONBLOCK``), so a pipe with no writer cannot hang the caller; the file opened is
    checked again, in case it was swapped after the first check.
    """
    try:
        _check_regular(path, os.stat(path).st_mode)
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise InputError(f"{path}: no such file; check the path") from None
    except OSError as exc:
        if exc.errno == errno.ENXIO:  # a socket, or a FIFO that appeared since the stat
            raise InputError(
                f"{path}: is a socket, not a regular file; pass an article file"
            ) from None
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    handle = open(fd, "rb")  # noqa: SIM115 - returned to the caller, who closes it
    try:
        _check_regular(path, os.fstat(fd).st_mode)
    except BaseException:
        handle.close()
        raise
    return handle


def read_regular(path: Path, limit: int) -> bytes:
    """At most ``limit`` bytes of the regular file ``path`` (:func:`open_regular`), else an
    :class:`InputError`. ``st_size`` is not trusted (``/proc`` files say 0, a file may grow
    while it is read): the read itself stops after ``limit + 1`` bytes."""
    with open_regular(path) as handle:
        try:
            data = handle.read(limit + 1)
        except OSError as exc:
            raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    if len(data) > limit:
        raise InputError(f"{path}: over the limit of {limit:,} bytes")
    return data


_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _check_regular(path: Path, mode: int) -> None:
    if stat.S_ISREG(mode):
        return
    kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
    raise InputError(f"{path}: is {kind}, not a regular file; pass an article file")


MAX_JSON_DEPTH = 64
MAX_JSON_DIGITS = 64
# A string (skipped whole, escapes included) or a bracket: enough to measure nesting.
_JSON_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


class _NumberTooLong(ValueError):
    pass


def _number(kind: type[int] | type[float]) -> Any:
    def parse(literal: str) -> int | float:
        if len(literal) > MAX_JSON_DIGITS:
            raise _NumberTooLong(literal)
        return kind(literal)

    return parse


def load_json(text: str, where: str) -> Any:
    """``json.loads`` with limits: nesting over :data:`MAX_JSON_DEPTH` and numbers over
    :data:`MAX_JSON_DIGITS` characters are an :class:`InputError`, where the standard parser
    would raise ``RecursionError`` (``[`` × 100,000) or ``ValueError`` (a 5,000-digit int)."""
    depth = 0
    for token in _JSON_TOKEN.finditer(text):
        bracket = token.group()
        if bracket in ("[", "{"):
            depth += 1
            if depth > MAX_JSON_DEPTH:
                raise InputError(f"{where}: JSON nested deeper than {MAX_JSON_DEPTH} levels")
        elif bracket in ("]", "}"):
            depth -= 1
    try:
        return json.loads(text, parse_int=_number(int), parse_float=_number(float))
    except _NumberTooLong as exc:
        raise InputError(
            f"{where}: a JSON number of {len(str(exc)):,} characters, over the limit of "
            f"{MAX_JSON_DIGITS}"
        ) from None
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{where}: not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        ) from exc


class BodyTooLarge(ValueError):
    """A body over its cap: ``declared`` is the Content-Length that said so, else None."""

    def __init__(self, limit: int, declared: int | None = None) -> None:
        self.limit, self.declared = limit, declared
        said = f"{declared:,} bytes" if declared is not None else "the body is"
        super().__init__(f"{said} over the limit of {limit:,} bytes")


class ByteCap:
    """The byte cap of a body received in chunks (a fetched page, a model's answer).

    The declared Content-Length is refused at once when over; the bytes are counted as they
    come, since a server may send no length, a false one, or an endless stream."""

    def __init__(self, limit: int, declared: str | None = None) -> None:
        self.limit, self.size = limit, 0
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise BodyTooLarge(limit, int(declared))

    def add(self, chunk: bytes) -> bytes:
        """``chunk``, counted; raises :class:`BodyTooLarge` once the total is over."""
        self.size += len(chunk)
        if self.size > self.limit:
            raise BodyTooLarge(self.limit)
        return chunk


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()

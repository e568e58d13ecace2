"""Checks on the article text before any model is called: clear errors, never a traceback."""

from __future__ import annotations

import hashlib
import re
import unicodedata

from summarizer.exceptions import InputError

__all__ = [
    "MAX_CHARS",
    "binary_kind",
    "check_text",
    "decode_bytes",
    "find_surrogate",
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
    # NUL and other control characters are replaced one for one, so offsets stay valid.
    return (
        "".join(
            " " if unicodedata.category(ch) == "Cc" and ch not in "\n\r\t" else ch for ch in text
        )
        if bad
        else text
    )


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


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()

"""Grounding: sentence ids for the model, character offsets computed by our code.

Language models are bad at counting characters, so we never trust an offset that
a model writes. Instead the article is split here into numbered sentences
(:func:`segment`), shown to the model as ``[S1] …`` lines (:func:`render_numbered`),
and the model refers to sentences by id, optionally with a short verbatim quote.
Everything the pipeline stores as a span is then computed by this module from the
original article text:

* :func:`sentences_span` / :func:`sentence_by_id` turn sentence ids into offsets
  (an unknown id is a :class:`KeyError`, i.e. an ungrounded reference);
* :class:`AlignedText` / :func:`find_span` locate a quote the model copied, tolerant
  of the small changes models make when copying (whitespace, NBSP, typographic
  quotes and apostrophes, case, surrounding quote marks and punctuation);
* :func:`quoted_segments` finds the text between quotation marks in a sentence, so
  a verbatim quotation can be cut out of it.

Every offset returned is into the ORIGINAL string: ``text[start:end]`` is exactly
the characters of the article, and no span starts or ends with whitespace.

Segmentation uses pysbd (rule based, offline) on each paragraph (one paragraph per
line, as in our news text files), then repairs two of its failure modes that matter
for news: a split inside an open « … » / “ … ” / „ … “ quotation (merged until the
quote closes) and a split after a title abbreviation such as "M.", "Mme", "Dr."
or "St." (merged with the next piece). Long paragraphs are fed to pysbd in bounded
chunks, so the total cost stays linear in the text length, and no input string
raises.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pysbd
from pysbd.languages import LANGUAGE_CODES

from summarizer._packs import every_pack

__all__ = [
    "AlignedText",
    "Sentence",
    "find_span",
    "normalize_for_match",
    "quoted_segments",
    "render_numbered",
    "segment",
    "sentence_by_id",
    "sentences_span",
]


@dataclass(frozen=True, slots=True)
class Sentence:
    """One sentence of an article; ``text == article[start:end]``."""

    id: int
    """1-based, in document order (the ``N`` of ``[SN]``)."""
    start: int
    end: int
    paragraph: int
    """0-based index of the (non-blank) line the sentence is on."""
    text: str


# --------------------------------------------------------------------------- #
# Segmentation
# --------------------------------------------------------------------------- #

_DEFAULT_LANGUAGE = "en"
# pysbd's processor is superlinear in the number of sentences it sees, so long
# paragraphs are cut (preferably at a likely sentence end) into chunks of at most
# this many characters before being handed to it.
_CHUNK_CHARS = 3000

# The same boundaries as str.splitlines().
_LINE_BREAK_RE = re.compile(r"\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
_LINE_BREAK_RUN_RE = re.compile(r"\s*(?:\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029])\s*")
_CHUNK_CUT_RE = re.compile(r"[.!?…。！？][\"'»”’)\]]*\s+")
_WHITESPACE_RE = re.compile(r"\s+")

# Zero-width and invisible characters that may surround a sentence or hide inside
# a word (soft hyphen); they are stripped from sentence ends and ignored by matching.
_INVISIBLE = "\u00ad\u200b\u200c\u200d\u2060\ufeff"


@functools.cache
def _title_end() -> re.Pattern[str]:
    """A title abbreviation of the language packs at the end of a piece, after which pysbd
    may wrongly end a sentence ("M." needs its dot, "Mme" may have one)."""
    titles = sorted(every_pack().title_abbreviations, key=len, reverse=True)
    alternatives = "|".join(
        re.escape(t) if t.endswith(".") else re.escape(t) + r"\.?" for t in titles
    )
    return re.compile(rf"(?<![\w.'’-])(?:{alternatives})$")


_local = threading.local()


def _language_code(language: str | None) -> str:
    if not language:
        return _DEFAULT_LANGUAGE
    primary = re.split(r"[-_]", language.strip(), maxsplit=1)[0].lower()
    return primary if primary in LANGUAGE_CODES else _DEFAULT_LANGUAGE


def _segmenter(code: str) -> Any:
    """A cached pysbd Segmenter. Per thread: ``Segmenter.segment`` keeps state."""
    cache: dict[str, Any] | None = getattr(_local, "segmenters", None)
    if cache is None:
        cache = {}
        _local.segmenters = cache
    seg = cache.get(code)
    if seg is None:
        seg = pysbd.Segmenter(language=code, clean=False, char_span=True)
        cache[code] = seg
    return seg


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink [start, end) so it neither starts nor ends with whitespace/invisibles."""
    while start < end and (text[start].isspace() or text[start] in _INVISIBLE):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in _INVISIBLE):
        end -= 1
    return start, end


def _paragraphs(text: str) -> Iterable[tuple[int, int]]:
    """(start, end) of each line, line breaks excluded."""
    pos = 0
    for m in _LINE_BREAK_RE.finditer(text):
        yield pos, m.start()
        pos = m.end()
    yield pos, len(text)


def _chunks(text: str, start: int, end: int) -> Iterable[tuple[int, int]]:
    """Cut [start, end) into pieces of at most _CHUNK_CHARS, at sentence ends if possible."""
    pos = start
    while end - pos > _CHUNK_CHARS:
        limit = pos + _CHUNK_CHARS
        window_start = pos + _CHUNK_CHARS // 2
        cut = -1
        for m in _CHUNK_CUT_RE.finditer(text, window_start, limit):
            cut = m.end()
        if cut <= pos:
            ws = max(text.rfind(" ", window_start, limit), text.rfind("\t", window_start, limit))
            cut = ws + 1 if ws >= 0 else limit
        yield pos, cut
        pos = cut
    yield pos, end


def _pysbd_boundaries(chunk: str, code: str) -> list[int]:
    """Cut positions inside ``chunk`` (exclusive of 0 and len) suggested by pysbd.

    pysbd finds its sentences back in the input with a regex search, which can
    drop a sentence it altered or land on an earlier copy of a repeated one; only
    strictly increasing positions are kept, and the pieces between them always
    cover the whole chunk, so no text is ever lost.
    """
    try:
        spans = _segmenter(code).segment(chunk)
    except Exception:  # pysbd is third-party regex soup: never let it break us
        return []
    cuts: list[int] = []
    last = 0
    n = len(chunk)
    for span in spans:
        for pos in (getattr(span, "start", None), getattr(span, "end", None)):
            if isinstance(pos, int) and last < pos < n:
                cuts.append(pos)
                last = pos
    return cuts


# Quotation pairing shared by segmentation (merge across open quotes) and
# quoted_segments. Each event: (position, closes-what, opens-what).
_CURLY_OPEN = "“"
_CURLY_CLOSE = "”"
_LOW_OPEN = "„"


def _quote_pairs(text: str, start: int, end: int, straight: bool) -> list[tuple[int, int]]:
    """Matched (open_pos, close_pos) quotation marks in text[start:end].

    « » (or » « when the first guillemet seen is », as in German), “ ”, „ “ / „ ”
    and, if ``straight``, " … " pairs. Unmatched marks are ignored. Linear time.
    """
    pairs: list[tuple[int, int]] = []
    stack: list[tuple[str, int]] = []  # (kind, position)
    guillemet_open = ""
    max_depth = 32

    def close(kinds: str, pos: int) -> bool:
        # Close the innermost open quote of one of ``kinds`` (looking a few levels
        # down, which forgets unmatched openers above it).
        for depth in range(len(stack) - 1, max(-1, len(stack) - 5), -1):
            if stack[depth][0] in kinds:
                pairs.append((stack[depth][1], pos))
                del stack[depth:]
                return True
        return False

    def push(kind: str, pos: int) -> None:
        if len(stack) < max_depth:
            stack.append((kind, pos))

    for i in range(start, end):
        c = text[i]
        if c == "«" or c == "»":
            if not guillemet_open:
                guillemet_open = c
            if c == guillemet_open:
                push("«", i)
            else:
                close("«", i)
        elif c == _LOW_OPEN:
            push("„", i)
        elif c == _CURLY_OPEN:
            # “ closes a German „ … “, otherwise it opens an English/French “ … ”.
            if not (stack and stack[-1][0] == "„" and close("„", i)):
                push("“", i)
        elif c == _CURLY_CLOSE:
            close("“„", i)
        elif c == '"' and straight and not (stack and stack[-1][0] == '"' and close('"', i)):
            push('"', i)
    return pairs


def _has_alnum(text: str, start: int, end: int) -> bool:
    return any(text[i].isalnum() for i in range(start, end))


def segment(text: str, language: str | None = None) -> list[Sentence]:
    """Split ``text`` into numbered sentences with exact offsets into ``text``.

    Paragraphs are lines (blank lines skipped); each is split with pysbd for
    ``language`` (BCP-47; its primary subtag if pysbd knows it, else English), then
    pieces that end inside an open quotation or after a title abbreviation are
    merged with what follows. Never raises; empty or blank input gives ``[]``.
    """
    if not isinstance(text, str) or not text:
        return []
    code = _language_code(language)
    sentences: list[Sentence] = []
    paragraph = -1
    for p_start, p_end in _paragraphs(text):
        p_start, p_end = _strip_span(text, p_start, p_end)
        if p_start >= p_end:
            continue
        paragraph += 1

        # Positions b in the paragraph that fall inside a matched quotation:
        # open < b <= close (so a piece ending on the closing mark is not inside).
        diff = [0] * (p_end - p_start + 2)
        for o, c in _quote_pairs(text, p_start, p_end, straight=False):
            diff[o - p_start + 1] += 1
            diff[c - p_start + 1] -= 1
        inside = [False] * len(diff)
        depth = 0
        for k, d in enumerate(diff):
            depth += d
            inside[k] = depth > 0

        pieces: list[tuple[int, int]] = []
        for c_start, c_end in _chunks(text, p_start, p_end):
            bounds = [c_start, *(c_start + b for b in _pysbd_boundaries(text[c_start:c_end], code))]
            bounds.append(c_end)
            for a, b in itertools.pairwise(bounds):
                s, e = _strip_span(text, a, b)
                if s >= e:
                    continue
                if pieces:
                    prev_s, prev_e = pieces[-1]
                    if (
                        inside[prev_e - p_start]
                        or _title_end().search(text, max(prev_s, prev_e - 8), prev_e)
                        or not _has_alnum(text, s, e)
                    ):
                        pieces[-1] = (prev_s, e)
                        continue
                pieces.append((s, e))

        for s, e in pieces:
            sentences.append(
                Sentence(id=len(sentences) + 1, start=s, end=e, paragraph=paragraph, text=text[s:e])
            )
    return sentences


def render_numbered(sentences: Sequence[Sentence]) -> str:
    """The prompt view: ``[S{id}] {text}`` per line, a blank line between paragraphs."""
    lines: list[str] = []
    previous: int | None = None
    for s in sentences:
        if previous is not None and s.paragraph != previous:
            lines.append("")
        previous = s.paragraph
        lines.append(f"[S{s.id}] {_LINE_BREAK_RUN_RE.sub(' ', s.text)}")
    return "\n".join(lines)


def sentence_by_id(sentences: Sequence[Sentence], id: int) -> Sentence:
    """The sentence numbered ``id``; :class:`KeyError` if there is none."""
    if isinstance(id, int) and not isinstance(id, bool) and 1 <= id <= len(sentences):
        candidate = sentences[id - 1]
        if candidate.id == id:
            return candidate
    for s in sentences:
        if s.id == id:
            return s
    if sentences:
        known = f"S{sentences[0].id}–S{sentences[-1].id}"
    else:
        known = "none: the article has no sentences"
    raise KeyError(f"unknown sentence id S{id} (known: {known})")


def sentences_span(sentences: Sequence[Sentence], ids: Sequence[int]) -> tuple[int, int]:
    """(start, end) from the first to the last of ``ids`` (in document order).

    The ids need not be contiguous; the span covers everything between them.
    :class:`KeyError` for an unknown id, :class:`ValueError` for no ids.
    """
    if not ids:
        raise ValueError("no sentence ids given")
    chosen = [sentence_by_id(sentences, i) for i in ids]
    return min(s.start for s in chosen), max(s.end for s in chosen)


# --------------------------------------------------------------------------- #
# Tolerant matching
# --------------------------------------------------------------------------- #

_CHAR_MAP = {
    # apostrophes and single quotes
    "’": "'", "‘": "'", "ʼ": "'", "`": "'", "‛": "'", "′": "'", "´": "'",
    # double quotes and guillemets
    "«": '"', "»": '"', "“": '"', "”": '"', "„": '"', "‟": '"', "‹": '"', "›": '"', "″": '"',
    # hyphens and dashes
    "‐": "-", "‑": "-", "‒": "-", "–": "-", "—": "-", "―": "-", "−": "-",
    # ellipsis
    "…": "...",
}  # fmt: skip

_norm_cache: dict[str, str] = {}


def _norm_char(c: str) -> str:
    """Normalised form of one character: '' (ignored), ' ' (any space) or text."""
    out = _norm_cache.get(c)
    if out is None:
        if c in _INVISIBLE:
            out = ""
        elif c.isspace():
            out = " "
        else:
            out = "".join(_CHAR_MAP.get(x, " " if x.isspace() else x) for x in c.casefold())
        if len(_norm_cache) < 100_000:
            _norm_cache[c] = out
    return out


def _normalize(text: str) -> tuple[str, list[int]]:
    """Normalised copy of ``text`` and, per normalised char, its original index.

    Whitespace runs become one space (leading whitespace is dropped).
    """
    chars: list[str] = []
    index: list[int] = []
    last_space = True
    for i, c in enumerate(text):
        for x in _norm_char(c):
            if x == " ":
                if last_space:
                    continue
                last_space = True
            else:
                last_space = False
            chars.append(x)
            index.append(i)
    return "".join(chars), index


def _is_strippable(c: str) -> bool:
    return c == " " or unicodedata.category(c).startswith("P")


def normalize_for_match(text: str) -> str:
    """The key :func:`find_span` compares: normalised, edges' spaces/quotes/punctuation
    stripped. Two strings match when one's key occurs in the other's normalised text."""
    # Short needles are mostly the lexicon's phrases and names, searched in every sentence of
    # every article (~200 times an article: 13 % of a batch's CPU before this cache).
    return _cached_match_key(text) if len(text) <= 80 else _match_key(text)


def _match_key(text: str) -> str:
    norm, _ = _normalize(text)
    start, end = 0, len(norm)
    while start < end and _is_strippable(norm[start]):
        start += 1
    while end > start and _is_strippable(norm[end - 1]):
        end -= 1
    return norm[start:end]


_cached_match_key = functools.lru_cache(maxsize=8192)(_match_key)


class AlignedText:
    """An article with a normalised copy for tolerant search, built once.

    >>> AlignedText("M. Ryder n’a  fourni").find("ryder N'A fourni")
    (3, 20)
    """

    __slots__ = ("_index", "_norm", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self._norm, self._index = _normalize(text)

    def _aligned(self, ns: int, ne: int) -> bool:
        """The match [ns, ne) covers whole original characters, give or take
        strippable output (e.g. the "'" of "ŉ" -> "'n") at its edges."""
        index, norm = self._index, self._norm
        k = ns - 1
        while k >= 0 and index[k] == index[ns]:
            if not _is_strippable(norm[k]):
                return False
            k -= 1
        k = ne
        while k < len(index) and index[k] == index[ne - 1]:
            if not _is_strippable(norm[k]):
                return False
            k += 1
        return True

    def find(self, needle: str, start: int = 0, end: int | None = None) -> tuple[int, int] | None:
        """Offsets (s, e) into the text of the first tolerant match of ``needle``
        within ``text[start:end]``, or ``None``. ``text[s:e]`` never starts or ends
        with whitespace; quote marks/punctuation around the needle are not included.
        """
        key = normalize_for_match(needle)
        if not key:
            return None
        n = len(self.text)
        start = min(max(start, 0), n)
        end = n if end is None else min(max(end, 0), n)
        if start >= end:
            return None
        index = self._index
        ns = bisect.bisect_left(index, start)
        limit = bisect.bisect_left(index, end)
        pos = self._norm.find(key, ns, limit)
        while pos >= 0:
            stop = pos + len(key)
            if self._aligned(pos, stop):
                s, e = _strip_span(self.text, index[pos], index[stop - 1] + 1)
                if s < e:
                    return s, e
            pos = self._norm.find(key, pos + 1, limit)
        return None

    def find_words(
        self, needle: str, start: int = 0, end: int | None = None, *, min_prefix: int = 5
    ) -> tuple[int, int] | None:
        """Like :meth:`find`, but when the exact words are not there, align the needle's words
        to words of ``text[start:end]`` sharing a prefix of ``min_prefix`` letters
        ("manifestation" ~ "manifesté"), keeping their order; the span runs from the first
        aligned word to the last. Used for event triggers, which small models inflect."""
        exact = self.find(needle, start, end)
        if exact is not None:
            return exact
        end = len(self.text) if end is None else end
        words = [
            (m.start() + start, m.end() + start, normalize_for_match(m.group()))
            for m in _WORD.finditer(self.text[start:end])
        ]
        hits: list[tuple[int, int]] = []
        position = 0
        for wanted in (normalize_for_match(w) for w in _WORD.findall(needle)):
            for k in range(position, len(words)):
                ws, we, word = words[k]
                size = min(len(wanted), len(word))
                if (wanted == word and size >= 3) or (
                    size >= min_prefix and wanted[:min_prefix] == word[:min_prefix]
                ):
                    hits.append((ws, we))
                    position = k + 1
                    break
        if not hits or hits[-1][1] - hits[0][0] > 80:
            return None
        return hits[0][0], hits[-1][1]


def find_span(
    text: str, needle: str, start: int = 0, end: int | None = None
) -> tuple[int, int] | None:
    """Locate ``needle`` in ``text[start:end]`` tolerantly; offsets into ``text``.

    One-off convenience; for many searches in one article build an
    :class:`AlignedText` once and call :meth:`AlignedText.find`.
    """
    return AlignedText(text).find(needle, start, end)


_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")


# --------------------------------------------------------------------------- #
# Quotations
# --------------------------------------------------------------------------- #

_MIN_QUOTE_WORDS = 3


def quoted_segments(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Spans of the text between quotation marks inside ``text[start:end]``.

    Pairs: « », “ ”, „ “ (and „ ”), straight " ". Quote marks are excluded, inner
    whitespace trimmed; only outermost quotations of at least three words are kept,
    in document order.
    """
    n = len(text)
    start = min(max(start, 0), n)
    end = min(max(end, 0), n)
    result: list[tuple[int, int]] = []
    covered_until = -1
    for o, c in sorted(_quote_pairs(text, start, end, straight=True)):
        if c <= covered_until:  # nested in a quotation already reported
            continue
        s, e = _strip_span(text, o + 1, c)
        if s >= e:
            continue
        words = [w for w in _WHITESPACE_RE.split(text[s:e]) if any(ch.isalnum() for ch in w)]
        if len(words) >= _MIN_QUOTE_WORDS:
            result.append((s, e))
            covered_until = c
    return result

"""Fitting an article into the model's context: parts of the article, pieces of a sentence.

Every request holds at most ``max_input_tokens`` of article text: the overview and evidence
passes read one part (:func:`chunks`), an attribution question two sentences, so no sentence
is longer than half of it (:func:`bounded_sentences`). An article of normal sentences and
paragraphs is read as it always was; only a paragraph or a sentence too long for one request
(a page with no line breaks, a table flattened to one line) is cut.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar

from summarizer.grounding import Sentence

__all__ = [
    "CHARS_PER_TOKEN",
    "bounded_sentences",
    "by_part",
    "chunk_of",
    "chunks",
    "sentence_limit",
]

CHARS_PER_TOKEN = 3.5
"""Characters per token of a prompt, for estimates before a request is sent (the chunk
sizes, the rate limiter's admission, ``--dry-run``'s counts)."""
_SENTENCE_COST = 8
"""Characters a sentence costs besides its text in the numbered article (``[S12] ``, line)."""


def sentence_limit(max_tokens: int) -> int:
    """The longest sentence, in characters, that an attribution question (the sentence and
    the one before) can show within ``max_tokens``."""
    return int(max_tokens * CHARS_PER_TOKEN / 2) - _SENTENCE_COST


def bounded_sentences(
    text: str, sentences: list[Sentence], max_chars: int | None
) -> list[Sentence]:
    """``sentences`` with each one longer than ``max_chars`` cut in pieces of at most that
    many, at the last space before the limit if there is one in its second half, else at the
    limit; renumbered. Unchanged (the same list) when no sentence is that long."""
    if max_chars is None or all(s.end - s.start <= max_chars for s in sentences):
        return sentences
    limit = max(max_chars, 1)
    out: list[Sentence] = []
    for s in sentences:
        start = s.start
        while start < s.end:
            end = min(start + limit, s.end)
            if end < s.end:
                space = text.rfind(" ", start + limit // 2, end)
                end = space if space > start else end
            piece = text[start:end].rstrip()
            if piece:  # ``start`` is never on a space: a sentence starts on none
                out.append(Sentence(len(out) + 1, start, start + len(piece), s.paragraph, piece))
            start = end
            while start < s.end and text[start].isspace():
                start += 1
    return out


def chunks(sentences: list[Sentence], max_tokens: int) -> list[list[Sentence]]:
    """Split on paragraph boundaries so each part fits the model, one paragraph of overlap;
    a paragraph too long for one part is split between its sentences."""
    if not sentences:
        return [[]]
    budget = max_tokens * CHARS_PER_TOKEN

    def size(ps: Sequence[list[Sentence]]) -> int:
        return sum(len(s.text) + _SENTENCE_COST for p in ps for s in p)

    paragraphs: list[list[Sentence]] = []
    for s in sentences:
        if paragraphs and paragraphs[-1][-1].paragraph == s.paragraph:
            paragraphs[-1].append(s)
        else:
            paragraphs.append([s])
    if size(paragraphs) <= budget:
        return [sentences]
    parts: list[list[Sentence]] = []
    for p in paragraphs:
        if size([p]) <= budget:
            parts.append(p)
            continue
        parts.append([])
        for s in p:
            if parts[-1] and size([[*parts[-1], s]]) > budget:
                parts.append([])
            parts[-1].append(s)
    out: list[list[Sentence]] = []
    current: list[list[Sentence]] = []
    for p in parts:
        if current and size([*current, p]) > budget:
            out.append([s for q in current for s in q])
            current = [current[-1]] if size([current[-1], p]) <= budget else []
        current.append(p)
    out.append([s for q in current for s in q])
    return out


def chunk_of(parts: list[list[Sentence]], sentence: int) -> list[Sentence]:
    """The part holding sentence number ``sentence`` (its first, where parts overlap)."""
    return next(c for c in parts if c and c[0].id <= sentence <= c[-1].id)


class _AtSentence(Protocol):
    @property
    def sentence(self) -> int: ...


_T = TypeVar("_T", bound=_AtSentence)


def by_part(parts: list[list[Sentence]], items: Sequence[_T], size: int) -> list[list[_T]]:
    """``items`` (statements, claims) grouped by the article part that holds their sentence,
    at most ``size`` a group, in order: one question each, sharing the part's system message."""
    found: dict[int, list[_T]] = {}
    for item in items:
        found.setdefault(chunk_of(parts, item.sentence)[0].id, []).append(item)
    return [g[i : i + size] for g in found.values() for i in range(0, len(g), size)]

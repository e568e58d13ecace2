"""Stage 1, segment: the article as numbered sentences, and the spans cut from it.

Every pass refers to sentences by their number; every span in a summary is cut here from the
caller's own text, so ``text[start:end] == span.text`` holds whatever the model wrote.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from summarizer import prompts
from summarizer._chunking import bounded_sentences
from summarizer.grounding import AlignedText, Sentence, render_numbered, segment
from summarizer.models import Span

__all__ = ["Document", "as_data", "one_line"]


@dataclass
class Document:
    text: str
    """What the model reads: the caller's text with control characters blanked."""
    language: str
    published: date | None
    original: str = ""
    """The caller's text (same length): every span is cut from it."""
    max_sentence_chars: int | None = None
    """A longer sentence is cut in pieces (see :func:`~summarizer._chunking.bounded_sentences`)."""
    sentences: list[Sentence] = field(init=False)
    aligned: AlignedText = field(init=False)

    def __post_init__(self) -> None:
        self.original = self.original or self.text
        self.sentences = bounded_sentences(
            self.text, segment(self.text, self.language), self.max_sentence_chars
        )
        self.aligned = AlignedText(self.text)

    def cut(self, start: int, end: int) -> Span:
        """A span of the caller's text, so that ``text[start:end] == span.text`` holds for the
        text the caller passed, NUL and control characters included."""
        return Span.of(self.original, start, end)

    @property
    def context(self) -> dict[str, Any]:
        """What the answer validators check sentence ids and quotes against."""
        return {"sentences": self.sentences, "aligned": self.aligned}

    def sentence_at(self, offset: int) -> int:
        """The number of the sentence holding ``offset`` (or the next one, in a gap)."""
        for n, s in enumerate(self.sentences, 1):
            if offset < s.end:
                return n
        return len(self.sentences)

    def span(self, ids: Sequence[int]) -> Span:
        first, last = self.sentences[min(ids) - 1], self.sentences[max(ids) - 1]
        return self.cut(first.start, last.end)

    def system_message(self, sentences: Sequence[Sentence]) -> dict[str, str]:
        """The numbered article (or part) that the overview and evidence passes both start
        with, so a server with prompt caching reads it once."""
        numbered = as_data(render_numbered(list(sentences)))
        return {
            "role": "system",
            "content": prompts.render(
                "article.system",
                language=self.language,
                published=self.published.isoformat() if self.published else None,
                numbered=numbered,
            ),
        }


# Article text in a prompt is data: it must not close the fence it sits in, nor spell a
# chat-template token. llama.cpp parses "<|im_start|>" written in any message as the real
# token, so an article could open a system turn of its own on the embedded model.
_BREAKOUT = re.compile(r"</?(?=\s*(?:article|excerpt)\b)|<(?=\|)", re.IGNORECASE)


def as_data(text: str) -> str:
    """``text`` safe inside a prompt's ``<article>``/``<excerpt>`` block (unchanged unless it
    holds a tag of those or a ``<|…|>`` token: "</article" becomes "</ article")."""
    return _BREAKOUT.sub(lambda m: m.group() + " ", text)


def one_line(text: str) -> str:
    return " ".join(text.split())

"""A small language guesser: enough to pick the segmenter and tell the model the language.

It counts very common function words (and, for non-Latin scripts, the script). A caller who
knows the language passes it and this is never used.
"""

from __future__ import annotations

import re

__all__ = ["detect_language"]

_WORDS = {
    "fr": "le la les des du un une et est que qui dans pour pas sur au aux avec ce il elle "
    "a été ont selon",
    "en": "the of and to in is that for on with as was were by it said from have has are this",
    "de": "der die das und ist nicht mit den dem von zu ein eine sich auf des für im auch wurde",
    "es": "el la los las de y que en un una por con para se del al es fue según",
    "it": "il lo la gli le di e che in un una per con non del della è sono stato",
    "pt": "o a os as de e que em um uma para com não do da é foi segundo",
    "nl": "de het een en van in is dat op te met voor niet zijn werd",
}
_SETS = {lang: frozenset(words.split()) for lang, words in _WORDS.items()}
_TOKEN = re.compile(r"[^\W\d_]+", re.UNICODE)
_SCRIPTS = (
    ("ru", re.compile(r"[\u0400-\u04FF]")),
    ("ar", re.compile(r"[\u0600-\u06FF]")),
    ("el", re.compile(r"[\u0370-\u03FF]")),
    ("he", re.compile(r"[\u0590-\u05FF]")),
    ("zh", re.compile(r"[\u4E00-\u9FFF]")),
    ("ja", re.compile(r"[\u3040-\u30FF]")),
)


def detect_language(text: str, default: str = "en") -> str:
    """Best guess of ``text``'s language as a BCP-47 primary tag (``fr``, ``en``, ``ru`` …)."""
    sample = text[:20_000]
    letters = sum(ch.isalpha() for ch in sample) or 1
    for lang, pattern in _SCRIPTS:
        if len(pattern.findall(sample)) / letters > 0.3:
            return lang
    tokens = [t.casefold() for t in _TOKEN.findall(sample)]
    scores = {lang: sum(t in words for t in tokens) for lang, words in _SETS.items()}
    best = max(scores, key=lambda k: scores[k])
    return best if scores[best] >= 3 else default

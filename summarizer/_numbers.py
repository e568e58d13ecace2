"""Numbers that disagree inside an article: the headline's figures against the body's (issue 19).

A fact-checker reads the title and subtitle first and wants to know when their figure is not
the body's. This rule proposes such pairs (the model confirms or drops each); no model here.

* **Headline, body.** The headline is the lines before the first blank line (title, subtitle,
  date), at most three short ones, else the first line; the body is the rest. Figures are
  compared across the two only: inside the body, two counts of one noun are usually two groups.
* **Quantities of a thing.** Digits ("2 000", "10,000", "2,5") or written numbers ("deux
  mille", "plusieurs milliers", "a dozen", "zwei Dutzend": the pack's ``numbers``, see
  ``prompts/packs/README.md``), maybe after an approximation word ("environ"), then (maybe
  after "de") the noun counted: with a parse a NOUN, compared by lemma; without one the next
  word that is not a stop word, plural endings stripped. Years, dates, units, durations and
  percentages count no thing; an article alone ("un soldat") is no figure.
* **Values are ranges.** A figure is one value; a vague word has its range ("plusieurs" 2–9),
  which a multiplier scales whole ("plusieurs milliers" 2,000–9,999); an approximation word
  widens by the pack's ``tolerance`` ("environ 10 000": 8,500–11,500 at 15 %).
* **Disagreement.** Only quantities in the same context compare: the body's sentence, up to
  six content words each side, shares a word with the headline's ("153 personnes à bord" is not
  "une quarantaine de personnes au sol"). A headline quantity is confirmed when such a body
  quantity of its noun overlaps it and is as precise (a figure needs a figure), or when the
  body repeats the figure under any noun ("8 000 emplois", "8 000 postes"). Else it is
  proposed against each body quantity of its noun there: ``differ`` when the ranges do not
  meet (2,000 against about 10,000), ``vaguer`` when the body's range holds the figure but
  never states it. So 2,000 is within "plusieurs milliers" and yet proposed: the subtitle
  claims a precision the body does not give, the seed article's distinction.

One :class:`NumberConflict` per (headline, body) pair, so each is judged alone. Every
:class:`Span` is cut from the text by offsets.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from summarizer import _parse
from summarizer._packs import LanguagePack, pack
from summarizer.models import Span

__all__ = ["RULES_VERSION", "NumberConflict", "Quantity", "propose", "quantities"]

RULES_VERSION = "numbers-1"
"""Bump on any change of these rules or of the packs' ``numbers`` lists."""

_HEADLINE_LINES = 3
_HEADLINE_CHARS = 300
_YEARS = range(1800, 2101)  # a bare four-digit number in this range is a year
_TOKEN = re.compile(
    r"(?P<num>(?<![\w.,-])(?:\d{1,3}(?:[ \u00a0\u202f.,]\d{3})+|\d+(?:[.,]\d+)?)(?!\w))"
    r"|[^\W\d_]+['’]?|\S"
)
_WORD = re.compile(r"[^\W\d_]{3,}")
_SENTENCE_END = re.compile(r"[.!?…]\s")
_REACH = 6  # content words each side of a body quantity that tell what group it counts
_THOUSANDS = re.compile(r"\d{1,3}(?:[ \u00a0\u202f.,]\d{3})+")
Why = Literal["differ", "vaguer"]


@dataclass(frozen=True)
class Quantity:
    """A count of ``noun`` (lemma or stripped form): ``span`` from the number to the noun."""

    span: Span
    noun: str
    low: float
    high: float
    approximate: bool

    @property
    def figure(self) -> bool:
        return self.low == self.high


@dataclass(frozen=True)
class NumberConflict:
    """A headline quantity and a body quantity of one noun that disagree (see the module)."""

    noun: str
    spans: tuple[Span, Span]
    values: tuple[tuple[float, float], tuple[float, float]]
    kind: Why
    why: str


def _norm(word: str) -> str:
    return word.casefold().replace("’", "'")


def _bare(word: str) -> str:
    decomposed = unicodedata.normalize("NFD", _norm(word))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


_Table = dict[tuple[str, ...], dict[str, Any]]
_Lexicon = tuple[_Table, int, LanguagePack]


@cache
def _lexicon(language: str) -> _Lexicon:
    """Phrase (as tokens) → what it is: value, multiplier, article, joiner, approx, unit."""
    lp = pack(language)
    words = lp.numbers
    marks = {"article": words.articles, "joiner": words.joiners, "approx": words.approximate}
    marks["unit"] = words.not_counted + tuple(name for names in lp.months for name in names)
    entries: list[tuple[str, str, object]] = [("value", *e) for e in words.values.items()]
    entries += [("multiplier", *e) for e in words.multipliers.items()]
    entries += [(kind, phrase, True) for kind, phrases in marks.items() for phrase in phrases]
    table: _Table = {}
    for kind, phrase, value in entries:
        tokens = tuple(_norm(m.group()) for m in _TOKEN.finditer(phrase))
        table.setdefault(tokens, {})[kind] = value
    return table, max((len(k) for k in table), default=1), lp


def _match(
    tokens: Sequence[str], k: int, table: _Table, longest: int
) -> tuple[dict[str, Any], int]:
    """The longest phrase of ``table`` at ``tokens[k]``: its entry and length, or ({}, 0)."""
    for n in range(min(longest, len(tokens) - k), 0, -1):
        entry = table.get(tuple(tokens[k : k + n]))
        if entry is not None:
            return entry, n
    return {}, 0


def _digits(text: str) -> float:
    if _THOUSANDS.fullmatch(text):
        return float(re.sub(r"\D", "", text))
    return float(text.replace(",", "."))


def _read(
    matches: Sequence[re.Match[str]], tokens: Sequence[str], k: int, lexicon: _Lexicon
) -> tuple[int, float, float] | None:
    """The number written from ``tokens[k]``: (the token after it, low, high), or None."""
    table, longest = lexicon[0], lexicon[1]
    total, cur, article, words = (0.0, 0.0), None, False, True
    while k < len(tokens):
        entry, n = _match(tokens, k, table, longest)
        n = n or 1
        if matches[k].group("num"):
            if cur is not None or total[1] or article:
                break
            value = _digits(matches[k].group())
            cur, words, n = (value, value), False, 1
        elif "article" in entry and cur is None and not total[1] and not article:
            article = True
        elif "multiplier" in entry and (cur is not None or article or "value" not in entry):
            lo, hi = cur or (1.0, 1.0)
            m = float(entry["multiplier"])
            cur = (lo * m, (hi + 1) * m - 1 if hi > lo else hi * m)
            if m >= 1000:  # "deux mille cinq cents": the thousands are done
                total, cur = (total[0] + cur[0], total[1] + cur[1]), None
        elif "value" in entry:
            lo, hi = entry["value"]
            if cur is None:
                cur = (float(lo), float(hi))
            elif words and lo == hi and cur[0] == cur[1] and lo < cur[0]:
                cur = (cur[0] + lo, cur[1] + lo)  # "vingt-cinq", "twenty five"
            else:
                break
        elif ("joiner" in entry or tokens[k] == "-") and cur is not None:
            after, _ = _match(tokens, k + n, table, longest)
            if not {"multiplier", "value"} & after.keys():
                break
        else:
            break
        k += n
    if cur is None and not total[1]:
        return None
    lo, hi = cur or (0.0, 0.0)
    return k, total[0] + lo, total[1] + hi


def quantities(text: str, language: str | None, doc: Any = None) -> list[Quantity]:
    """Every quantity of a noun in ``text``, in text order (``doc``: its spaCy parse, if any)."""
    lexicon = _lexicon(language or "und")
    table, longest, lp = lexicon
    matches = list(_TOKEN.finditer(text))
    tokens = [_norm(m.group()) for m in matches]
    parsed = {t.idx: t for t in doc} if doc is not None else {}
    stop = {_bare(w) for w in lp.stop_words}
    out: list[Quantity] = []
    i = 0
    while i < len(tokens):
        entry, n = _match(tokens, i, table, longest)
        approx = "approx" in entry
        read = _read(matches, tokens, i + n if approx else i, lexicon)
        if read is None:
            i += 1
            continue
        start, (k, low, high) = matches[i].start(), read
        i = k
        written = text[start : matches[k - 1].end()]
        if len(written) == 4 and written.isdigit() and int(written) in _YEARS:
            continue  # a year
        entry, n = _match(tokens, k, table, longest)
        if "joiner" in entry:
            k += n
            entry, n = _match(tokens, k, table, longest)
        if k >= len(tokens) or {"unit", "value", "multiplier"} & entry.keys():
            continue  # a date, a unit or a percentage, or two numbers in a row
        word = matches[k]
        if doc is not None:
            token = parsed.get(word.start())
            if token is None or token.pos_ != "NOUN":
                continue
            noun = _norm(token.lemma_)
        elif word.group().isalpha() and _bare(word.group()) not in stop:
            noun = _singular(tokens[k], lp.numbers.plural_endings)
        else:
            continue
        out.append(Quantity(Span.of(text, start, word.end()), noun, low, high, approx))
    return out


def _singular(word: str, endings: tuple[str, ...]) -> str:
    for ending in sorted(endings, key=len, reverse=True):
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            return word[: -len(ending)]
    return word


def _headline_end(text: str) -> int:
    """Where the headline ends: the first blank line after at most three short lines, else the
    end of the first line."""
    lines = text.split("\n")
    first = len(lines[0])
    offset = 0
    for count, line in enumerate(lines):
        if not line.strip():
            return offset if count <= _HEADLINE_LINES else first
        if len(line) > _HEADLINE_CHARS:
            break
        offset += len(line) + 1
    return first if first <= _HEADLINE_CHARS else 0


def _overlap(a: Quantity, b: Quantity, tolerance: float) -> bool:
    """Whether the two ranges meet, each widened by ``tolerance`` if written as approximate."""
    (al, ah), (bl, bh) = (
        (q.low * (1 - share), q.high * (1 + share))
        for q in (a, b)
        for share in (tolerance if q.approximate else 0.0,)
    )
    return al <= bh and bl <= ah


def _context(text: str, span: Span, lexicon: _Lexicon, reach: int) -> set[str]:
    """The content words of the span's sentence around it (``reach`` each side, 0: all),
    by their first five letters without accents, so "envoyés" meets "envoyé"."""
    start = text.rfind("\n", 0, span.start) + 1
    end = text.find("\n", span.end) % (len(text) + 1)  # -1 (no newline): the text's end
    table, _, lp = lexicon
    stop = {_bare(w) for w in lp.stop_words}

    def words(piece: str) -> list[str]:
        found = (_bare(m.group()) for m in _WORD.finditer(piece))
        return [w[:5] for w in found if w not in stop and (w,) not in table]

    before = words(_SENTENCE_END.split(text[start : span.start])[-1])
    after = words(_SENTENCE_END.split(text[span.end : end], maxsplit=1)[0])
    return set(before[-reach:] + after[:reach] if reach else before + after)


def _shown(q: Quantity) -> str:
    figures = "–".join(
        dict.fromkeys(f"{v:,.0f}" if v.is_integer() else f"{v:,}" for v in (q.low, q.high))
    )
    return ("about " if q.approximate else "") + figures


def propose(text: str, language: str | None, doc: Any = None) -> list[NumberConflict]:
    """The headline quantities the body does not confirm, each against every body quantity of
    its noun said in the same context (see the module). ``doc`` is the article's parse; by
    default it is made here (None without a parser: the rules read the text alone)."""
    if doc is None:
        doc = _parse.analysed(text, language)
    lexicon = _lexicon(language or "und")
    tolerance = lexicon[2].numbers.tolerance
    end = _headline_end(text)
    found = quantities(text, language, doc)
    body = [q for q in found if q.span.start >= end]
    out: list[NumberConflict] = []
    for h in (q for q in found if q.span.end <= end):
        around = _context(text, h.span, lexicon, 0)
        near = [b for b in body if around & _context(text, b.span, lexicon, _REACH)]
        if h.figure and any(b.figure and _overlap(h, b, tolerance) for b in near):
            continue  # the body repeats the figure, whatever it calls the thing
        same = [b for b in body if b.noun == h.noun]
        if any(_overlap(h, b, tolerance) and (b.figure or not h.figure) for b in same):
            continue
        for b in (b for b in same if b in near):  # else another group ("au sol", "à bord")
            kind: Why = "vaguer" if _overlap(h, b, tolerance) else "differ"
            why = f"the headline says '{h.span.text}' ({_shown(h)}), the body "
            why += f"'{b.span.text}' ({_shown(b)}): "
            why += "only a range, never that figure" if kind == "vaguer" else "they differ"
            values = ((h.low, h.high), (b.low, b.high))
            out.append(NumberConflict(h.noun, (h.span, b.span), values, kind, why))
    return out

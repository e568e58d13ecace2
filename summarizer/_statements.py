"""Stage 2 with a parser: the statements of an article, and who makes each, from the parse.

Where :mod:`summarizer._parse` has a model for the language, every attribution it finds is a
statement: its content (the quotation, or the complement clause of indirect speech, as PARC
and PolNeAR mark it), its cue and, where the parse gives one, its speaker. Several statements
may share a sentence. The speaker's name is made canonical ("M. Ryder" after "Patrick Ryder" is
Patrick Ryder) and typed from the entity the parser labelled; "Selon X, Y estime …" is Y's
statement relayed by X. The model is asked the speaker only where the parse gives none.

Languages with no parser keep the sentence path of :mod:`summarizer._attribution`
(:func:`find` returns ``None``).
"""

from __future__ import annotations

from dataclasses import dataclass

from summarizer._candidates import every_name, imitates_prompt, relayed_statement
from summarizer._document import Document
from summarizer._parse import Attribution, Parse, parse
from summarizer.models import SourceType, Span

__all__ = ["RULES_VERSION", "Statement", "find"]

RULES_VERSION = "statements-1"

_TYPES = {
    "person": SourceType.named_on_record,
    "organisation": SourceType.institution,
    "place": SourceType.institution,  # "le Pentagone", "Washington": an institution speaks
    "group": SourceType.anonymous_described,
}


@dataclass(frozen=True)
class Statement:
    """One statement found by the parse, in text order; ``key`` numbers it from 1."""

    key: int
    sentence: int
    """The number of the article sentence ([S n]) its content starts in."""
    content: Span
    cue: Span | None
    speaker: str | None
    """The canonical name of who makes it, or None when the parse found no speaker."""
    speaker_type: SourceType
    relayed_by: str | None = None


def find(doc: Document) -> list[Statement] | None:
    """The article's statements from its parse, or None when its language has no parser."""
    parsed = parse(doc.text, doc.language)
    if parsed is None:
        return None
    names = every_name(doc.text)
    found: list[_Found] = []
    for a in parsed.attributions:
        sentence = doc.sentence_at(a.contents[0].start)
        if any(imitates_prompt(t) for t in (doc.sentences[sentence - 1].text, a.contents[0].text)):
            continue  # a fake answer or instruction written in the article is not a statement
        found.append((a, sentence, *_speaker(doc, a, sentence, names)))
    found = _fold_relays(found)
    canon = _canonical([n for _a, _s, *pair in found for n in pair if n])
    out: list[Statement] = []
    for a, sentence, speaker, relay in found:
        out.append(
            Statement(
                key=len(out) + 1,
                sentence=sentence,
                content=doc.cut(a.contents[0].start, a.contents[-1].end),
                cue=doc.cut(a.cue.start, a.cue.end) if a.cue else None,
                speaker=canon[speaker] if speaker else None,
                speaker_type=_type_of(parsed, a, speaker),
                relayed_by=canon[relay] if relay else None,
            )
        )
    return out


def _speaker(
    doc: Document, a: Attribution, sentence: int, names: list[str]
) -> tuple[str | None, str | None]:
    """(speaker, relay): the parse's speaker, unless the sentence reads "Selon X, Y …" and the
    parse named X, the relay."""
    speaker = a.speaker_name
    relayed = relayed_statement(doc.sentences[sentence - 1].text, names)
    if relayed is not None and (speaker is None or _same(speaker, relayed[0])):
        return relayed[1], relayed[0]
    return speaker, None


_Found = tuple[Attribution, int, str | None, str | None]


def _fold_relays(found: list[_Found]) -> list[_Found]:
    """ "Selon X, Y estime que C": the parse gives X's relay of "Y estime que C" and Y's "C";
    one statement is left, Y's C relayed by X."""
    out = list(found)
    for outer in found:
        a, sentence, speaker, relay = outer
        if relay is None or speaker is None:
            continue
        inner = next(
            (
                f
                for f in out
                if f is not outer
                and f[1] == sentence
                and f[3] is None
                and f[2] is not None
                and _same(f[2], speaker)
                and a.contents[0].start <= f[0].contents[0].start
                and f[0].contents[-1].end <= a.contents[-1].end
            ),
            None,
        )
        if inner is not None:
            out[out.index(inner)] = (inner[0], inner[1], inner[2], relay)
            out.remove(outer)
    return out


def _type_of(parsed: Parse, a: Attribution, speaker: str | None) -> SourceType:
    if speaker is None:
        return SourceType.anonymous_unspecified
    spans = [a.speaker] if a.speaker else []
    for n in parsed.names:
        if any(n.span.start <= s.start < n.span.end for s in spans) or n.span.text == speaker:
            return _TYPES.get(n.label, SourceType.named_on_record)
    # No entity under the speaker: "un responsable", "les enquêteurs" are described sources.
    return SourceType.named_on_record if speaker[:1].isupper() else SourceType.anonymous_described


def _same(a: str, b: str) -> bool:
    """Whether two mentions denote one source: equal but for case, or the shorter is the
    other's last word, alone or after a title or a determiner ("Ryder", "M. Ryder",
    "le Pentagone" for "Patrick Ryder" and "Le Pentagone")."""
    if a.casefold() == b.casefold():
        return True
    short, long = sorted((a.split(), b.split()), key=len)
    if not short or short[-1].casefold() != long[-1].casefold():
        return False
    titled = len(short) == 2 and (not short[0][:1].isupper() or short[0].endswith("."))
    return (len(short) == 1 and len(long) > 1) or titled


def _canonical(names: list[str]) -> dict[str, str]:
    """Each speaker mention → the longest mention of the same source in the article."""
    out: dict[str, str] = {}
    for name in names:
        same = [n for n in names if _same(name, n)]
        out[name] = max(same, key=len)  # the first of the longest: max keeps the first
    return out

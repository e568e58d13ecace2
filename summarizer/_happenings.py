"""Events and figures of the summary from the rules, the model marking which matter.

Where the language has a parser, every event mention of a trigger class that
:mod:`summarizer._events` finds is an event of the summary, with its arguments, place and
time cut from the text; the overview's answer (:mod:`summarizer._overview`), which names a
few events by sentence and trigger word, marks those as ``key`` (and adds a mention of no
class it names: "l'usine fermera"). What the model names that the rules did not find (a
reporting verb such as "annonce", "estime") is not an event. An event inside a
statement's content is told by that statement's speaker (``reported_by``), and is ``alleged``
unless the rules found it denied or planned: "le Pentagone estime que 2 000 soldats ont été
envoyés" is the Pentagon's allegation, not a fact of the article.

Figures that disagree between the headline and the body (proposed by
:mod:`summarizer._numbers`, kept when the model says both count one group:
:mod:`summarizer._figures`) are inconsistencies with both spans, basis ``model+cue``; the
model's own inconsistencies are kept beside them.
"""

from __future__ import annotations

from summarizer import _events
from summarizer._claims import Statements
from summarizer._document import Document
from summarizer._figures import Figures
from summarizer.models import (
    Basis,
    Event,
    EventArgument,
    EventStatus,
    Inconsistency,
    OverviewAnswer,
)

__all__ = ["events", "inconsistencies"]

_TOLD = frozenset({EventStatus.occurred, EventStatus.ongoing})
"""Statuses that become ``alleged`` inside a statement: the article does not assert them."""


def events(
    doc: Document, statements: Statements, answer: OverviewAnswer
) -> list[tuple[int, Event]]:
    """The events of a trigger class with their sentence numbers, or [] when the language has
    no parser (the overview's own events are then the article's)."""
    listed = {(e.sentence, e.trigger.casefold()) for e in answer.events}
    sources = {s.name.casefold(): s.id for s in statements.sources}
    out: list[tuple[int, Event]] = []
    for c in _events.candidates(doc.text, doc.language, doc.published):
        n = doc.sentence_at(c.trigger.start)
        word = c.trigger.text.casefold()
        key = any(s == n and (word == w or word in w.split()) for s, w in listed)
        if c.event_class is None and not key:
            continue  # a verb of no class is an event only when the model names it
        teller = next(iter(statements.telling(c.trigger.start)), None)
        status = EventStatus(c.status)
        if teller is not None and status in _TOLD:
            status = EventStatus.alleged
        event = Event(
            id=f"e{len(out) + 1}",
            what=_what(c),
            trigger=doc.cut(c.trigger.start, c.trigger.end),
            event_class=c.event_class,
            arguments=[
                EventArgument(
                    role=a.role,
                    span=doc.cut(a.span.start, a.span.end),
                    source=sources.get(a.span.text.casefold()),
                )
                for a in c.arguments
            ],
            when=c.when,
            status=status,
            reported_by=teller.speaker if teller is not None else None,
            key=key,
        )
        out.append((n, event))
    return out


def _what(c: _events.EventCandidate) -> str:
    """A few words: the trigger, then its first participant and its place, as written."""
    words = [c.trigger.text]
    first = next((a for a in c.arguments if a.role != "Place"), None)
    place = next((a for a in c.arguments if a.role == "Place"), None)
    words += [a.span.text for a in (first, place) if a is not None]
    return " · ".join(words)[:120]


def inconsistencies(doc: Document, answer: OverviewAnswer, figures: Figures) -> list[Inconsistency]:
    """The figures the model says count one group (the rule proposed them, :mod:`_figures`),
    then the model's own inconsistencies that do not repeat one."""
    out = [
        Inconsistency(
            id=f"i{n}",
            what=conflict.why,
            spans=[doc.cut(s.start, s.end) for s in conflict.spans],
            basis=Basis.model_and_cue,
        )
        for n, conflict in enumerate((c for c, same in figures if same), 1)
    ]
    covered = [frozenset(doc.sentence_at(s.start) for s in i.spans) for i in out]
    for i in answer.inconsistencies:
        sentences = frozenset(i.sentences)
        if any(sentences <= c or c <= sentences for c in covered):
            continue
        out.append(
            Inconsistency(
                id=f"i{len(out) + 1}",
                what=i.what,
                spans=[doc.span([m]) for m in sorted(sentences)],
            )
        )
    return out

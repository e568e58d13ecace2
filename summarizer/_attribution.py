"""Pass 1, attribute: who says each statement, and whether it is a claim or a response.

With a parser (:mod:`summarizer._statements`) the parse finds the statements and their
speakers; the model labels them several at a time (:mod:`summarizer._labels`) and is asked the
speaker, one sentence at a time, only where the parse found none. Without a parser, every
statement sentence (a reporting verb or a quotation) gets one narrow question.

In that sentence question the speaker is picked from the names found in the sentence (a
grammar enum on llama.cpp), then corrected where the words leave no doubt: "Selon X, Y
estime …" is Y relayed by X, and in a language whose subject comes before the verb,
"Warren said" is Warren's.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TypeVar

from summarizer import _labels, _statements, prompts
from summarizer._candidates import (
    REPORTER,
    UNNAMED,
    every_name,
    mentions,
    relayed_statement,
    speaker_next_to_verb,
    statement_sentences,
    without_contained,
)
from summarizer._claims import Attributed, sentence_quote
from summarizer._document import Document, as_data, one_line
from summarizer._packs import pack
from summarizer._parallel import Parallel, in_order, side_by_side
from summarizer.client import Meter, ModelClient
from summarizer.grounding import Sentence, quoted_segments
from summarizer.models import AttributionAnswer, SourceType, attribution_model

__all__ = ["ANSWER", "apply", "ask", "system_message", "user_message"]

T = TypeVar("T")

ANSWER = attribution_model
"""The answer model: the speaker is one of the names offered."""
_MAX_OPTIONS = 12
"""Names offered for one sentence at most, in order of first mention (2 of 403 statement
sentences of the dev data name more). Every name of the article may be offered: a cap on the
article's names (24 until November 2026) left 38 % of those sentences without one of theirs."""


def system_message() -> dict[str, str]:
    return {
        "role": "system",
        "content": prompts.render("attribution.system", reporter=REPORTER, unnamed=UNNAMED),
    }


def user_message(doc: Document, names: list[str], n: int) -> tuple[list[str], str]:
    """The names offered for sentence ``n`` and the user message asking who says it."""
    # The sentence and the one before it, and only the names written in the sentence (in
    # the one before for "she said"): with the whole article and every name in view, or
    # with "unnamed source" on offer, the 1.5B model gave statements to the wrong person.
    window = doc.sentences[max(n - 2, 0) : n]
    here = _names_in(doc, names, window[-1:])[:_MAX_OPTIONS]
    options = here or [*_names_in(doc, names, window)[:_MAX_OPTIONS], REPORTER, UNNAMED]
    user = prompts.render(
        "attribution.user",
        context=[{"id": s.id, "text": as_data(one_line(s.text))} for s in window],
        sentence=n,
        names=options,
    )
    return options, user


async def ask(
    client: ModelClient,
    doc: Document,
    chunks: list[list[Sentence]],
    meter: Meter,
    parallel: Parallel,
) -> list[Attributed]:
    """Every statement attributed, in text order."""
    found = _statements.find(doc)
    if found is None:
        return await _by_sentence(client, doc, meter, parallel)
    statements = _capped(found, client, meter, lambda s: f"S{s.sentence}")
    named = [s for s in statements if s.speaker is not None]
    asked = list(dict.fromkeys(s.sentence for s in statements if s.speaker is None))
    labels, speakers = await side_by_side(
        [
            partial(_labels.ask, client, doc, chunks, named, meter, parallel),
            partial(_sentences, client, doc, asked, meter, parallel),
        ],
        parallel,
    )
    return [
        Attributed(
            s.key,
            s.sentence,
            s.content,
            speakers[s.sentence] if s.speaker is None else _labels.apply(s, labels[s.key]),
        )
        for s in statements
    ]


def _capped(
    found: list[T], client: ModelClient, meter: Meter, where: Callable[[T], str]
) -> list[T]:
    """The first ``max_statements`` of ``found``, with a warning naming what was left out."""
    kept = found[: client.settings.max_statements or None]
    if len(found) > len(kept):
        meter.warnings.append(
            f"only the first {len(kept)} of {len(found)} statements were attributed; the "
            f"rest, from {where(found[len(kept)])} on, are not listed "
            "(SUMMARIZER_MAX_STATEMENTS=0 lists every one)"
        )
    return kept


async def _by_sentence(
    client: ModelClient, doc: Document, meter: Meter, parallel: Parallel
) -> list[Attributed]:
    """The path with no parser: each statement sentence is a statement."""
    ids = _capped(statement_sentences(doc.sentences, doc.aligned), client, meter, lambda n: f"S{n}")
    answers = await _sentences(client, doc, ids, meter, parallel)
    return [Attributed(k, n, sentence_quote(doc, n), answers[n]) for k, n in enumerate(ids, 1)]


async def _sentences(
    client: ModelClient, doc: Document, ids: list[int], meter: Meter, parallel: Parallel
) -> dict[int, AttributionAnswer]:
    """The corrected answer for each sentence of ``ids``: one question each."""
    if not ids:
        return {}
    all_names = every_name(doc.text)  # for the name next to the verb; the model gets fewer
    names = without_contained(all_names)
    quotes = quoted_segments(doc.text, 0, len(doc.text))
    system = system_message()

    async def one(n: int) -> AttributionAnswer:
        options, user = user_message(doc, names, n)
        answer = await client.ask(
            ANSWER(options),
            [system, {"role": "user", "content": user}],
            meter=meter,
            context=doc.context,
            max_tokens=120,
        )
        return apply(doc, n, answer, options, all_names, quotes)

    answers = await in_order([partial(one, n) for n in ids], parallel)
    return dict(zip(ids, answers, strict=True))


def apply(
    doc: Document,
    n: int,
    answer: AttributionAnswer,
    options: list[str],
    names: list[str],
    quotes: list[tuple[int, int]],
) -> AttributionAnswer:
    """The model's answer for sentence ``n``, corrected where the sentence's words say who
    speaks (``names``: every name of the article, ``quotes``: its quotations)."""
    sentence = doc.sentences[n - 1]
    relayed = relayed_statement(sentence.text, options)
    if relayed is not None and answer.speaker in (relayed[0], UNNAMED, REPORTER):
        # "Selon X, Y estime …": the 1.5B model names the relay X as the speaker.
        return answer.model_copy(update={"speaker": relayed[1], "relayed_by": relayed[0]})
    named = (
        speaker_next_to_verb(doc.text, sentence, quotes, names)
        if pack(doc.language).subject_before_verb
        else None
    )
    if named is not None and not _same_source(named, answer.speaker):
        # "Warren said", "…,” said Erin Murphy": the 1.5B model often picks another name
        # of the sentence, or none (measured in EVAL.md).
        kind = answer.speaker_type
        if answer.speaker in (REPORTER, UNNAMED):
            kind = SourceType.named_on_record
        answer = answer.model_copy(update={"speaker": named, "speaker_type": kind})
    return answer


def _same_source(name: str, other: str) -> bool:
    """Whether two speaker names denote the same source: equal, or one a mention of the other
    ("Figueroa" and "Melezia Figueroa")."""
    return name == other or other in mentions(name) or name in mentions(other)


def _names_in(doc: Document, names: list[str], sentences: list[Sentence]) -> list[str]:
    """The names mentioned in ``sentences``, whole or by surname alone."""
    return [
        n
        for n in names
        if any(doc.aligned.find(m, s.start, s.end) for m in mentions(n) for s in sentences)
    ]

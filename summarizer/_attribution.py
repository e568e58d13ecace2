"""Pass 1, attribute: one narrow question per statement sentence, who says it and how.

The speaker is picked from the names found in the sentence (a grammar enum on llama.cpp),
then corrected where the words leave no doubt: "Selon X, Y estime …" is Y relayed by X, and
in a language whose subject comes before the verb, "Warren said" is Warren's.
"""

from __future__ import annotations

from functools import partial

from summarizer import prompts
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
from summarizer._document import Document, as_data, one_line
from summarizer._packs import pack
from summarizer._parallel import Parallel, in_order
from summarizer.client import Meter, ModelClient
from summarizer.grounding import Sentence, quoted_segments
from summarizer.models import AttributionAnswer, SourceType, attribution_model

__all__ = ["ANSWER", "apply", "ask", "system_message", "user_message"]

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
    client: ModelClient, doc: Document, meter: Meter, parallel: Parallel
) -> dict[int, AttributionAnswer]:
    """The corrected answer for each statement sentence attributed, by sentence number."""
    found = statement_sentences(doc.sentences, doc.aligned)
    ids = found[: client.settings.max_statements or None]
    if len(found) > len(ids):
        meter.warnings.append(
            f"only the first {len(ids)} of {len(found)} statement sentences were attributed "
            f"(one model question each); the rest, from S{found[len(ids)]} on, are not listed "
            "(SUMMARIZER_MAX_STATEMENTS=0 lists every one)"
        )
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

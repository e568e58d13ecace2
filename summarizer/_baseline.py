"""The rule-based baseline of ``summarizer eval``: quotations plus a nearby speech verb.

No model: every text between quotation marks (« », “ ”, „ “, straight quotes; three words or
more) is an attribution; its speaker is the name (or pronoun) nearest to a reporting verb of
the language packs (``prompts/packs/``) in the same sentence, else in the sentence before. It
finds no indirect speech and no events, so any model pipeline has to beat it where it matters.
Evidence and stance come from the packs' cue phrases, then evidence and commitment from the
grammar cues of :mod:`summarizer._grammar` ("unclear" and ``asserted`` without one), which is
what the pipeline's ``basis: cue`` judgements do before any model is asked.

:func:`parse_baseline_prediction` is the same baseline rebuilt on the parser front end
(:mod:`summarizer._parse`): every attribution the parse finds, direct or indirect, with its
resolved speaker. A language with no parser model falls back to the quotation rules above.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from summarizer import _parse
from summarizer._candidates import find_cues, name_pattern, not_names, outside_quotes, speech_verbs
from summarizer._grammar import Article
from summarizer._packs import every_pack, phrase_pattern
from summarizer.grounding import AlignedText, Sentence, quoted_segments, segment

__all__ = ["BASELINES", "baseline_prediction", "parse_baseline_prediction"]


@cache
def _pronoun() -> re.Pattern[str]:
    """A speaker pronoun ("il", "she"), or one after an inverted auxiliary ("a-t-il")."""
    pack = every_pack()
    words = "|".join(phrase_pattern(w) for w in pack.speaker_pronouns)
    inverted = [i for infixes in pack.auxiliary_inversions.values() for i in infixes]
    tail = "".join(f"|{phrase_pattern(i)}\\b" for i in inverted)
    return re.compile(rf"\b(?:{words})\b{tail}", re.IGNORECASE)


@cache
def _after_verb() -> re.Pattern[str]:
    """ "a indiqué la police", "a déclaré le porte-parole du Pentagone, Patrick Ryder"."""
    articles = "|".join(phrase_pattern(a) for a in every_pack().speaker_articles)
    return re.compile(
        rf"\s*(?P<np>(?:{articles})\s*[^\W\d][^.;:,«»“”\"()\n]{{1,60}})"
        r"(?:,\s*(?P<name>[A-ZÀ-Ö][\w’'-]+(?:\s+[A-ZÀ-Ö][\w’'-]+)+))?",
        re.IGNORECASE,
    )


_ANTECEDENT_REACH = 400
_SPEAKER_REACH = 80  # characters between a reporting verb and its speaker
_STANCES = ("denies", "disputes", "deflects", "qualifies")  # the cues the pipeline also trusts


def baseline_prediction(doc_id: str, text: str, language: str | None = None) -> dict[str, Any]:
    """The baseline's prediction for one document, in the gold prediction format."""
    sentences = segment(text, language)
    aligned = AlignedText(text)
    grammar = Article(text, language)
    quotes = quoted_segments(text, 0, len(text))
    attributions = []
    for start, end in quotes:
        at = _sentence_at(sentences, start)
        speaker, cue = None, None
        if at is not None:
            where = [at] + ([sentences[at.id - 2]] if at.id > 1 else [])
            for s in where:
                speaker, cue = _speaker(text, s, quotes)
                if cue is not None:
                    break
        attributions.append(
            {
                "speaker": speaker,
                "cue": cue,
                "content": text[start:end],
                **_judged(grammar, sentences, at, aligned, (start, end)),
            }
        )
    return {"id": doc_id, "attributions": attributions, "events": []}


def parse_baseline_prediction(
    doc_id: str, text: str, language: str | None = None
) -> dict[str, Any]:
    """The parse-based baseline's prediction; the quotation baseline's where no parser is."""
    parsed = _parse.parse(text, language)
    if parsed is None:
        return baseline_prediction(doc_id, text, language)
    sentences = segment(text, language)
    aligned = AlignedText(text)
    grammar = Article(text, language)
    attributions = []
    for a in parsed.attributions:
        first = a.contents[0]
        at = _sentence_at(sentences, first.start)
        attributions.append(
            {
                "speaker": a.speaker_name,
                "cue": a.cue.text if a.cue else None,
                "content": " ".join(c.text for c in a.contents),
                **_judged(grammar, sentences, at, aligned, (first.start, first.end)),
            }
        )
    return {"id": doc_id, "attributions": attributions, "events": []}


BASELINES = {"rules": baseline_prediction, "parse": parse_baseline_prediction}
"""The baselines ``summarizer eval --baseline`` can score beside the model."""


def _sentence_at(sentences: list[Sentence], offset: int) -> Sentence | None:
    return next((s for s in sentences if s.start <= offset < s.end), None)


def _speaker(
    text: str, sentence: Sentence, quotes: list[tuple[int, int]]
) -> tuple[str | None, str | None]:
    """(speaker, cue) of the first reporting verb outside quotations in ``sentence``.

    The speaker is the description right after the verb (a name in apposition wins), else the
    name or pronoun nearest to the verb; a pronoun is replaced by the last name before it.
    """
    part = text[sentence.start : sentence.end]
    for verb in speech_verbs().finditer(part):
        v_start, v_end = sentence.start + verb.start(), sentence.start + verb.end()
        if not outside_quotes(v_start, quotes):
            continue
        after = _after_verb().match(text, v_end, sentence.end)
        if after is not None:
            return after["name"] or after["np"].strip(), verb.group(0)
        best: tuple[int, int, str, bool] | None = None
        candidates = [(*n, False) for n in _names(part)] + [(*p, True) for p in _pronouns(part)]
        for s_, e_, found, pronoun in candidates:
            s, e = sentence.start + s_, sentence.start + e_
            if not outside_quotes(s, quotes):
                continue
            distance = v_start - e if e <= v_start else s - v_end
            if 0 <= distance <= _SPEAKER_REACH and (best is None or distance < best[0]):
                best = (distance, s, found, pronoun)
        if best is None:
            return None, verb.group(0)
        if best[3]:
            return _antecedent(text, best[1]) or best[2], verb.group(0)
        return best[2], verb.group(0)
    return None, None


def _antecedent(text: str, before: int) -> str | None:
    """The last name written in the few hundred characters before ``before``."""
    start = max(0, before - _ANTECEDENT_REACH)
    names = _names(text[start:before])
    return names[-1][2] if names else None


def _names(part: str) -> list[tuple[int, int, str]]:
    out = []
    for m in name_pattern().finditer(part):
        words = m.group(0).split()
        skip = 0
        while skip < len(words) and words[skip].casefold().rstrip(".’'") in not_names():
            skip += 1
        name = " ".join(words[skip:]).strip("’'-")
        if len(name) >= 3 and name.casefold() not in not_names():
            out.append((m.start() + m.group(0).find(name), m.end(), name))
    return out


def _pronouns(part: str) -> list[tuple[int, int, str]]:
    # "-t-il" is "il"
    return [(m.start(), m.end(), m.group(0).rsplit("-", 1)[-1]) for m in _pronoun().finditer(part)]


def _judged(
    grammar: Article,
    sentences: list[Sentence],
    at: Sentence | None,
    aligned: AlignedText,
    content: tuple[int, int],
) -> dict[str, str | None]:
    """Evidence, stance and commitment of one statement, from cues alone."""
    commitment = grammar.commitment(*content)
    evidence = _evidence(sentences, at, aligned)
    if evidence is None and at is not None:
        mark = grammar.evidence(*content, (at.start, at.end))
        evidence = mark.label if mark else None
    return {
        "evidence": evidence or "unclear",
        "stance": _stance(sentences, at, aligned),
        "commitment": commitment.label if commitment else "asserted",
    }


def _evidence(sentences: list[Sentence], at: Sentence | None, aligned: AlignedText) -> str | None:
    """The first evidence cue in the quote's sentence or the next two."""
    if at is None:
        return None
    ids = list(range(at.id, min(at.id + 2, len(sentences)) + 1))
    cues = find_cues("evidence", sentences, ids, aligned)
    return cues[0].label if cues else None


def _stance(sentences: list[Sentence], at: Sentence | None, aligned: AlignedText) -> str | None:
    if at is None:
        return None
    cues = [c for c in find_cues("stance", sentences, [at.id], aligned) if c.label in _STANCES]
    return cues[0].label if cues else None

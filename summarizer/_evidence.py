"""Pass 3, evidence: does the article show what a claim rests on?

A cue phrase of the language packs in the claim's sentence or the next two settles it
("n'a fourni aucune preuve" is a finding the reader can check), and so does the claim's
grammar (a promise needs no evidence); only the claims left are asked about, up to
:data:`GROUP` of one article part in one question, each by its id (as the labels pass asks):
one request per claim was most of an article's requests. Asked for one label of six, the
1.5B model answered "provided" almost everywhere; it is asked two small questions instead
(:class:`~summarizer.models.EvidenceAnswer`): what kind of statement it is (only a fact has
evidence to look for), and for a fact what the article shows. An answer that says the
article shows evidence must name the sentence that shows it, and a label whose probability
is under :data:`THRESHOLD` (when the endpoint returns log-probabilities) is reported
``unclear`` with the model's guess in the note. Responses are not assessed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial

from pydantic import BaseModel

from summarizer import _by_id
from summarizer._claims import Draft, Statements, cues
from summarizer._document import Document, as_data, one_line
from summarizer._grammar import article
from summarizer._parallel import Parallel
from summarizer.client import Meter, ModelClient
from summarizer.grounding import Sentence
from summarizer.models import Basis, ClaimKind, Evidence, EvidenceAnswer, EvidenceStatus

__all__ = [
    "GROUP",
    "THRESHOLD",
    "Judged",
    "apply",
    "ask",
    "evidence_model",
    "messages",
    "model_evidence",
]

GROUP = 6
"""Claims asked about in one question at most: the answer stays under 200 tokens."""
THRESHOLD = 0.7
"""A model label less probable than this is reported ``unclear``. Chosen on the tune half of
our gold (``benchmarks/threshold_sweep.py``, ``benchmarks/threshold_sweep.json``): the best
macro-F1 of 0.0–0.9 there (0.628, against 0.606 at the a-priori 0.5). The sweep is nearly
flat (accuracy 0.600–0.667): the kind of statement is the only answer it moves, since a fact
the article "shows" evidence for comes with no sentence and is ``unclear`` anyway."""
_NEEDS_NO_SENTENCE = frozenset({EvidenceStatus.not_applicable, EvidenceStatus.unclear})
"""Evidence answers that say the article shows nothing, so need no sentence to point to."""


@dataclass(frozen=True)
class Judged:
    """The model's evidence answer about one claim, with how sure it was of the label."""

    answer: EvidenceAnswer
    probability: float | None = None


def evidence_model(ids: list[str]) -> type[BaseModel]:
    """The answer for claims ``ids``: one required :class:`EvidenceAnswer` per id."""
    return _by_id.model("ClaimsEvidence", EvidenceAnswer, ids)


def _id(draft: Draft) -> str:
    return f"C{draft.key}"


def messages(doc: Document, chunk: list[Sentence], group: list[Draft]) -> list[dict[str, str]]:
    rows = [
        {
            "id": _id(d),
            "sentence": d.sentence,
            "speaker": d.answer.speaker,
            "claim": as_data(one_line(d.quote.text)[:300]),
        }
        for d in group
    ]
    return _by_id.messages(doc, chunk, "evidence.user", claims=rows)


async def ask(
    client: ModelClient,
    doc: Document,
    chunks: list[list[Sentence]],
    statements: Statements,
    meter: Meter,
    parallel: Parallel,
) -> dict[int, Judged]:
    """The answers about the claims no cue settles, by statement key."""
    asked = [
        d
        for d in statements.drafts
        if d.target is None and _cue_evidence(doc, statements, d) is None
    ]
    confidence: dict[str, float] = {}
    pairs = await _by_id.ask(
        client, doc, chunks, asked, ident=_id, name="ClaimsEvidence", item=EvidenceAnswer,
        render=partial(messages, doc), size=GROUP, item_tokens=36, meter=meter,
        parallel=parallel, confidence=confidence,
    )  # fmt: skip
    return {d.key: Judged(answer, _probability(answer, _id(d), confidence)) for d, answer in pairs}


def _probability(answer: EvidenceAnswer, ident: str, confidence: dict[str, float]) -> float | None:
    """How sure the model was of the status its two answers make: of the statement's kind,
    and for a fact of the evidence answer too."""
    kind = confidence.get(f"{ident}.statement")
    if kind is None or answer.statement is not ClaimKind.fact:
        return kind
    shown = confidence.get(f"{ident}.evidence")
    return None if shown is None else round(kind * shown, 4)


def apply(
    doc: Document, statements: Statements, draft: Draft, answers: Mapping[int, Judged]
) -> Evidence:
    """The evidence status of ``draft``: its cue's, else (for a claim) the model's answer's."""
    found = _cue_evidence(doc, statements, draft)
    if found is not None:
        return found
    if draft.target is not None:
        return Evidence(
            status=EvidenceStatus.unclear,
            note="evidence is not assessed for responses",
            basis=Basis.not_assessed,
        )
    judged = answers.get(draft.key)
    if judged is None:
        return Evidence(status=EvidenceStatus.unclear, basis=Basis.not_assessed)
    return model_evidence(judged.answer, draft.sentence, doc, judged.probability)


def _cue_evidence(doc: Document, statements: Statements, draft: Draft) -> Evidence | None:
    found = cues(doc, "evidence", statements.window(draft, len(doc.sentences)))
    if not found:
        return _grammar_evidence(doc, draft)
    return Evidence(
        status=EvidenceStatus(found[0].label),
        cue=doc.cut(found[0].start, found[0].end),
        basis=Basis.cue,
    )


def _grammar_evidence(doc: Document, draft: Draft) -> Evidence | None:
    """What the claim's grammar settles: nothing to evidence (a promise, a call, a forecast …)
    or a checkable source named as its subject or relay ("selon le rapport")."""
    sentence = doc.sentences[draft.sentence - 1]
    mark = article(doc.text, doc.language).evidence(
        draft.quote.start, draft.quote.end, (sentence.start, sentence.end)
    )
    if mark is None:
        return None
    return Evidence(
        status=EvidenceStatus(mark.label),
        cue=doc.cut(mark.start, mark.end),
        note=mark.note(doc.text),
        basis=Basis.cue,
    )


def model_evidence(
    answer: EvidenceAnswer, claim_sentence: int, doc: Document, probability: float | None = None
) -> Evidence:
    """The model's evidence answer as reported: a status that says the article shows something
    needs the sentence that shows it, and a status the model was unsure of is ``unclear``."""
    if probability is not None and probability < THRESHOLD:
        return Evidence(
            status=EvidenceStatus.unclear,
            basis=Basis.model,
            confidence=probability,
            note=f"the model was unsure: its best guess, {answer.status.value}, has probability "
            f"{probability:.2f}",
        )
    if answer.cue_sentence is None and answer.status not in _NEEDS_NO_SENTENCE:
        # "The article shows evidence" with no sentence that shows it cannot be checked; the
        # 1.5B model answers `provided` this way for most claims, opinions included.
        return Evidence(
            status=EvidenceStatus.unclear,
            basis=Basis.model,
            confidence=probability,
            note=f"the model said {answer.status.value} but named no sentence showing it",
        )
    # A cue is worth showing when it points elsewhere than the claim's own sentence.
    cue = (
        doc.span([answer.cue_sentence])
        if answer.cue_sentence and answer.cue_sentence != claim_sentence
        else None
    )
    return Evidence(
        status=answer.status,
        cue=cue,
        basis=Basis.model,
        confidence=probability,
        note="the model's judgement, not backed by a cue phrase",
    )

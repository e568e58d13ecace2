"""Scoring predicted attributions and events against gold annotations: pure functions, no I/O.

The rules are those of the shared evaluation data (``../shared/eval/README.md``), so numbers
computed here can be compared with theirs:

* **content**: tokens are lower-cased ``\\w+`` runs; a prediction matches a gold unit when the
  overlap coefficient |P∩G| / min(|P|, |G|) of their token multisets is at least 0.5 and they
  share at least min(3, |P|, |G|) tokens; one-to-one, greedy by decreasing similarity. Gold
  records sharing a ``group`` are one unit (tokens pooled).
* **speaker accuracy** on matched pairs: names lower-cased, punctuation and honorifics removed,
  equal when one contains the other on word boundaries; pairs whose gold speaker is missing or
  a bare pronoun are not counted.
* **event triggers**: exact match of the lower-cased token sequence, one-to-one; **arguments**
  inside matched events: same role (case and punctuation ignored) and a shared token.
* our own gold (``tests/data/gold/``) also labels each statement's ``evidence`` status (a
  claim), ``stance`` (a response) and ``commitment``; they are compared on matched pairs
  (accuracy, macro-F1 over the gold labels present, confusion matrix).

A gold document whose ``attributions`` (``events``) list is empty comes from a corpus that does
not annotate them, so that part of the prediction is not scored at all.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

from summarizer._packs import every_pack
from summarizer.models import ArticleSummary

__all__ = [
    "NO_LABEL",
    "Counts",
    "Similarity",
    "content_tokens",
    "match_contents",
    "normalise_name",
    "prf",
    "score_document",
    "score_documents",
    "speaker_matches",
    "to_prediction",
]

Similarity = Literal["overlap", "jaccard"]
NO_LABEL = "-"
"""The label of a field the prediction (or the gold) leaves empty, in confusion matrices."""

_TOKEN = re.compile(r"\w+")


@cache
def _honorifics() -> frozenset[str]:
    return frozenset(every_pack().titles)


@cache
def _pronouns() -> frozenset[str]:
    return frozenset(every_pack().pronouns)


_UNNAMED = ("the reporter", "unnamed source")  # the pipeline's placeholders, not names


def content_tokens(text: str) -> Counter[str]:
    """The multiset of lower-cased word tokens; punctuation and quotation marks are ignored."""
    return Counter(_TOKEN.findall(text.casefold()))


def similarity(p: Counter[str], g: Counter[str], sim: Similarity = "overlap") -> float:
    """Overlap coefficient (default) or Jaccard of two token multisets, 0 when not a match.

    A pair that shares fewer than min(3, |P|, |G|) tokens is not a match whatever its ratio,
    so that two one-word contents sharing "the" do not count.
    """
    np_, ng = sum(p.values()), sum(g.values())
    if not np_ or not ng:
        return 0.0
    shared = sum((p & g).values())
    if shared < min(3, np_, ng):
        return 0.0
    score = shared / min(np_, ng) if sim == "overlap" else shared / sum((p | g).values())
    return score if score >= 0.5 else 0.0


def match_contents(
    predicted: Sequence[Counter[str]], gold: Sequence[Counter[str]], sim: Similarity = "overlap"
) -> list[tuple[int, int, float]]:
    """One-to-one (predicted index, gold index, similarity), greedy by decreasing similarity.

    Ties go to the earlier gold unit, then the earlier prediction, so results are stable.
    """
    pairs = [
        (s, gi, pi)
        for pi, p in enumerate(predicted)
        for gi, g in enumerate(gold)
        if (s := similarity(p, g, sim)) > 0
    ]
    pairs.sort(key=lambda x: (-x[0], x[1], x[2]))
    used_p: set[int] = set()
    used_g: set[int] = set()
    out = []
    for s, gi, pi in pairs:
        if pi in used_p or gi in used_g:
            continue
        used_p.add(pi)
        used_g.add(gi)
        out.append((pi, gi, s))
    return sorted(out, key=lambda x: x[1])


def normalise_name(name: str | None) -> str:
    """Lower-cased words without punctuation or honorifics ("M. Hollande" → "hollande")."""
    if not name:
        return ""
    words = [w for w in _TOKEN.findall(name.casefold()) if w not in _honorifics()]
    return " ".join(words)


def is_scorable_speaker(name: str | None) -> bool:
    """A gold speaker counts unless it is missing or a bare pronoun."""
    norm = normalise_name(name)
    return bool(norm) and norm not in _pronouns()


def speaker_matches(predicted: str | None, gold: str | None, resolved: str | None = None) -> bool:
    """Whether two names agree: one contains the other on word boundaries, after
    :func:`normalise_name` ("Obama" and "President Barack Obama" agree)."""
    p = normalise_name(predicted)
    if not p:
        return False
    for g in (normalise_name(gold), normalise_name(resolved)):
        if g and (f" {p} " in f" {g} " or f" {g} " in f" {p} "):
            return True
    return False


def prf(matched: int, predicted: int, gold: int) -> tuple[float, float, float]:
    """Precision, recall, F1; 0 (not NaN) when a denominator is 0."""
    p = matched / predicted if predicted else 0.0
    r = matched / gold if gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


@dataclass
class Counts:
    """Everything the scores are computed from; add them up for micro-averages."""

    docs: int = 0
    att_docs: int = 0
    event_docs: int = 0
    att_predicted: int = 0
    att_gold: int = 0
    att_matched: int = 0
    speaker_pairs: int = 0
    speaker_correct: int = 0
    trig_predicted: int = 0
    trig_gold: int = 0
    trig_matched: int = 0
    arg_predicted: int = 0
    arg_gold: int = 0
    arg_matched: int = 0
    arg_text_matched: int = 0
    evidence: Counter[tuple[str, str]] = field(default_factory=Counter)
    stance: Counter[tuple[str, str]] = field(default_factory=Counter)
    commitment: Counter[tuple[str, str]] = field(default_factory=Counter)

    def __add__(self, other: Counts) -> Counts:
        out = Counts()
        for name in self.__dataclass_fields__:
            setattr(out, name, getattr(self, name) + getattr(other, name))
        return out

    def scores(self) -> dict[str, Any]:
        """The table's numbers (plain JSON types)."""
        cp, cr, cf = prf(self.att_matched, self.att_predicted, self.att_gold)
        tp, tr, tf = prf(self.trig_matched, self.trig_predicted, self.trig_gold)
        ap, ar, af = prf(self.arg_matched, self.arg_predicted, self.arg_gold)
        xp, xr, xf = prf(self.arg_text_matched, self.arg_predicted, self.arg_gold)
        return {
            "docs": self.docs,
            "content": {
                "docs": self.att_docs,
                "predicted": self.att_predicted,
                "gold": self.att_gold,
                "matched": self.att_matched,
                "precision": cp,
                "recall": cr,
                "f1": cf,
            },
            "speaker": {
                "pairs": self.speaker_pairs,
                "correct": self.speaker_correct,
                "accuracy": self.speaker_correct / self.speaker_pairs
                if self.speaker_pairs
                else None,
            },
            "trigger": {
                "docs": self.event_docs,
                "predicted": self.trig_predicted,
                "gold": self.trig_gold,
                "matched": self.trig_matched,
                "precision": tp,
                "recall": tr,
                "f1": tf,
            },
            "argument": {
                "predicted": self.arg_predicted,
                "gold": self.arg_gold,
                "matched": self.arg_matched,
                "precision": ap,
                "recall": ar,
                "f1": af,
            },
            "arg_text": {"matched": self.arg_text_matched, "precision": xp, "recall": xr, "f1": xf},
            "evidence": _labels(self.evidence),
            "stance": _labels(self.stance),
            "commitment": _labels(self.commitment),
        }


def _labels(pairs: Counter[tuple[str, str]]) -> dict[str, Any]:
    """Accuracy, macro-F1 and confusion matrix ``{gold: {predicted: n}}`` of a labelled field.

    The macro-F1 averages the F1 of each label the gold uses, so answering the most frequent
    label everywhere scores well on accuracy but not here.
    """
    total = sum(pairs.values())
    correct = sum(n for (g, p), n in pairs.items() if g == p)
    matrix: dict[str, dict[str, int]] = {}
    for (g, p), n in sorted(pairs.items()):
        matrix.setdefault(g, {})[p] = n
    f1s = []
    for label in matrix:
        hits = pairs[(label, label)]
        said = sum(n for (_g, p), n in pairs.items() if p == label)
        f1s.append(prf(hits, said, sum(matrix[label].values()))[2])
    return {
        "pairs": total,
        "accuracy": correct / total if total else None,
        "macro_f1": sum(f1s) / len(f1s) if f1s else None,
        "confusion": matrix,
    }


@dataclass(frozen=True)
class _Unit:
    tokens: Counter[str]
    speaker: str | None
    resolved: str | None
    evidence: str | None
    stance: str | None
    stance_labelled: bool  # only our own gold says which statements are responses
    commitment: str | None


def _gold_units(attributions: Iterable[Mapping[str, Any]]) -> list[_Unit]:
    """One unit per relation: records sharing a ``group`` are pooled."""
    units: list[_Unit] = []
    grouped: dict[str, int] = {}
    for a in attributions:
        group = a.get("group")
        tokens = content_tokens(a.get("content") or "")
        if group is not None and group in grouped:
            i = grouped[group]
            units[i] = _Unit(units[i].tokens + tokens, *_fields(units[i]))
            continue
        if group is not None:
            grouped[group] = len(units)
        units.append(
            _Unit(
                tokens,
                a.get("speaker"),
                a.get("speaker_resolved"),
                a.get("evidence"),
                a.get("stance"),
                "stance" in a,
                a.get("commitment"),
            )
        )
    return units


def _fields(u: _Unit) -> tuple[str | None, str | None, str | None, str | None, bool, str | None]:
    return u.speaker, u.resolved, u.evidence, u.stance, u.stance_labelled, u.commitment


def _norm_role(role: str) -> str:
    return "".join(_TOKEN.findall(role.casefold()))


def _score_events(
    gold: Sequence[Mapping[str, Any]], predicted: Sequence[Mapping[str, Any]]
) -> Counts:
    c = Counts(event_docs=1, trig_gold=len(gold), trig_predicted=len(predicted))
    c.arg_gold = sum(len(e.get("arguments") or []) for e in gold)
    c.arg_predicted = sum(len(e.get("arguments") or []) for e in predicted)
    used: set[int] = set()
    for p in predicted:
        key = tuple(_TOKEN.findall((p.get("trigger") or "").casefold()))
        gi = next(
            (
                i
                for i, g in enumerate(gold)
                if i not in used and tuple(_TOKEN.findall(g["trigger"].casefold())) == key
            ),
            None,
        )
        if gi is None or not key:
            continue
        used.add(gi)
        c.trig_matched += 1
        g_args = list(gold[gi].get("arguments") or [])
        p_args = list(p.get("arguments") or [])
        c.arg_matched += _match_args(p_args, g_args, with_role=True)
        c.arg_text_matched += _match_args(p_args, g_args, with_role=False)
    return c


def _match_args(
    predicted: list[Mapping[str, Any]], gold: list[Mapping[str, Any]], *, with_role: bool
) -> int:
    used: set[int] = set()
    for p in predicted:
        tokens = content_tokens(p.get("text") or "")
        for i, g in enumerate(gold):
            if i in used or not tokens & content_tokens(g.get("text") or ""):
                continue
            if with_role and _norm_role(p.get("role") or "") != _norm_role(g.get("role") or ""):
                continue
            used.add(i)
            break
    return len(used)


def score_document(
    gold: Mapping[str, Any], prediction: Mapping[str, Any] | None, sim: Similarity = "overlap"
) -> Counts:
    """The counts of one gold document against its prediction (``None``: predicted nothing)."""
    prediction = prediction or {}
    c = Counts(docs=1)
    gold_atts = list(gold.get("attributions") or [])
    if gold_atts:
        units = _gold_units(gold_atts)
        preds = list(prediction.get("attributions") or [])
        c.att_docs, c.att_gold, c.att_predicted = 1, len(units), len(preds)
        matches = match_contents(
            [content_tokens(p.get("content") or "") for p in preds], [u.tokens for u in units], sim
        )
        c.att_matched = len(matches)
        for pi, gi, _s in matches:
            p, u = preds[pi], units[gi]
            if is_scorable_speaker(u.speaker):
                c.speaker_pairs += 1
                c.speaker_correct += speaker_matches(p.get("speaker"), u.speaker, u.resolved)
            if u.evidence is not None:
                c.evidence[(u.evidence, p.get("evidence") or NO_LABEL)] += 1
            if u.stance_labelled and (u.stance is not None or p.get("stance") is not None):
                c.stance[(u.stance or NO_LABEL, p.get("stance") or NO_LABEL)] += 1
            if u.commitment is not None:
                c.commitment[(u.commitment, p.get("commitment") or NO_LABEL)] += 1
    gold_events = list(gold.get("events") or [])
    if gold_events:
        c += _score_events(gold_events, list(prediction.get("events") or []))
        c.docs = 1
    return c


def score_documents(
    gold: Iterable[Mapping[str, Any]],
    predictions: Mapping[str, Mapping[str, Any]],
    sim: Similarity = "overlap",
) -> dict[str, Counts]:
    """Counts per ``source_corpus`` and ``"overall"`` (micro-averaged); a document missing
    from ``predictions`` counts as predicting nothing."""
    out: dict[str, Counts] = {}
    for doc in gold:
        counts = score_document(doc, predictions.get(doc["id"]), sim)
        corpus = str(doc.get("source_corpus") or "unknown")
        out[corpus] = out.get(corpus, Counts()) + counts
    out["overall"] = sum(out.values(), Counts())
    return out


def to_prediction(doc_id: str, summary: ArticleSummary) -> dict[str, Any]:
    """The gold prediction format of a summary: every claim and counterclaim is an attribution
    (its quote the content, its source's name the speaker, with its evidence status and, for
    a claim, its commitment, for a counterclaim, its stance), every event a trigger with its
    arguments (role and text)."""
    names = {s.id: s.name for s in summary.sources}
    statements: list[tuple[int, dict[str, Any]]] = []
    for c in summary.claims:
        statements.append((c.quote.start, _statement(names[c.speaker], c.quote.text, c, None)))
    for cc in summary.counterclaims:
        item = _statement(names[cc.speaker], cc.quote.text, cc, cc.stance.value)
        statements.append((cc.quote.start, item))
    events = []
    for e in sorted(summary.events, key=lambda e: e.trigger.start):
        args = [{"role": a.role, "text": a.span.text} for a in e.arguments]
        events.append({"trigger": e.trigger.text, "arguments": args})
    return {
        "id": doc_id,
        "attributions": [s for _start, s in sorted(statements, key=lambda x: x[0])],
        "events": events,
    }


def _statement(speaker: str, content: str, statement: Any, stance: str | None) -> dict[str, Any]:
    return {
        "speaker": None if speaker in _UNNAMED else speaker,
        "cue": None,  # the pipeline does not cut the reporting verb out
        "content": content,
        "evidence": statement.evidence.status.value,
        "stance": stance,
        "commitment": statement.commitment.value,
    }

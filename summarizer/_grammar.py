"""Grammar before the model: commitment, evidence and stance cues read from the words and the parse.

How firmly a source stands behind a statement is written in its grammar (the conditionnel of
unconfirmed news, "si …", "ne … pas", a verb of denial), and so is much of what a statement
has nothing to evidence (a promise, a call, a forecast in the future tense) and where its
checkable source is named ("selon le rapport", "une étude … conclut"). These rules read them
from the spaCy parse (:func:`summarizer._parse.analysed`: tense, mood, lemmas, dependencies)
where the language has a parser model, and from phrases alone otherwise. Every list is in the
language's pack (``prompts/packs/<tag>.json``, key ``grammar``; what each key means is in
``prompts/packs/README.md``), so no language is named here.

Each answer is a :class:`Mark`: the label, which kind of cue decided it, and the cue's offsets
into the text (``text[mark.start:mark.end]``). The rules follow
``tests/data/gold/GUIDELINE.md`` and were written looking at the *tune* half of our gold only
(EVAL.md). :func:`answered` links a response to the statement it answers.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from summarizer import _parse
from summarizer._candidates import mentions
from summarizer._packs import Grammar, every_pack, pack, phrase_pattern

__all__ = ["MAX_PARSED_CHARS", "RULES_VERSION", "Article", "Mark", "Said", "answered", "article"]

RULES_VERSION = "grammar-1"
"""Bump on any change of these rules or of the packs' ``grammar`` lists and stance cues they
were measured with: a summary made with other rules is another run."""

MAX_PARSED_CHARS = 200_000
"""A longer text gets the phrase rules only: spaCy needs about 1 GB of memory per 100,000
characters parsed (its documentation), and a statement's grammar is in its own sentence."""
_WEAKEST_FIRST = ("conditional", "hedged", "negated")
"""When two marks meet, the weaker commitment wins (GUIDELINE.md)."""
_CLAUSE_HEADS = frozenset({"VERB", "AUX", "ADJ", "NOUN", "PROPN"})
_SENTENCE_END = re.compile(r"[.!?…](?=[\s»”\"]*\s+\S)")
_QUOTE_MARKS = re.compile(r"[«»“”„\"]")
_WORD = re.compile(r"[^\W\d_][\w'’-]*")
_FOLLOW_REACH = 3  # tokens after a verb where the word of "appeler à" may stand


@dataclass(frozen=True)
class Mark:
    """A label settled by the grammar: ``text[start:end]`` is the cue, ``cue`` its kind."""

    label: str
    cue: str
    start: int
    end: int

    def note(self, text: str) -> str:
        return f"{self.cue} “{text[self.start : self.end]}”"


@dataclass(frozen=True)
class Said:
    """A statement for :func:`answered`: the text span it occupies and its source."""

    start: int
    end: int
    source: str
    """Any key that is equal for statements of the same source."""
    name: str
    """How the article names the source."""


@cache
def _pattern(phrases: tuple[str, ...]) -> re.Pattern[str] | None:
    """``phrases`` as one word-bounded, case-blind alternation, longest first."""
    if not phrases:
        return None
    alternatives = "|".join(phrase_pattern(p) for p in sorted(phrases, key=len, reverse=True))
    return re.compile(rf"(?<![\w'’-])(?:{alternatives})(?![\w-])", re.IGNORECASE)


def _finds(phrases: tuple[str, ...], text: str, start: int, end: int) -> Iterator[re.Match[str]]:
    pattern = _pattern(phrases)
    return iter(()) if pattern is None else pattern.finditer(text, start, end)


def _lower(word: str) -> str:
    return word.casefold().replace("’", "'")


class Article:
    """The grammar cues of one article (parsed once, when its language has a parser)."""

    def __init__(self, text: str, language: str | None) -> None:
        self.text = text
        found = pack(language or "")
        self.rules: Grammar = found.grammar
        parser = found.parser or {}
        self.reporting = frozenset(_lower(v) for v in parser.get("reporting_verbs", []))
        parsed = self._has_rules() and len(text) <= MAX_PARSED_CHARS
        self.doc: Any = _parse.analysed(text, language) if parsed else None
        self.relays = tuple(every_pack().relay_phrases)

    def _has_rules(self) -> bool:
        r = self.rules
        return bool(r.hedge_moods or r.negations or r.not_applicable or r.evidence_nouns)

    # -- spans and tokens

    def _first_sentence(self, start: int, end: int) -> tuple[int, int]:
        """The statement's first sentence: a content of several takes the commitment of its
        first when none stands out (GUIDELINE.md)."""
        if self.doc is not None:
            for sent in self.doc.sents:
                if sent.start_char <= start < sent.end_char:
                    return start, min(end, sent.end_char)
        found = _SENTENCE_END.search(self.text, start, end)
        return (start, found.end()) if found else (start, end)

    def _tokens(self, start: int, end: int) -> list[Any]:
        if self.doc is None:
            return []
        return [t for t in self.doc if start <= t.idx < end]

    def _clauses(self, start: int, end: int) -> tuple[list[Any], list[Any]]:
        """(predicates, frames) of the statement in ``[start, end)``: the heads of its main
        clauses, and the reporting verbs that frame them ("estime que X": X is the clause,
        "estime" its frame), inside the span or governing it from outside."""
        r = self.rules
        tokens = self._tokens(start, end)
        inside = {t.i for t in tokens}
        heads = [t for t in tokens if t.head.i not in inside or t.head.i == t.i]
        heads = [t for t in heads if t.pos_ in _CLAUSE_HEADS and not t.is_punct]
        frames: list[Any] = []
        predicates: list[Any] = []
        for outer in dict.fromkeys(t.head for t in heads if t.head.i not in inside):
            if self._reports(outer):
                frames.append(outer)
            elif outer.pos_ in ("VERB", "AUX", "ADJ"):
                predicates.append(outer)  # « … » inside the reporter's clause ("auraient remarqué")
        todo = list(heads)
        while todo:
            head = todo.pop(0)
            reports = self._reports(head)
            complements = [
                c
                for c in head.children
                if c.i in inside
                and c.pos_ in _CLAUSE_HEADS
                and c.i > head.i
                and (
                    c.dep_.casefold() in r.complement_deps
                    if reports
                    else c.dep_.casefold() in r.clause_deps and self._marked(c)
                )
            ]
            if complements:
                frames.append(head)
                todo.extend(complements)
            else:
                predicates.append(head)
        return predicates, frames

    def _marked(self, clause: Any) -> bool:
        """Whether a clause opens with a subordinating conjunction ("estime que …")."""
        return any(c.dep_.casefold() in self.rules.marker_deps for c in clause.children)

    def _reports(self, token: Any) -> bool:
        return token.pos_ == "VERB" and _lower(token.lemma_) in self.reporting

    @staticmethod
    def _morph(token: Any, feature: str) -> list[str]:
        values: list[str] = token.morph.get(feature)
        return values

    def _verb_group(self, token: Any) -> list[Any]:
        """A predicate with its auxiliaries and copula ("auraient été envoyés")."""
        deps = self.rules.auxiliary_deps
        return [token, *(c for c in token.children if c.dep_.casefold().split(":")[0] in deps)]

    def _mark(self, label: str, cue: str, token: Any) -> Mark:
        return Mark(label, cue, token.idx, token.idx + len(token.text))

    def _match_mark(self, label: str, cue: str, match: re.Match[str]) -> Mark:
        return Mark(label, cue, match.start(), match.end())

    # -- commitment

    def commitment(self, start: int, end: int) -> Mark | None:
        """The commitment a statement's grammar marks (``conditional``, ``hedged`` or
        ``negated``: the weakest found), or None (``asserted``, or nothing to read)."""
        start, end = self._first_sentence(start, end)
        predicates, frames = self._clauses(start, end)
        found = [
            m
            for m in (
                self._condition(start, end),
                self._hedge(start, end, predicates, frames),
                self._negation(start, end, predicates, frames),
            )
            if m is not None
        ]
        if not found:
            return None
        return min(found, key=lambda m: _WEAKEST_FIRST.index(m.label))

    def _condition(self, start: int, end: int) -> Mark | None:
        r = self.rules
        for match in _finds(r.conditions, self.text, start, end):
            if self._not_condition(match):
                continue
            if self.doc is not None and " " not in match.group(0).strip():
                token = next((t for t in self.doc if t.idx == match.start()), None)
                if token is None or token.dep_.casefold() not in r.marker_deps:
                    continue  # "si" as an adverb ("si grand"), or a stray match
                if token.head.dep_.casefold() in r.question_deps:
                    continue  # "savoir si …" asks
            return self._match_mark("conditional", "condition", match)
        return None

    def _not_condition(self, match: re.Match[str]) -> bool:
        """Whether a condition word is part of a phrase that sets none ("même si", "savoir
        « si"), quotation marks between its words ignored."""
        before = self.text[max(0, match.start() - 40) : match.start()]
        window = " ".join(_QUOTE_MARKS.sub(" ", before + match.group(0)).split())
        return any(True for _m in _finds(self.rules.not_conditions, window, 0, len(window)) if
                   _m.end() == len(window))  # fmt: skip

    def _hedge(self, start: int, end: int, predicates: list[Any], frames: list[Any]) -> Mark | None:
        r = self.rules
        for match in _finds(r.hedges, self.text, start, end):
            return self._match_mark("hedged", "hedge word", match)
        if any(self._past(f) for f in frames):
            return None  # the conditionnel after a past reporting verb is a future in the past
        for p in predicates:
            if _lower(p.lemma_) in r.not_hedge_lemmas:
                continue  # "auraient dû", "il faudrait noter"
            for t in self._verb_group(p):
                if set(self._morph(t, "Mood")) & set(r.hedge_moods):
                    return self._mark("hedged", "conditional mood", t)
        return None

    def _past(self, verb: Any) -> bool:
        tenses = {v for t in self._verb_group(verb) for v in self._morph(t, "Tense")}
        return bool(tenses & set(self.rules.past_tenses))

    def _negation(
        self, start: int, end: int, predicates: list[Any], frames: list[Any]
    ) -> Mark | None:
        r = self.rules
        for verb in [*frames, *predicates]:
            if _lower(verb.lemma_) in r.denial_lemmas:
                return self._mark("negated", "verb of denial", verb)
        for p in predicates:
            near = [c for c in p.children] + [g for c in p.children for g in c.children]
            words = {_lower(t.text) for t in near}
            alone = next((t for t in near if _lower(t.text) in r.negators), None)
            if alone is not None:
                return self._mark("negated", "negation", alone)
            particle = next((t for t in p.children if _lower(t.text) in r.negation_particles), None)
            if particle is not None and words & set(r.negations):
                return self._mark("negated", "negation", particle)
        if self.doc is None:
            return self._negation_words(start, end)
        return None

    def _negation_words(self, start: int, end: int) -> Mark | None:
        """Without a parse: a particle with a negation word after it ("ne … pas")."""
        r = self.rules
        for particle in _finds(r.negation_particles, self.text, start, end):
            after = self.text[particle.end() : end]
            words = [_lower(w) for w in _WORD.findall(after)[:4]]
            if set(words) & set(r.negations):
                return self._match_mark("negated", "negation", particle)
        for match in _finds(r.negators, self.text, start, end):
            return self._match_mark("negated", "negation", match)
        return None

    # -- evidence

    def evidence(self, start: int, end: int, sentence: tuple[int, int]) -> Mark | None:
        """``not_applicable`` when the statement is a promise, call, intention, judgement,
        obligation, forecast or condition; ``provided`` when its sentence names a checkable
        source as the statement's subject or relay ("selon le rapport"); else None."""
        return self.not_applicable(start, end) or self.provided(*sentence)

    def not_applicable(self, start: int, end: int) -> Mark | None:
        r = self.rules
        first, last = self._first_sentence(start, end)
        predicates, frames = self._clauses(first, last)
        condition = self._condition(first, last)
        if condition is not None:
            return Mark("not_applicable", "condition", condition.start, condition.end)
        for verb in [*frames, *predicates]:
            kind = self._kind_of(verb)
            if kind is not None and not self._hedge_mood(verb):  # "il faudrait noter": polite
                return self._mark("not_applicable", kind, verb)
        past = any(self._past(f) for f in frames)
        for p in predicates:
            group = self._verb_group(p)
            mood = next((t for t in group if self._hedge_mood(t)), None)
            if past and mood is not None and _lower(p.lemma_) not in r.not_hedge_lemmas:
                return self._mark("not_applicable", "future in the past", mood)
            for t in group:
                moods = set(self._morph(t, "Mood"))
                future = set(self._morph(t, "Tense")) & set(r.future_tenses)
                if future and not moods & set(r.hedge_moods):
                    return self._mark("not_applicable", "future tense", t)
                if moods & set(r.imperative_moods):
                    return self._mark("not_applicable", "imperative", t)
            future = self._near_future(p)
            if future is not None:
                return self._mark("not_applicable", "future tense", future)
            judgement = self._judgement(p)
            if judgement is not None:
                return self._mark("not_applicable", "judgement", judgement)
        return None

    def _judgement(self, predicate: Any) -> Any:
        """ "X est une filière d'avenir", "sont inadmissibles": a noun or adjective said of
        the subject in the present, with no figure in it (a value judgement, not a measure);
        its copula, or None."""
        if predicate.pos_ not in ("NOUN", "ADJ"):
            return None
        copulas = self.rules.copula_deps
        copula = next((c for c in predicate.children if c.dep_.casefold() in copulas), None)
        if copula is None or not set(self._morph(copula, "Tense")) & set(
            self.rules.judgement_tenses
        ):
            return None
        if any(ch.isdigit() for t in predicate.subtree for ch in t.text):
            return None
        return copula

    def _hedge_mood(self, token: Any) -> bool:
        return bool(set(self._morph(token, "Mood")) & set(self.rules.hedge_moods))

    def _near_future(self, predicate: Any) -> Any:
        """ "vont bloquer": a future auxiliary with an infinitive."""
        aux = self.rules.future_auxiliaries
        if _lower(predicate.lemma_) in aux and predicate.i + 1 < len(self.doc):
            xcomp = [c for c in predicate.children if "Inf" in self._morph(c, "VerbForm")]
            return predicate if xcomp else None
        if "Inf" in self._morph(predicate, "VerbForm"):
            return next((c for c in predicate.children if _lower(c.lemma_) in aux), None)
        return None

    def _kind_of(self, verb: Any) -> str | None:
        """The kind of statement a verb makes (promise, call …), from the pack's lemmas."""
        forms = {_lower(verb.lemma_), _lower(verb.text)}
        for kind, entries in self.rules.not_applicable.items():
            for entry in entries:
                head, _, word = _lower(entry).partition(" ")
                if head not in forms:
                    continue
                if not word:
                    return kind
                after = self.doc[verb.i + 1 : verb.i + 1 + _FOLLOW_REACH]
                if any(_lower(t.text) == word for t in after):
                    return kind
        return None

    def provided(self, start: int, end: int) -> Mark | None:
        """An evidence noun of the pack that is the subject of the sentence's statement or
        the source of its relay ("Selon une étude …", "Le rapport final … conclut"): its
        status (``provided`` for a report, ``referenced_not_disclosed`` for unnamed
        analyses), else None."""
        nouns = {
            _lower(n): status for status, words in self.rules.evidence_nouns.items() for n in words
        }
        if not nouns:
            return None
        if self.doc is None:
            return self._provided_words(start, end, nouns)
        r = self.rules
        for t in self._tokens(start, end):
            status = nouns.get(_lower(t.lemma_)) or nouns.get(_lower(t.text))
            if t.pos_ not in ("NOUN", "PROPN") or status is None:
                continue
            subject = t.dep_.casefold() in r.subject_deps or (
                t.dep_.casefold() in r.relay_deps and t.head.dep_.casefold() in r.subject_deps
            )
            before = self.text[t.left_edge.idx : t.idx]
            if subject or any(True for _m in _finds(self.relays, before, 0, len(before))):
                return self._mark(status, "evidence noun", t)
        return None

    def _provided_words(self, start: int, end: int, nouns: dict[str, str]) -> Mark | None:
        """Without a parse: a relay phrase, at most three words, then an evidence noun."""
        for relay in _finds(self.relays, self.text, start, end):
            for w in list(_WORD.finditer(self.text, relay.end(), end))[:4]:
                status = nouns.get(_lower(w.group(0)))
                if status is not None:
                    return Mark(status, "evidence noun", w.start(), w.end())
        return None


@lru_cache(maxsize=4)
def article(text: str, language: str | None) -> Article:
    """The :class:`Article` of ``text``, kept for the last few texts: the passes of one summary
    (evidence, assembly) read one parse."""
    return Article(text, language)


# --------------------------------------------------------------------------- responses


def _fold(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@cache
def _not_content() -> frozenset[str]:
    """Words that say nothing about a subject: the packs' stop words and the words of their
    reporting verbs and relay phrases."""
    p = every_pack()
    words = {_fold(w) for w in p.stop_words}
    for phrase in (*p.speech, *p.relay_phrases, *p.pronouns, *p.speaker_pronouns):
        words |= {_fold(w) for w in _WORD.findall(phrase)}
    return frozenset(words)


def _content_words(text: str) -> set[str]:
    words = {_fold(w).strip("'’-") for w in _WORD.findall(text)}
    return {w for w in words if len(w) > 3 and w not in _not_content()}


def answered(text: str, response: Said, earlier: Sequence[Said]) -> int | None:
    """Which of ``earlier`` (statements before the response, in text order) the response
    answers: the last one whose source the response names ("les propos d'Arnaud Montebourg"),
    else the nearest one of another source on the same subject (sharing a content word or
    name), else the nearest one of another source; None when every one is the response's own
    source's."""
    others = [i for i, s in enumerate(earlier) if s.source != response.source]
    if not others:
        return None
    said = text[response.start : response.end]
    for i in reversed(others):
        named = _pattern(tuple(n for n in mentions(earlier[i].name) if len(n) > 3))
        if named is not None and named.search(said):
            return i
    words = _content_words(said) - _content_words(response.name)
    for i in reversed(others):
        s = earlier[i]
        if words & (_content_words(text[s.start : s.end]) - _content_words(s.name)):
            return i
    return others[-1]

"""Event mention candidates from the spaCy parse: triggers, arguments, place, time and status.

Issue 19: the model should choose and label events by candidate id, not find them. Here every
verb that is not an auxiliary, a light verb or a reporting verb of the pack, and every event
noun (of a trigger class, of the pack's event nouns, or with a nominalisation suffix) becomes a
candidate with its arguments cut from the parse: the subject, object, agent, indirect object
and prepositional phrases, each given the role its trigger class names for that slot
(``prompts/packs/<tag>.json``, key ``events``; documented in ``prompts/packs/README.md``).
A reporting verb stays out, but names a contact event when it has a hearer ("told jurors").

The status comes from the grammar: ``denied`` (negation, or inside a denial), ``planned``
(future tense or auxiliary, "prévoit de"), ``alleged`` (the content of a reporting verb or a
relay, the conditional of unconfirmed news, "allegedly"), ``ongoing`` (progressive or present),
else ``occurred``. The classes were written from the tune half of the WikiEvents dev documents
(``benchmarks/events_baseline.py``). Every :class:`Span` is cut from the text by offsets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from summarizer import _parse
from summarizer._dates import time_ref
from summarizer._packs import EventRules, pack
from summarizer._parse import Span
from summarizer.models import TimeRef

__all__ = ["RULES_VERSION", "Argument", "EventCandidate", "candidates", "events_prediction"]

RULES_VERSION = "events-4"
"""Bump on any change of these rules or of the packs' ``events`` lists."""

_MAX_PHRASE = 8  # tokens of an argument phrase; a longer one is cut to its head and left modifiers
_TOKEN = re.compile(r"\w+")


@dataclass(frozen=True)
class Argument:
    """A participant, place or time of an event: ``span`` as written, ``role`` its KAIROS name."""

    role: str
    span: Span


@dataclass(frozen=True)
class EventCandidate:
    """One event mention: the model confirms or drops it by ``id``.

    ``event_class`` is the pack's trigger class, or None for a verb or noun of no class (kept
    for recall; :func:`events_prediction` leaves them out). ``reported_by`` is the subject of
    the reporting verb or relay whose content the event is, when there is one."""

    id: str
    trigger: Span
    sentence: int
    event_class: str | None
    arguments: tuple[Argument, ...]
    time: Span | None
    when: TimeRef | None
    status: str
    status_cue: Span | None
    reported_by: Span | None

    @property
    def places(self) -> tuple[Span, ...]:
        return tuple(a.span for a in self.arguments if a.role == "Place")


_OBJECTS = frozenset({"obj", "dobj"})
"""Direct-object labels of the parsers' schemes (Universal Dependencies, ClearNLP)."""


def _low(word: str) -> str:
    return word.casefold().replace("’", "'")


@dataclass(frozen=True)
class _Lexicon:
    """The pack's lists as sets, and each class lemma's class."""

    rules: EventRules
    class_of: dict[str, str]
    reporting: frozenset[str]
    vehicles: frozenset[str]

    @staticmethod
    @cache
    def of(language: str) -> _Lexicon:
        found = pack(language)
        rules = found.events
        class_of: dict[str, str] = {}
        for name, cls in rules.classes.items():
            for lemma in cls.lemmas:
                class_of.setdefault(_low(lemma), name)
        parser = found.parser or {}
        # lemmas, and the forms the parser model lemmatizes wrongly ("estime"), as written
        reporting = frozenset(
            _low(v) for key in ("reporting_verbs", "reporting_forms") for v in parser.get(key, [])
        )
        return _Lexicon(rules, class_of, reporting, frozenset(_low(v) for v in rules.vehicle_nouns))

    def role(self, event_class: str | None, slot: str) -> str | None:
        if event_class is not None:
            roles = self.rules.classes[event_class].roles
            if slot in roles:
                return roles[slot]
        return self.rules.default_roles.get(slot)


class _Finder:
    """The candidates of one parsed document."""

    def __init__(self, text: str, doc: Any, lex: _Lexicon, published: date | None) -> None:
        self.text, self.doc, self.lex, self.r = text, doc, lex, lex.rules
        self.published = published
        self.sents = list(doc.sents)
        self.sent_of = {t.i: n for n, s in enumerate(self.sents) for t in s}
        self.ents = {t.i: e for e in doc.ents for t in e}

    def _span(self, start: int, end: int) -> Span:
        while start < end and self.text[start].isspace():
            start += 1
        while end > start and self.text[end - 1].isspace():
            end -= 1
        return Span(start, end, self.text[start:end])

    def _tok_span(self, first: Any, last: Any) -> Span:
        return self._span(first.idx, last.idx + len(last.text))

    # -- triggers

    def _trigger_class(self, t: Any) -> tuple[bool, str | None]:
        """(is a candidate, its class) of a token."""
        lemma, word = _low(t.lemma_), _low(t.text)
        cls = self.lex.class_of.get(lemma) or self.lex.class_of.get(word)
        if t.pos_ == "VERB":
            if lemma in self.lex.reporting or word in self.lex.reporting:
                hearers = self.r.object_deps + self.r.indirect_object_deps
                hearer = any(
                    self._dep(c) in hearers and c.pos_ in ("PROPN", "NOUN", "PRON")
                    for c in t.children
                )
                return (lemma in self.r.contact_verbs and hearer), cls
            if lemma in self.r.light_verbs and cls is None:
                return False, None
            return True, cls
        if t.pos_ == "NOUN":
            if cls is not None:
                return True, cls
            nouns = {_low(n) for n in self.r.event_nouns}
            if lemma in nouns or (len(word) > 5 and word.endswith(tuple(self.r.noun_suffixes))):
                return True, None
        if t.pos_ == "ADJ" and cls is not None and self._dep(t) not in ("amod",):
            return True, cls  # "nine people were dead"
        return False, None

    @staticmethod
    def _dep(t: Any) -> str:
        return str(t.dep_).casefold()

    # -- arguments

    def _phrase(self, head: Any) -> Span:
        """An argument as written: its entity, or its head with its modifiers (no article)."""
        ent = self.ents.get(head.i)
        if ent is not None:
            return self._tok_span(ent[0], ent[-1])
        keep = [head]
        for c in head.children:
            if self._dep(c) in self.r.phrase_deps or (
                self._dep(c) == "det" and not set(c.morph.get("PronType")) & {"Art", "Dem"}
            ):
                keep.extend(c.subtree)
        # the head itself stays even when it is punctuation (a parse can make a dash the
        # subject of a reporting verb): an empty phrase would have no span at all
        keep = sorted(
            {t.i: t for t in keep if not t.is_punct or t.i == head.i}.values(), key=lambda t: t.i
        )
        if len(keep) > _MAX_PHRASE:
            keep = [t for t in keep if t.i <= head.i][-_MAX_PHRASE:]
        return self._tok_span(keep[0], keep[-1])

    def _preposition(self, child: Any) -> tuple[str, Any] | None:
        """(preposition, its noun) of an oblique child: English prep → pobj, UD noun ← case."""
        r = self.r
        if r.oblique_object_deps:  # the preposition is the child
            noun = next((g for g in child.children if self._dep(g) in r.oblique_object_deps), None)
            return (_low(child.text), noun) if noun is not None else None
        case = [g for g in child.children if self._dep(g) in r.case_deps]
        if not case:
            return None
        return " ".join(_low(c.text) for c in case), child

    def _slot_of(self, preposition: str, noun: Any) -> str | None:
        for slot, words in self.r.prepositions.items():
            if preposition in {_low(w) for w in words} or preposition.split(" ")[0] in words:
                if slot == "place" and not self._is_place(noun):
                    continue
                return slot
        return None

    def _is_place(self, noun: Any) -> bool:
        ent = self.ents.get(noun.i)
        if ent is not None:
            return ent.label_ in self.r.place_entities
        if any(self.ents.get(c.i) is not None and self.ents[c.i].label_ in self.r.place_entities
               for c in noun.children):  # fmt: skip
            return True
        return _low(noun.lemma_) in {_low(n) for n in self.r.place_nouns}

    def _refined(self, cls: str | None, slot: str, noun: Any) -> str:
        """A patient that is a place or a vehicle has the slot its class names for those
        ("reached the scene": Destination, "left the restaurant": Origin, "drove the truck":
        Vehicle), else ``slot``."""
        if slot != "patient" or cls is None:
            return slot
        if self._is_place(noun):
            refined = "place_patient"
        elif _low(noun.lemma_) in self.lex.vehicles:
            refined = "vehicle_patient"
        else:
            return slot
        return refined if refined in self.r.classes[cls].roles else slot

    def _arguments(self, t: Any, cls: str | None) -> list[Argument]:
        r, out = self.r, []
        passive = any(self._dep(c) in r.passive_subject_deps for c in t.children) or (
            "Pass" in t.morph.get("Voice")
        )
        has_object = any(self._dep(c) in r.object_deps for c in t.children)

        def add(slot: str, noun: Any) -> None:
            if noun is None or noun.is_punct or noun.pos_ in ("SCONJ", "CCONJ", "VERB", "AUX"):
                return
            ent = self.ents.get(noun.i)
            if ent is not None and ent.label_ in r.time_entities:
                return  # a date is the event's time, not a participant
            role = self.lex.role(cls, self._refined(cls, slot, noun))
            if role is None:
                return
            out.append(Argument(role, self._phrase(noun)))
            # "injured two men, a woman and a girl": each conjunct is a participant of its own
            # (a parse chains them: "girl" hangs on "woman")
            chain = [c for c in noun.children if self._dep(c) == "conj"]
            while chain:
                c = chain.pop(0)
                if c.pos_ in ("NOUN", "PROPN", "NUM", "PRON"):
                    out.append(Argument(role, self._phrase(c)))
                    chain += [g for g in c.children if self._dep(g) == "conj"]

        subject_seen = False
        for c in t.children:
            dep = self._dep(c)
            if dep in r.subject_deps:
                subject_seen = True
                add("agent" if has_object or t.pos_ == "NOUN" else "intransitive", c)
            elif dep in r.passive_subject_deps:
                subject_seen = True
                add("patient", c)
            elif dep in r.object_deps:
                add("patient", c)
            elif dep in r.indirect_object_deps:
                add("recipient", c)
            elif dep in r.possessive_deps:
                add("agent", c)
            elif dep in r.agent_deps:
                noun = self._preposition(c)
                add("agent", noun[1] if noun else c)
            elif dep in r.oblique_deps:
                found = self._preposition(c)
                if found is None:
                    continue
                preposition, noun = found
                slot = self._slot_of(preposition, noun)
                if slot == "of" and t.pos_ != "NOUN":
                    slot = None
                if slot == "agent" and not passive and t.pos_ != "NOUN":
                    slot = None
                if slot is not None:
                    add(slot, noun)
        if not subject_seen and self._dep(t) in r.shares_subject_deps and t.pos_ == "VERB":
            # "…, killing six": the head's subject did it
            add("agent", self._shared_subject(t, r.subject_deps))
        if (
            t.pos_ == "NOUN"
            and not subject_seen
            and t.head.pos_ == "VERB"
            and self._dep(t) in r.object_deps
            and not self._trigger_class(t.head)[1]
        ):
            subject = next((c for c in t.head.children if self._dep(c) in r.subject_deps), None)
            if subject is not None:
                add("agent", subject)  # "launched a series of attacks", "opened a probe"
        head, dep = t.head, self._dep(t)
        if dep in r.modifier_deps and head.pos_ in ("NOUN", "PROPN", "NUM", "PRON"):
            add("patient", head)  # "the injured men", "130 people killed"
        elif dep in r.predicative_deps and not subject_seen:
            subject = next((c for c in head.children if self._dep(c) in r.subject_deps), None)
            add("patient", subject)  # "six were dead"
        elif (
            dep in r.shares_subject_deps
            and not out
            and "Part" in t.morph.get("VerbForm")
            and head.i != t.i
        ):  # "members were killed and dozens injured": the head's patient, if nothing else
            add("patient", self._shared_subject(t, r.passive_subject_deps))
        return out

    def _shared_subject(self, t: Any, deps: tuple[str, ...]) -> Any:
        """The subject (of ``deps``) a verb with none takes from the verbs it hangs on, up a
        chain ("wanted to attack the town and kill its mayor": kill ← attack ← wanted;
        "were mutilated, injured and maimed")."""
        node = t
        for _ in range(4):
            if self._dep(node) not in self.r.shares_subject_deps or node.head.i == node.i:
                return None
            node = node.head
            subject = next((c for c in node.children if self._dep(c) in deps), None)
            if subject is not None:
                return subject
        return None

    # -- time

    def _time(self, t: Any) -> Span | None:
        """A date or time attached to the trigger: an entity of a time label under it, or a
        written date ("le 29 octobre") in its own clause."""
        for ent in self.doc.ents:
            if ent.label_ in self.r.time_entities and self._governs(t, ent.root):
                return self._tok_span(ent[0], ent[-1])
        subtree = list(t.subtree)
        first, last = subtree[0], subtree[-1]
        piece = self.text[first.idx : last.idx + len(last.text)]
        ref = time_ref(piece, None) if any(ch.isdigit() for ch in piece) else None
        if ref is not None and ref.text and _date_match(piece) is not None:
            m = _date_match(piece)
            assert m is not None
            return self._span(first.idx + m[0], first.idx + m[1])
        return None

    def _governs(self, t: Any, token: Any) -> bool:
        """Whether ``token`` hangs on ``t`` with no other verb between."""
        node = token
        for _ in range(6):
            if node.i == t.i:
                return True
            if node.head.i == node.i or (node.pos_ == "VERB" and node.i != token.i):
                return False
            node = node.head
        return False

    # -- status

    def _status(self, t: Any) -> tuple[str, Any, Any]:
        """(status, cue token, reporter token) of a trigger."""
        r = self.r
        group = [t, *(c for c in t.children if c.pos_ == "AUX")]
        # "n'a fourni aucune preuve", "provided no evidence": the negation may be the
        # determiner of the object.
        near = [*t.children] + [
            d for c in t.children if c.dep_ in _OBJECTS for d in c.children if d.dep_ == "det"
        ]
        words = {_low(c.text) for c in near}
        negator = next((c for c in near if _low(c.text) in r.negators), None)
        particle = next((c for c in t.children if _low(c.text) in r.negation_particles), None)
        if negator is None and particle is not None and words & set(r.negation_words):
            negator = particle
        if negator is not None:
            return "denied", negator, None
        frame = self._frame(t)
        if frame is not None and _low(frame.lemma_) in r.denial_lemmas:
            return "denied", frame, self._subject(frame)
        for g in group:
            if (
                set(g.morph.get("Tense")) & set(r.future_tenses)
                or _low(g.lemma_) in r.future_auxiliaries
            ):
                return "planned", g, None
        if self._dep(t) == "xcomp" and _low(t.head.lemma_) in r.planned_lemmas:
            return "planned", t.head, None
        if _low(t.head.lemma_) in r.future_auxiliaries and t.head.i != t.i:
            return "planned", t.head, None
        hedge = next((g for g in group if set(g.morph.get("Mood")) & set(r.hedge_moods)), None)
        hedge = hedge or next((c for c in t.children if _low(c.text) in r.hedge_words), None)
        if frame is not None:
            return "alleged", frame, self._subject(frame)
        relay = self._relay(t)
        if relay is not None:
            return "alleged", relay[0], relay[1]
        if hedge is not None:
            return "alleged", hedge, None
        if any(set(g.morph.get("Aspect")) & set(r.ongoing_aspects) for g in group):
            return "ongoing", t, None
        if (
            t.pos_ == "VERB"
            and "Fin" in t.morph.get("VerbForm")
            and not [g for g in group[1:] if set(g.morph.get("Tense")) - set(r.ongoing_tenses)]
            and set(t.morph.get("Tense")) & set(r.ongoing_tenses)
        ):
            return "ongoing", t, None
        return "occurred", None, None

    def _frame(self, t: Any) -> Any:
        """The reporting (or denial) verb whose content ``t`` is, walking up complements."""
        node = t
        for _ in range(8):
            if node.head.i == node.i or self._dep(node) not in self.r.complement_deps:
                return None
            node = node.head
            lemma, word = _low(node.lemma_), _low(node.text)
            if node.pos_ == "VERB" and (
                lemma in self.lex.reporting or word in self.lex.reporting
                or lemma in self.r.denial_lemmas
            ):  # fmt: skip
                return node
        return None

    def _subject(self, verb: Any) -> Any:
        return next((c for c in verb.children if self._dep(c) in self.r.subject_deps), None)

    def _relay(self, t: Any) -> tuple[Any, Any] | None:
        """ "Selon X, …", "according to X": (relay word, X) of the trigger's sentence."""
        sent = self.sents[self.sent_of[t.i]]
        tokens = list(sent)
        for n, tok in enumerate(tokens):
            for phrase in self.r.relay_words:
                words = [_low(tk.text) for tk in tokens[n : n + len(phrase)]]
                if words == [_low(w) for w in phrase] and tok.i < t.i:
                    source = next(
                        (x for x in tokens[n + len(phrase) :] if x.pos_ in ("PROPN", "NOUN")), None
                    )
                    return tok, source
        return None

    # -- all

    def run(self) -> list[EventCandidate]:
        out: list[EventCandidate] = []
        for t in self.doc:
            keep, cls = self._trigger_class(t)
            if not keep:
                continue
            trigger = self._tok_span(t, t)
            args = self._arguments(t, cls)
            time = self._time(t)
            status, cue, reporter = self._status(t)
            when = time_ref(time.text, self.published) if time is not None else None
            out.append(
                EventCandidate(
                    id=f"t{len(out) + 1}",
                    trigger=trigger,
                    sentence=self.sent_of.get(t.i, 0),
                    event_class=cls,
                    arguments=tuple(args),
                    time=time,
                    when=when,
                    status=status,
                    status_cue=self._tok_span(cue, cue) if cue is not None else None,
                    reported_by=self._phrase(reporter) if reporter is not None else None,
                )
            )
        return out


def _date_match(piece: str) -> tuple[int, int] | None:
    """Offsets of the first resolvable-looking date ("29 octobre", "April 15") in ``piece``."""
    from summarizer._dates import _months, _patterns

    for pattern, month_group in zip(_patterns(), (2, 1), strict=True):
        for m in pattern.finditer(piece):
            if m.group(month_group).casefold() in _months():
                return m.start(), m.end()
    return None


def candidates(
    text: str, language: str | None, published: date | None = None
) -> list[EventCandidate]:
    """Every event mention candidate of ``text``, in text order; [] when ``language`` has no
    parser here (the model path then finds events alone)."""
    doc = _parse.analysed(text, language)
    if doc is None or language is None:
        return []
    return _Finder(text, doc, _Lexicon.of(language), published).run()


def events_prediction(
    text: str, language: str | None, published: date | None = None
) -> list[dict[str, Any]]:
    """The candidates of a trigger class in the gold prediction format
    (``{"trigger", "arguments": [{"role", "text"}]}``), for scoring the rules alone."""
    return [
        {
            "trigger": c.trigger.text,
            "arguments": [{"role": a.role, "text": a.span.text} for a in c.arguments],
        }
        for c in candidates(text, language, published)
        if c.event_class is not None
    ]

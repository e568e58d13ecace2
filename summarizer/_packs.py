"""Language packs: every word list and rule of thumb that depends on a language, as data.

One JSON file per language, ``prompts/packs/<tag>.json`` (format and how to add a language:
``prompts/packs/README.md``), read through this module only, so no other module names a
language. :func:`pack` is one language's knowledge (what depends on the article's language:
its name in prompts, its word order); :func:`every_pack` is the union of all packs, for the
rules that look for every language's phrases in every article: a French article quotes an
English statement, and a detected language may be wrong.
"""

from __future__ import annotations

import json
import re
from functools import cache, lru_cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from summarizer.exceptions import ConfigurationError
from summarizer.prompts import data_dir

__all__ = [
    "EventClass",
    "EventRules",
    "Grammar",
    "Inflection",
    "LanguagePack",
    "NumberWords",
    "every_pack",
    "pack",
    "packs",
    "phrase_pattern",
]


class Inflection(BaseModel):
    """More forms of the reporting verbs written as ``prefix…suffix``: each of ``forms`` with
    ``{stem}`` the part between (French "a précisé" → "ont précisé", "précise", "précisent")."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    prefix: str
    suffix: str
    forms: tuple[str, ...]


class Grammar(BaseModel):
    """The word lists of the grammar cues (:mod:`summarizer._grammar`) for one language: lemmas
    where the language has a parser, word forms and phrases otherwise (see the README)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    about: str = ""
    hedge_moods: tuple[str, ...] = ()
    """Universal Dependencies ``Mood`` values that mark a proposition as unconfirmed."""
    not_hedge_lemmas: tuple[str, ...] = ()
    """Verbs whose forms in those moods are no hedge (an unmet obligation, politeness)."""
    hedges: tuple[str, ...] = ()
    conditions: tuple[str, ...] = ()
    not_conditions: tuple[str, ...] = ()
    marker_deps: tuple[str, ...] = ()
    """Dependency labels of a subordinating conjunction: a one-word condition must be one."""
    negation_particles: tuple[str, ...] = ()
    negations: tuple[str, ...] = ()
    negators: tuple[str, ...] = ()
    denial_lemmas: tuple[str, ...] = ()
    future_tenses: tuple[str, ...] = ()
    future_auxiliaries: tuple[str, ...] = ()
    imperative_moods: tuple[str, ...] = ()
    judgement_tenses: tuple[str, ...] = ()
    """``Tense`` values of a copula that says what something is (a judgement, "est un
    sérieux revers"), as against what it was."""
    past_tenses: tuple[str, ...] = ()
    """``Tense`` values of a reporting verb after which the conditional is a future in the past."""
    not_applicable: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    """Kind of statement with nothing to evidence (promise, call …) → its verbs' lemmas; a
    lemma followed by a word ("appeler à") needs that word within three tokens after it."""
    evidence_nouns: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    """Evidence status → nouns that, as the subject or relay of a statement, give it."""
    subject_deps: tuple[str, ...] = ()
    relay_deps: tuple[str, ...] = ()
    """Dependencies by which a noun hangs on a subject ("le rapport final du BEA, le Bureau")."""
    clause_deps: tuple[str, ...] = ()
    """Dependencies of a clausal complement: the proposition of "X estime que …"."""
    complement_deps: tuple[str, ...] = ()
    """Dependencies of what a reporting verb reports (clause, infinitive, object)."""
    auxiliary_deps: tuple[str, ...] = ()
    """Dependencies (before any ``:`` subtype) of auxiliaries and copulas on their verb."""
    copula_deps: tuple[str, ...] = ()
    question_deps: tuple[str, ...] = ()
    """Dependencies of a clause that is a complement: a "si" opening one asks, not sets a
    condition ("savoir si …")."""


class EventClass(BaseModel):
    """A trigger class: its lemmas (verbs and nouns) and the role of each syntactic slot."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    lemmas: tuple[str, ...] = ()
    roles: dict[str, str] = Field(default_factory=dict)


class EventRules(BaseModel):
    """The word lists of the event candidates (:mod:`summarizer._events`) for one language."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    about: str = ""
    classes: dict[str, EventClass] = Field(default_factory=dict)
    default_roles: dict[str, str] = Field(default_factory=dict)
    """Slot → role for a trigger of no class, and for a slot its class does not name."""
    light_verbs: tuple[str, ...] = ()
    contact_verbs: tuple[str, ...] = ()
    """Reporting verbs that are a contact event when they have a hearer ("told jurors")."""
    event_nouns: tuple[str, ...] = ()
    noun_suffixes: tuple[str, ...] = ()
    subject_deps: tuple[str, ...] = ()
    passive_subject_deps: tuple[str, ...] = ()
    object_deps: tuple[str, ...] = ()
    indirect_object_deps: tuple[str, ...] = ()
    agent_deps: tuple[str, ...] = ()
    oblique_deps: tuple[str, ...] = ()
    oblique_object_deps: tuple[str, ...] = ()
    case_deps: tuple[str, ...] = ()
    possessive_deps: tuple[str, ...] = ()
    shares_subject_deps: tuple[str, ...] = ()
    complement_deps: tuple[str, ...] = ()
    phrase_deps: tuple[str, ...] = ()
    modifier_deps: tuple[str, ...] = ()
    """A trigger hanging on a noun by these ("the injured men") has that noun as its patient."""
    predicative_deps: tuple[str, ...] = ()
    """A trigger that is the predicate of a copula by these ("were dead") has its subject."""
    prepositions: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    place_entities: tuple[str, ...] = ()
    place_nouns: tuple[str, ...] = ()
    vehicle_nouns: tuple[str, ...] = ()
    """A patient of these lemmas takes its class's ``vehicle_patient`` role, when it names one."""
    time_entities: tuple[str, ...] = ()
    future_auxiliaries: tuple[str, ...] = ()
    future_tenses: tuple[str, ...] = ()
    planned_lemmas: tuple[str, ...] = ()
    hedge_moods: tuple[str, ...] = ()
    hedge_words: tuple[str, ...] = ()
    negators: tuple[str, ...] = ()
    negation_particles: tuple[str, ...] = ()
    negation_words: tuple[str, ...] = ()
    denial_lemmas: tuple[str, ...] = ()
    ongoing_aspects: tuple[str, ...] = ()
    ongoing_tenses: tuple[str, ...] = ()
    relay_words: tuple[tuple[str, ...], ...] = ()


class NumberWords(BaseModel):
    """Written numbers (:mod:`summarizer._numbers`): value ranges, multipliers, hedges."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    about: str = ""
    values: dict[str, tuple[float, float]] = Field(default_factory=dict)
    multipliers: dict[str, float] = Field(default_factory=dict)
    approximate: tuple[str, ...] = ()
    tolerance: float = 0.0
    """Relative widening of a number written with an approximation word ("environ 10 000")."""
    articles: tuple[str, ...] = ()
    """Indefinite articles: one only before a number word ("a dozen"), never a count alone."""
    joiners: tuple[str, ...] = ()
    """Words between a quantity and its noun or next multiplier ("milliers de soldats")."""
    plural_endings: tuple[str, ...] = ()
    """Stripped from a noun to compare it when there is no parse (no lemma)."""
    not_counted: tuple[str, ...] = ()
    """Units, durations and percentages: a number before one counts no thing."""


class LanguagePack(BaseModel):
    """What the rules know about one language; every list may be empty (see the README)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    tag: str
    name: str
    """The language's English name, as the overview prompt tells the model to write."""
    subject_before_verb: bool = False
    """Whether the name right before a reporting verb is its subject ("Warren said")."""
    speech: tuple[str, ...] = ()
    speech_inflections: tuple[Inflection, ...] = ()
    auxiliary_inversions: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    """Auxiliary → what may follow it before the participle ("a-t-il précisé")."""
    relay_phrases: tuple[str, ...] = ()
    definite_articles: tuple[str, ...] = ()
    evidence: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    stance: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    not_names: tuple[str, ...] = ()
    name_particles: tuple[str, ...] = ()
    elisions: tuple[str, ...] = ()
    contraction_endings: tuple[str, ...] = ()
    possessive_endings: tuple[str, ...] = ()
    titles: tuple[str, ...] = ()
    title_abbreviations: tuple[str, ...] = ()
    speaker_articles: tuple[str, ...] = ()
    speaker_pronouns: tuple[str, ...] = ()
    pronouns: tuple[str, ...] = ()
    name_noise: tuple[str, ...] = ()
    stop_words: tuple[str, ...] = ()
    months: tuple[tuple[str, ...], ...] = ()
    """Twelve lists of names, January first (or none)."""
    day_suffixes: tuple[str, ...] = ()
    month_first: bool = False
    parser: dict[str, Any] | None = None
    """Rules of the parser front end, owned by it."""
    grammar: Grammar = Field(default_factory=Grammar)
    """Word lists of the grammar cues (commitment, evidence), for this language's articles."""
    events: EventRules = Field(default_factory=EventRules)
    """Trigger classes, roles and word lists of the event candidates (article's pack only)."""
    numbers: NumberWords = Field(default_factory=NumberWords)
    """Written numbers for the number inconsistencies (article's pack only)."""

    def cues(self, kind: str) -> dict[str, tuple[str, ...]]:
        """The cue phrases of ``kind`` ("evidence" or "stance") by label."""
        table: dict[str, tuple[str, ...]] = getattr(self, kind)
        return table


@cache
def packs() -> tuple[LanguagePack, ...]:
    """Every shipped pack, by tag."""
    folder = data_dir("prompts") / "packs"
    out = []
    for path in sorted(folder.glob("[!_]*.json")):
        try:
            loaded = LanguagePack.model_validate(json.loads(path.read_text(encoding="utf-8")))
        except (ValueError, ValidationError) as exc:
            raise ConfigurationError(f"language pack {path.name}: {exc}"[:500]) from exc
        if loaded.tag != path.stem:
            raise ConfigurationError(f"language pack {path.name} says its tag is {loaded.tag!r}")
        if loaded.months and len(loaded.months) != 12:
            raise ConfigurationError(f"language pack {path.name}: months needs 12 lists")
        out.append(loaded)
    return tuple(out)


@lru_cache(maxsize=64)
def pack(tag: str) -> LanguagePack:
    """The pack of a BCP-47 tag's primary subtag (``fr-CH`` → ``fr``); for a language with no
    pack, an empty one named by the tag, so the rules that depend on it do nothing."""
    primary = re.split(r"[-_]", tag.strip(), maxsplit=1)[0].casefold()
    found = next((p for p in packs() if p.tag == primary), None)
    return found or LanguagePack(tag=primary, name=tag)


def _union(*lists: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(x for lst in lists for x in lst))


@cache
def every_pack() -> LanguagePack:
    """All packs as one: each list the union of theirs in tag order (a list's own order kept),
    cue labels in order of first appearance. Its ``name``, word order and months mean nothing."""
    all_ = packs()
    merged: dict[str, Any] = {"tag": "*", "name": "*"}
    for field, info in LanguagePack.model_fields.items():
        if field in merged or info.annotation != tuple[str, ...]:
            continue
        merged[field] = _union(*(getattr(p, field) for p in all_))
    for kind in ("evidence", "stance"):
        table: dict[str, tuple[str, ...]] = {}
        for p in all_:
            for label, phrases in p.cues(kind).items():
                table[label] = _union(table.get(label, ()), phrases)
        merged[kind] = table
    merged["speech_inflections"] = tuple(i for p in all_ for i in p.speech_inflections)
    inversions: dict[str, tuple[str, ...]] = {}
    for p in all_:
        for auxiliary, infixes in p.auxiliary_inversions.items():
            inversions[auxiliary] = _union(inversions.get(auxiliary, ()), infixes)
    merged["auxiliary_inversions"] = inversions
    return LanguagePack.model_validate(merged)


def phrase_pattern(phrase: str) -> str:
    """``phrase`` as a regular expression where an apostrophe matches ' or ’."""
    return re.escape(phrase).replace("'", "['’]")

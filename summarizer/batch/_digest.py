"""The digest of a night: what repeats across articles, what comes without evidence, and what
other articles dispute.

Summaries are fed one at a time (:meth:`Digest.add`); only a compact record per claim is kept
(speaker key, word sets, a quote cut to 300 characters, an article index), so memory grows with
the number of claims, not with article text, and every comparison is bucketed by speaker.

Rules (each has a unit test that fails without it, in tests/test_batch_report.py):

* **Words** (:func:`words`): NFKD with accents dropped, casefolded, split on anything that is
  not a letter or digit, minus the language packs' stop words and single letters; a
  final ``s`` is dropped from words of five letters or more, so plurals match. Negations
  (``ne``, ``pas``, ``not``, ``never``…) are *kept*: "X did" and "X did not" must not look
  alike.
* **Same speaker** (:func:`name_key`, :func:`canonical_names`): the source's name (not its
  relay chain) as a set of words, without leading titles (the packs' ``titles``: M., Mr, Mme,
  Dr…), particles (``name_noise``: de, la, the…) and initials, so case, accents, titles and
  word order do not matter. A name whose words are all inside other names is merged into the
  longest of them when that one contains all the others ("Poutine" → "Vladimir Poutine");
  when two unrelated names contain it ("Macron" in "Emmanuel Macron" and "Brigitte Macron")
  it stays apart. Anonymous sources (``anonymous_*`` types) are never the same speaker as
  anyone: two "sources proches du dossier" in two outlets are not one person.
* **Repeated claims**: two claims of the same speaker in different articles whose quotes have
  a word-set Jaccard similarity of at least :data:`SIMILAR` (0.6), both with at least
  :data:`MIN_WORDS` (3) words; similar pairs are joined transitively (union-find). The join is
  an all-pairs similarity join with prefix filtering inside each speaker's bucket (words ordered
  rarest first; two sets with Jaccard ≥ t must share a word among their first
  ``n - ceil(t·n) + 1``), so it stays near-linear instead of quadratic in the bucket size;
  identical word sets (the copies of a syndicated quote) are joined before it, unseen by it.
  Clusters are ranked by the number of distinct articles (by text hash) they appear in.
* **No evidence**: every claim whose evidence status is ``none_provided``.
* **Disputed elsewhere**: a counterclaim with stance ``denies`` or ``disputes`` in article B
  disputes a claim *c* of article A (A ≠ B) when

  1. ``similar_text``: *c* is in the same repeated-claim cluster as the claim B's counterclaim
     targets (same speaker, similar quote, as above);
  2. ``shared_keywords``: *c* has the same speaker as that target claim and they are on the
     same topic (:func:`on_topic`): keywords (words of 4+ characters of the quote
     and the events the claim is about, minus the speaker's own name) share at least
     :data:`MIN_SHARED` (3) words, and at least half of the smaller keyword set;
  3. ``names_speaker``: the counterclaim's quote names *c*'s speaker (every word of one of the
     names merged into that speaker appears in it, or the surname, i.e. the last word of a
     person's name (``named_on_record``) when no other speaker has that surname), that speaker
     is not the counterclaim's own, and *c* is on topic with the counterclaim's quote plus its
     target claim (same test as 2).

  The first rule that matches is the one reported. Copies of one counterclaim (same words,
  speaker and answered cluster) share one evaluation of the rules, so 6,000 copies of a
  syndicated article cost 6,000 steps, not 6,000².
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Literal

from pydantic import BaseModel, Field

from summarizer._packs import every_pack
from summarizer.models import ArticleSummary, EvidenceStatus, SourceType, Stance
from summarizer.render import speaker_label

__all__ = [
    "MIN_SHARED",
    "MIN_WORDS",
    "SIMILAR",
    "ArticleRef",
    "ClaimRef",
    "CounterRef",
    "Digest",
    "DigestReport",
    "Dispute",
    "DisputedClaim",
    "RepeatedClaim",
    "canonical_names",
    "jaccard",
    "name_key",
    "on_topic",
    "similar_pairs",
    "surname",
    "words",
]

SIMILAR = 0.6
MIN_WORDS = 3
MIN_SHARED = 3
_QUOTE_CHARS = 300
_EXAMPLES = 5


@cache
def _stop_words() -> frozenset[str]:
    return frozenset(_tokens(" ".join(every_pack().stop_words)))


@cache
def _titles() -> frozenset[str]:
    return frozenset(_tokens(" ".join(every_pack().titles)))


@cache
def _name_noise() -> frozenset[str]:
    return frozenset(_tokens(" ".join(every_pack().name_noise)))


_WORD = re.compile(r"[^\W_]+")
_DISPUTING = frozenset({Stance.denies, Stance.disputes})
_ANONYMOUS = frozenset({SourceType.anonymous_described, SourceType.anonymous_unspecified})

Name = frozenset[str]
Rule = Literal["similar_text", "shared_keywords", "names_speaker"]


def _tokens(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKD", text.casefold())
    return _WORD.findall("".join(c for c in folded if not unicodedata.combining(c)))


def words(text: str) -> frozenset[str]:
    """The comparable words of a text (see the module docstring)."""
    return frozenset(
        w[:-1] if len(w) > 4 and w[-1] == "s" else w
        for w in _tokens(text)
        if w not in _stop_words() and not (len(w) == 1 and w.isalpha())
    )


def _name_words(name: str) -> list[str]:
    toks = _tokens(name)
    while toks and toks[0] in _titles():
        toks.pop(0)
    return [t for t in toks if t not in _name_noise() and not (len(t) == 1 and t.isalpha())]


def name_key(name: str) -> Name:
    """A speaker's name as a set of words: no case, accents, leading titles, particles or
    initials. A name made only of those keeps its folded form, so it matches itself only."""
    return frozenset(_name_words(name)) or frozenset({" ".join(_tokens(name)) or name.casefold()})


def surname(name: str) -> str | None:
    """The last word of a person's name of two words or more ("Poutine" for "M. Vladimir
    Poutine"), the way other people refer to them."""
    toks = _name_words(name)
    return toks[-1] if len(toks) >= 2 and len(toks[-1]) >= 3 else None


def canonical_names(names: Iterable[Name]) -> dict[Name, Name]:
    """Map each name to the longest name containing it, when that one contains every other
    name that contains it (else, ambiguous, to itself)."""
    distinct = set(names)
    index: dict[str, set[Name]] = defaultdict(set)
    for n in distinct:
        for w in n:
            index[w].add(n)
    out: dict[Name, Name] = {}
    for n in distinct:
        posting = sorted((index[w] for w in n), key=len)
        supersets = set(posting[0]).intersection(*posting[1:])
        union: Name = frozenset().union(*supersets)
        out[n] = union if union in supersets else n
    return out


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a and not b:
        return 1.0
    shared = len(a & b)
    return shared / (len(a) + len(b) - shared)


def similar_pairs(sets: list[frozenset[str]], threshold: float) -> Iterator[tuple[int, int]]:
    """Index pairs ``(i, j)`` with ``jaccard(sets[i], sets[j]) >= threshold``, by prefix
    filtering: near-linear when rare words tell the sets apart, never worse than all pairs."""
    freq = Counter(w for s in sets for w in s)
    index: dict[str, list[int]] = defaultdict(list)
    for i in sorted(range(len(sets)), key=lambda k: len(sets[k])):
        x = sets[i]
        if not x:
            continue
        ordered = sorted(x, key=lambda w: (freq[w], w))
        prefix = len(x) - math.ceil(threshold * len(x) - 1e-9) + 1
        candidates: set[int] = set()
        for w in ordered[:prefix]:
            # sets come by increasing size, so |y| <= |x|; Jaccard >= t needs |y| >= t·|x|
            candidates.update(j for j in index[w] if len(sets[j]) >= threshold * len(x) - 1e-9)
            index[w].append(i)
        for j in sorted(candidates):
            if jaccard(x, sets[j]) >= threshold:
                yield j, i


def on_topic(a: frozenset[str], b: frozenset[str]) -> bool:
    """Keyword sets on the same topic: at least MIN_SHARED shared, and half the smaller set."""
    shared = len(a & b)
    return shared >= MIN_SHARED and shared >= 0.5 * min(len(a), len(b))


def _keywords(texts: Iterable[str | None], speaker: Name) -> frozenset[str]:
    return frozenset(w for t in texts if t for w in words(t) if len(w) >= 4 and w not in speaker)


# --- what the digest reports ------------------------------------------------------------------


class ArticleRef(BaseModel):
    article_id: str
    title: str | None = None
    url: str | None = None


class ClaimRef(BaseModel):
    article: ArticleRef
    claim_id: str
    speaker: str
    quote: str
    evidence: EvidenceStatus
    evidence_basis: str


class CounterRef(BaseModel):
    article: ArticleRef
    counterclaim_id: str
    speaker: str
    quote: str
    stance: Stance


class RepeatedClaim(BaseModel):
    speaker: str
    quote: str = Field(description="the first quote of the cluster, in input order")
    articles: int = Field(description="distinct articles (by text hash) that carry it")
    claims: int
    examples: list[ClaimRef] = Field(description="one claim per article, the first few")


class DisputedClaim(BaseModel):
    claim: ClaimRef
    rule: Rule


class Dispute(BaseModel):
    by: CounterRef
    answers: ClaimRef | None = Field(description="the claim it answers in its own article")
    total: int = Field(description="claims of other articles it disputes")
    claims: list[DisputedClaim]


class DigestReport(BaseModel):
    articles: int = Field(description="done summaries read (one per text hash)")
    claims: int
    repeated: list[RepeatedClaim]
    repeated_total: int
    no_evidence: list[ClaimRef]
    no_evidence_total: int
    disputes: list[Dispute]
    disputes_total: int


# --- building it ------------------------------------------------------------------------------


@dataclass(slots=True)
class _Claim:
    article: int
    claim_id: str
    label: str
    name: Name | None  # None: anonymous, never matched
    quote: str
    words: frozenset[str]
    keywords: frozenset[str]
    evidence: EvidenceStatus
    basis: str


@dataclass(slots=True)
class _Counter:
    article: int
    counterclaim_id: str
    label: str
    name: Name | None
    quote: str
    words: frozenset[str]  # every word, stop words included: names are looked up in it
    keywords: frozenset[str]
    stance: Stance
    target: int | None  # index into Digest._claims


@dataclass(slots=True)
class _Index:
    """What the rules share once every article is in: merged speakers, buckets, clusters."""

    canon: dict[Name, Name]  # name -> merged speaker
    speaker: list[Name | None]  # per claim; None for anonymous sources
    buckets: dict[Name, list[int]]  # merged speaker -> its claims
    members: dict[int, list[int]]  # cluster root -> its claims
    roots: list[int]  # per claim
    variants: dict[str, list[tuple[Name, Name]]]  # a name's longest word -> (name, merged)
    surnames: dict[str, Name]  # an unambiguous surname -> merged speaker


@dataclass(slots=True)
class _Hits:
    """The claims one counterclaim reaches: the rule of each, in input order, per text."""

    rules: dict[int, Rule]
    ordered: list[int]
    per_text: Counter[str]


class Digest:
    """Accumulates summaries (:meth:`add`), then :meth:`report` runs the cross-article rules."""

    def __init__(self, *, limit: int = 50) -> None:
        self.limit = limit
        self._articles: list[ArticleRef] = []
        self._texts: list[str] = []
        self._claims: list[_Claim] = []
        self._counters: list[_Counter] = []
        self._surnames: dict[str, set[Name]] = defaultdict(set)

    def add(self, ref: ArticleRef, summary: ArticleSummary, text_sha256: str) -> None:
        """Keep what the rules need from one article's summary."""
        n = len(self._articles)
        self._articles.append(ref)
        self._texts.append(text_sha256)
        sources = {s.id: s for s in summary.sources}
        events = {e.id: e for e in summary.events}

        def name(source_id: str) -> Name | None:
            src = sources.get(source_id)
            if src is None:
                return name_key(source_id)
            if src.type in _ANONYMOUS:
                return None
            key = name_key(src.name)
            if src.type is SourceType.named_on_record and (last := surname(src.name)):
                self._surnames[last].add(key)
            return key

        claim_index: dict[str, int] = {}
        for c in summary.claims:
            who = name(c.speaker)
            about = [
                t for e in c.about if e in events for t in (events[e].what, events[e].trigger.text)
            ]
            claim_index[c.id] = len(self._claims)
            self._claims.append(
                _Claim(
                    article=n,
                    claim_id=c.id,
                    label=speaker_label(summary, c.speaker),
                    name=who,
                    quote=c.quote.text[:_QUOTE_CHARS],
                    words=words(c.quote.text),
                    keywords=_keywords([c.quote.text, *about], who or frozenset()),
                    evidence=c.evidence.status,
                    basis=c.evidence.basis.value,
                )
            )
        for r in summary.counterclaims:
            if r.stance not in _DISPUTING:
                continue
            who = name(r.speaker)
            self._counters.append(
                _Counter(
                    article=n,
                    counterclaim_id=r.id,
                    label=speaker_label(summary, r.speaker),
                    name=who,
                    quote=r.quote.text[:_QUOTE_CHARS],
                    words=frozenset(_tokens(r.quote.text)),
                    keywords=_keywords([r.quote.text], who or frozenset()),
                    stance=r.stance,
                    target=claim_index.get(r.target),
                )
            )

    def report(self) -> DigestReport:
        """Run the rules of the module docstring over every article added."""
        idx = self._index()
        repeated = self._repeated(idx)
        no_evidence = self._no_evidence(idx)
        cache: dict[tuple[object, ...], _Hits] = {}
        disputes = [d for r in self._counters if (d := self._dispute(r, idx, cache)) is not None]
        disputes.sort(key=lambda d: -d.total)
        return DigestReport(
            articles=len(self._articles),
            claims=len(self._claims),
            repeated=repeated[: self.limit],
            repeated_total=len(repeated),
            no_evidence=no_evidence[: self.limit],
            no_evidence_total=len(no_evidence),
            disputes=disputes[: self.limit],
            disputes_total=len(disputes),
        )

    def _index(self) -> _Index:
        names = [c.name for c in self._claims] + [r.name for r in self._counters]
        canon = canonical_names(n for n in names if n is not None)
        speaker = [None if c.name is None else canon[c.name] for c in self._claims]
        buckets: dict[Name, list[int]] = defaultdict(list)
        for i, who in enumerate(speaker):
            if who is not None:
                buckets[who].append(i)
        roots = self._clusters(buckets)
        members: dict[int, list[int]] = defaultdict(list)
        for i, root in enumerate(roots):
            members[root].append(i)
        variants: dict[str, list[tuple[Name, Name]]] = defaultdict(list)
        for variant, merged in canon.items():
            variants[max(variant, key=lambda w: (len(w), w))].append((variant, merged))
        surnames: dict[str, Name] = {}
        for last, keys in self._surnames.items():
            people = {canon[k] for k in keys}
            if len(people) == 1:
                surnames[last] = people.pop()
        return _Index(canon, speaker, buckets, members, roots, variants, surnames)

    def _clusters(self, buckets: dict[Name, list[int]]) -> list[int]:
        """Union-find over similar claims of each speaker; returns each claim's root."""
        parent = list(range(len(self._claims)))

        def find(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        def union(a: int, b: int) -> None:
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)

        for claims in buckets.values():
            # A syndicated quote comes as thousands of identical word sets: they are one
            # cluster at once, and only distinct sets go to the join (all pairs of n copies
            # would be n²/2 comparisons).
            copies: dict[frozenset[str], list[int]] = defaultdict(list)
            for i in claims:
                if len(self._claims[i].words) >= MIN_WORDS:
                    copies[self._claims[i].words].append(i)
            for same in copies.values():
                for i in same[1:]:
                    union(same[0], i)
            firsts = [same[0] for same in copies.values()]
            for a, b in similar_pairs(list(copies), SIMILAR):
                union(firsts[a], firsts[b])
        return [find(i) for i in range(len(parent))]

    def _repeated(self, idx: _Index) -> list[RepeatedClaim]:
        display = self._display_names(idx.speaker)
        out: list[RepeatedClaim] = []
        for root, claims in idx.members.items():
            who = idx.speaker[root]
            examples: dict[str, ClaimRef] = {}  # one per article text, in input order
            for i in claims:
                text = self._texts[self._claims[i].article]
                if text not in examples:
                    examples[text] = self._claim_ref(i)
            if who is None or len(examples) < 2:
                continue
            out.append(
                RepeatedClaim(
                    speaker=display[who],
                    quote=self._claims[root].quote,
                    articles=len(examples),
                    claims=len(claims),
                    examples=list(examples.values())[:_EXAMPLES],
                )
            )
        out.sort(key=lambda r: (-r.articles, -r.claims, r.speaker.casefold(), r.quote))
        return out

    def _display_names(self, speaker: list[Name | None]) -> dict[Name, str]:
        """The most frequent spelling of each merged speaker; on a tie, the fullest name
        (most name words), written the shortest way (without a title)."""
        spellings: dict[Name, Counter[str]] = defaultdict(Counter)
        for c, who in zip(self._claims, speaker, strict=True):
            if who is not None:
                spellings[who][c.label] += 1

        def rank(kv: tuple[str, int]) -> tuple[int, int, int, str]:
            return (kv[1], len(name_key(kv[0])), -len(kv[0]), kv[0])

        return {who: max(counts.items(), key=rank)[0] for who, counts in spellings.items()}

    def _no_evidence(self, idx: _Index) -> list[ClaimRef]:
        """Claims without evidence, the speakers with most of them first, then input order."""
        found = [
            i for i, c in enumerate(self._claims) if c.evidence is EvidenceStatus.none_provided
        ]
        per_speaker = Counter(idx.speaker[i] for i in found)

        def weight(i: int) -> int:
            return 1 if idx.speaker[i] is None else per_speaker[idx.speaker[i]]

        found.sort(key=lambda i: (-weight(i), i))
        return [self._claim_ref(i) for i in found]

    def _dispute(
        self, r: _Counter, idx: _Index, cache: dict[tuple[object, ...], _Hits]
    ) -> Dispute | None:
        """The claims of other articles that counterclaim ``r`` disputes (rules 1-3).

        The claims a counterclaim reaches depend only on its words, its speaker and the
        claim it answers (cluster, speaker, keywords), so copies of one syndicated article
        share one computation (``cache``); only its own article is left out per copy."""
        target = r.target
        who = None if target is None else idx.speaker[target]
        answered = frozenset[str]() if target is None else self._claims[target].keywords
        root = None if target is None else idx.roots[target]
        own = None if r.name is None else idx.canon[r.name]
        key = (root, who, answered, own, r.words, r.keywords)
        found = cache.get(key)
        if found is None:
            found = cache[key] = self._hits(r, idx, target, who, answered, own)
        home = self._texts[r.article]
        total = len(found.ordered) - found.per_text.get(home, 0)
        if not total:
            return None
        shown = []
        for i in found.ordered:
            if self._texts[self._claims[i].article] != home:
                shown.append(i)
                if len(shown) == _EXAMPLES:
                    break
        return Dispute(
            by=CounterRef(
                article=self._articles[r.article],
                counterclaim_id=r.counterclaim_id,
                speaker=r.label,
                quote=r.quote,
                stance=r.stance,
            ),
            answers=None if target is None else self._claim_ref(target),
            total=total,
            claims=[DisputedClaim(claim=self._claim_ref(i), rule=found.rules[i]) for i in shown],
        )

    def _hits(
        self,
        r: _Counter,
        idx: _Index,
        target: int | None,
        who: Name | None,
        answered: frozenset[str],
        own: Name | None,
    ) -> _Hits:
        """Every claim rules 1-3 reach from ``r``, each with the first rule that reached it,
        its own article included (the caller leaves that out)."""
        rules: dict[int, Rule] = {}
        if target is not None and who is not None:
            for i in idx.members[idx.roots[target]]:
                rules.setdefault(i, "similar_text")
            for i in idx.buckets[who]:
                if i not in rules and on_topic(self._claims[i].keywords, answered):
                    rules[i] = "shared_keywords"
        mentioned = {named for w in r.words if (named := idx.surnames.get(w)) is not None}
        for w in r.words:
            mentioned.update(
                named for variant, named in idx.variants.get(w, []) if variant <= r.words
            )
        for named in sorted(mentioned - {own}, key=sorted):
            topic = (r.keywords | answered) - named
            for i in idx.buckets.get(named, []):
                if i not in rules and on_topic(self._claims[i].keywords, topic):
                    rules[i] = "names_speaker"
        ordered = sorted(rules)
        per_text = Counter(self._texts[self._claims[i].article] for i in ordered)
        return _Hits(rules, ordered, per_text)

    def _claim_ref(self, i: int) -> ClaimRef:
        c = self._claims[i]
        return ClaimRef(
            article=self._articles[c.article],
            claim_id=c.claim_id,
            speaker=c.label,
            quote=c.quote,
            evidence=c.evidence,
            evidence_basis=c.basis,
        )

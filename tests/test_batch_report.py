"""The morning report: numbers read from a batch store, the digest rules, escaping, the command.

Stores are built in tmp_path through the Store API with hand-made summaries; each digest rule
has a case that fails when the rule is removed, and a near miss that must not match.
"""

from __future__ import annotations

import json
import random
import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner, Result

from summarizer._cli._report import report_command
from summarizer.batch._digest import (
    SIMILAR,
    ArticleRef,
    Digest,
    DigestReport,
    DisputedClaim,
    canonical_names,
    jaccard,
    name_key,
    on_topic,
    similar_pairs,
    surname,
    words,
)
from summarizer.batch._report import (
    NightReport,
    build_report,
    percentile,
    report_html,
    report_markdown,
)
from summarizer.batch._store import Store, StoreError
from summarizer.models import (
    ArticleMeta,
    ArticleSummary,
    Basis,
    Claim,
    Counterclaim,
    Event,
    EventStatus,
    Evidence,
    EvidenceStatus,
    Provenance,
    Source,
    SourceType,
    Span,
    Stance,
    SummarySentence,
    Usage,
)
from summarizer.pricing import Price
from tests.batch_support import store_sql

# --- hand-made summaries -------------------------------------------------------------------------


@dataclass
class C:
    """A claim: speaker name, quote, evidence status, the event it is about."""

    speaker: str
    quote: str
    evidence: EvidenceStatus = EvidenceStatus.provided
    type: SourceType = SourceType.named_on_record
    about: str | None = None


@dataclass
class R:
    """A counterclaim answering claim number ``target`` of the same article."""

    target: int
    speaker: str
    quote: str
    stance: Stance = Stance.denies


@dataclass
class A:
    title: str
    claims: list[C]
    counters: list[R] = field(default_factory=list)
    url: str | None = None


def summary(a: A) -> ArticleSummary:
    """A valid, grounded summary whose text is the quotes one after the other."""
    text = ""
    spans: list[Span] = []
    for quote in [c.quote for c in a.claims] + [r.quote for r in a.counters]:
        text += "« "
        spans.append(Span.of(text + quote, len(text), len(text) + len(quote)))
        text += quote + " », a dit quelqu'un. "
    sources: dict[tuple[str, SourceType], Source] = {}

    def source(name: str, kind: SourceType = SourceType.named_on_record) -> str:
        if (name, kind) not in sources:
            sources[name, kind] = Source(id=f"s{len(sources) + 1}", name=name, type=kind)
        return sources[name, kind].id

    events = [
        Event(
            id=f"e{n}",
            what=c.about,
            trigger=spans[n - 1],
            status=EventStatus.occurred,
        )
        for n, c in enumerate(a.claims, 1)
        if c.about
    ]
    claims = [
        Claim(
            id=f"c{n}",
            speaker=source(c.speaker, c.type),
            quote=spans[n - 1],
            evidence=Evidence(status=c.evidence, basis=Basis.cue),
            about=[f"e{n}"] if c.about else [],
        )
        for n, c in enumerate(a.claims, 1)
    ]
    counters = [
        Counterclaim(
            id=f"cc{n}",
            target=f"c{r.target}",
            speaker=source(r.speaker),
            quote=spans[len(a.claims) + n - 1],
            stance=r.stance,
            evidence=Evidence(status=EvidenceStatus.unclear, basis=Basis.not_assessed),
        )
        for n, r in enumerate(a.counters, 1)
    ]
    return ArticleSummary(
        article=ArticleMeta(
            title=a.title, language="fr", url=a.url, sha256="0" * 64, chars=len(text)
        ),
        summary=[SummarySentence(text="Résumé.", refs=[])],
        sources=list(sources.values()),
        events=events,
        claims=claims,
        counterclaims=counters,
        inconsistencies=[],
        provenance=Provenance(model="m", backend="openai", prompt_version="p1", usage=Usage()),
    )


def digest(*articles: A, limit: int = 50) -> DigestReport:
    d = Digest(limit=limit)
    for n, a in enumerate(articles):
        d.add(ArticleRef(article_id=f"art{n}", title=a.title, url=a.url), summary(a), f"t{n}")
    return d.report()


# --- normalisation -------------------------------------------------------------------------------


def test_words_drop_accents_case_stop_words_but_keep_negations() -> None:
    assert words("L'Élysée N'A PAS démenti") == {"elysee", "pas", "dementi"}
    assert words("des frappes sur les civils") == words("une frappe sur un civil")
    assert "not" in words("We did not bomb") and "ne" in words("Il ne ment plus")


def test_speaker_names_ignore_case_accents_titles_particles_and_initials() -> None:
    same = ["M. Vladimir POUTINE", "vladimir poutine", "Mr Vladimir Poutine", "V. Vladimir Poutine"]
    assert {name_key(n) for n in same} == {frozenset({"vladimir", "poutine"})}
    assert name_key("Élisabeth Borne") == name_key("Elisabeth BORNE")
    assert name_key("Ursula von der Leyen") == {"ursula", "leyen"}
    assert name_key("M.") != name_key("Mme")  # only titles: kept as written, matches itself
    assert surname("M. Vladimir Poutine") == "poutine" and surname("Poutine") is None


def test_a_name_inside_one_longer_name_is_merged_but_not_when_ambiguous() -> None:
    poutine, vp, vvp = name_key("Poutine"), name_key("Vladimir Poutine"), name_key("V. V. Poutine")
    canon = canonical_names([poutine, vp, vvp])
    assert canon[poutine] == vp and canon[vp] == vp
    macron, em, bm = name_key("Macron"), name_key("Emmanuel Macron"), name_key("Brigitte Macron")
    canon = canonical_names([macron, em, bm])
    assert canon[macron] == macron and canon[em] == em and canon[bm] == bm


def test_similarity_join_finds_exactly_the_pairs_a_brute_force_finds() -> None:
    rng = random.Random(6)
    vocab = [f"w{i}" for i in range(30)]
    sets = [frozenset(rng.sample(vocab, rng.randint(1, 8))) for _ in range(300)]
    brute = {
        (i, j)
        for i in range(len(sets))
        for j in range(i + 1, len(sets))
        if jaccard(sets[i], sets[j]) >= SIMILAR
    }
    found = {tuple(sorted(p)) for p in similar_pairs(sets, SIMILAR)}
    assert brute and found == brute


# --- repeated claims -----------------------------------------------------------------------------

Q = "Nous n'avons jamais bombardé la centrale nucléaire de Zaporijia"


def test_the_same_claim_by_the_same_speaker_in_two_articles_is_repeated() -> None:
    d = digest(
        A("A", [C("M. Vladimir POUTINE", Q)]),
        A("B", [C("Poutine", Q.replace("jamais", "jamais, jamais") + " cette semaine")]),
        A("C", [C("Vladimir Poutine", Q)]),
        A("D", [C("Vladimir Poutine", "Les sanctions occidentales ont échoué partout")]),
    )
    assert d.repeated_total == 1
    top = d.repeated[0]
    assert top.articles == 3 and top.claims == 3 and top.quote == Q
    assert top.speaker == "Vladimir Poutine"  # the fullest name, without its title
    assert [e.article.title for e in top.examples] == ["A", "B", "C"]


@pytest.mark.parametrize(
    ("second", "why"),
    [
        (C("Volodymyr Zelensky", Q), "another speaker"),
        (C("Poutine", "Nous avons bombardé des dépôts de munitions à Zaporijia"), "other text"),
        (C("source proche", Q, type=SourceType.anonymous_unspecified), "anonymous"),
    ],
)
def test_not_repeated(second: C, why: str) -> None:
    first = C("source proche", Q, type=second.type) if why == "anonymous" else C("Poutine", Q)
    assert digest(A("A", [first]), A("B", [second])).repeated_total == 0, why


def test_similarity_threshold_and_minimum_length() -> None:
    base = "un deux trois quatre cinq six sept huit neuf dix"
    six_of_ten = "un deux trois quatre cinq six onze douze treize quatorze"  # 6/14 = 0.43
    eight_of_ten = "un deux trois quatre cinq six sept huit onze douze"  # 8/12 = 0.67
    assert digest(A("A", [C("X Y", base)]), A("B", [C("X Y", six_of_ten)])).repeated_total == 0
    assert digest(A("A", [C("X Y", base)]), A("B", [C("X Y", eight_of_ten)])).repeated_total == 1
    short = digest(A("A", [C("X Y", "Faux, archifaux")]), A("B", [C("X Y", "Faux, archifaux")]))
    assert short.repeated_total == 0  # fewer than MIN_WORDS words: too short to mean the same


def test_the_same_text_twice_is_one_article_not_a_repetition() -> None:
    d = Digest()
    s = summary(A("A", [C("Poutine", Q)]))
    d.add(ArticleRef(article_id="a"), s, "same-text")
    d.add(ArticleRef(article_id="b"), s, "same-text")
    assert d.report().repeated_total == 0


# --- no evidence ----------------------------------------------------------------------------------


def test_claims_without_evidence_are_listed_most_frequent_speaker_first() -> None:
    d = digest(
        A("A", [C("Bob Martin", "Les chiffres sont faux", EvidenceStatus.none_provided)]),
        A(
            "B",
            [
                C("Alice Durand", "Tout va bien", EvidenceStatus.none_provided),
                C("Alice Durand", "Rien ne change", EvidenceStatus.none_provided),
                C("Alice Durand", "Voici le rapport", EvidenceStatus.provided),
            ],
            url="https://example.org/b",
        ),
    )
    assert d.no_evidence_total == 3
    assert [(x.speaker, x.quote) for x in d.no_evidence] == [
        ("Alice Durand", "Tout va bien"),
        ("Alice Durand", "Rien ne change"),
        ("Bob Martin", "Les chiffres sont faux"),
    ]
    assert d.no_evidence[0].article.url == "https://example.org/b"


# --- disputed elsewhere ---------------------------------------------------------------------------

DENIAL = R(1, "Volodymyr Zelensky", "C'est un mensonge, la centrale a été frappée")


def test_rule_similar_text_a_claim_disputed_in_another_article() -> None:
    d = digest(A("A", [C("Poutine", Q)]), A("B", [C("Vladimir Poutine", Q)], [DENIAL]))
    assert d.disputes_total == 1
    dispute = d.disputes[0]
    assert dispute.by.speaker == "Volodymyr Zelensky" and dispute.by.article.title == "B"
    assert dispute.answers is not None and dispute.answers.article.title == "B"
    assert [(x.claim.article.title, x.rule) for x in dispute.claims] == [("A", "similar_text")]


def test_rule_shared_keywords_same_speaker_same_topic_different_words() -> None:
    a = "Les soldats russes gardent la centrale nucléaire de Zaporijia depuis mars"
    b = "La centrale nucléaire de Zaporijia est parfaitement sûre"
    assert jaccard(words(a), words(b)) < SIMILAR
    d = digest(A("A", [C("Poutine", a)]), A("B", [C("Poutine", b)], [DENIAL]))
    assert [(x.claim.article.title, x.rule) for x in d.disputes[0].claims] == [
        ("A", "shared_keywords")
    ]


def test_on_topic_needs_three_shared_keywords_and_half_the_smaller_set() -> None:
    assert on_topic(frozenset("abcd"), frozenset("abcxyz"))  # 3 shared, 3 >= 4 / 2
    assert not on_topic(frozenset("ab"), frozenset("ab"))  # only 2 shared
    assert not on_topic(frozenset("abcdefgh"), frozenset("abcstuvw"))  # 3 < 8 / 2


def test_rule_shared_keywords_counts_the_words_of_the_event_a_claim_is_about() -> None:
    event = "bombardement de la centrale nucléaire de Zaporijia"
    a = A("A", [C("Poutine", "Nos militaires ont agi avec retenue", about=event)])
    b = A("B", [C("Poutine", "Personne ne menace la centrale nucléaire de Zaporijia")], [DENIAL])
    assert digest(a, b).disputes_total == 1
    a.claims[0].about = None
    assert digest(a, b).disputes_total == 0


def test_rule_names_speaker_a_counterclaim_that_names_the_speaker_of_another_article() -> None:
    a = A(
        "A",
        [C("Vladimir Poutine", "Nos frappes sur Kharkiv visent uniquement des cibles militaires")],
    )
    peskov = C("Dmitri Peskov", "Les frappes visaient uniquement des cibles militaires à Kharkiv")
    names = R(1, "Volodymyr Zelensky", "Poutine ment: les frappes sur Kharkiv ont tué des civils")
    d = digest(a, A("B", [peskov], [names]))
    assert [(x.claim.article.title, x.rule) for x in d.disputes[0].claims] == [
        ("A", "names_speaker")
    ]
    unnamed = R(1, "Volodymyr Zelensky", "Mensonge: les frappes sur Kharkiv ont tué des civils")
    assert digest(a, A("B", [peskov], [unnamed])).disputes_total == 0


def test_rule_names_speaker_also_finds_an_institution_named_in_full() -> None:
    kremlin = C(
        "le Kremlin",
        "Les frappes russes sur Kharkiv ne visent aucun civil",
        type=SourceType.institution,
    )
    peskov = C("Dmitri Peskov", "Les frappes sur Kharkiv ne visent aucun civil")
    names = R(1, "Volodymyr Zelensky", "Le Kremlin ment: les frappes sur Kharkiv tuent des civils")
    d = digest(A("A", [kremlin]), A("B", [peskov], [names]))
    assert [(x.claim.article.title, x.rule) for x in d.disputes[0].claims] == [
        ("A", "names_speaker")
    ]


@pytest.mark.parametrize(
    "case",
    ["supports", "same article", "other topic", "other speaker", "own name"],
)
def test_not_disputed(case: str) -> None:
    claim_a = C("Poutine", Q)
    counter = DENIAL
    b_claims = [C("Poutine", Q)]
    if case == "supports":
        counter = R(1, "Volodymyr Zelensky", "C'est vrai", Stance.supports)
    elif case == "other topic":
        claim_a = C("Poutine", "Les sanctions occidentales ont complètement échoué partout")
    elif case == "other speaker":
        claim_a = C("Sergueï Lavrov", Q)
    elif case == "own name":  # a speaker who names himself does not dispute himself
        claim_a = C("Volodymyr Zelensky", "La centrale de Zaporijia a été frappée, un mensonge")
        counter = R(1, "Volodymyr Zelensky", "Zelensky: mensonge, la centrale a été frappée")
    if case == "same article":
        same = A("B", [claim_a, *b_claims], [R(2, DENIAL.speaker, DENIAL.quote)])
        assert digest(same).disputes_total == 0
        return
    assert digest(A("A", [claim_a]), A("B", b_claims, [counter])).disputes_total == 0, case


# --- the store ------------------------------------------------------------------------------------

MODEL = "test-model"
PRICES = {MODEL: Price(input=1.0, output=2.0)}  # USD per million tokens


@dataclass
class Outcome:
    """One article of a run: a summary (done), an error (failed), or None (left pending)."""

    article_id: str
    result: ArticleSummary | tuple[str, str] | None
    seconds: float = 1.0
    text: str | None = None  # what the key hashes; the article id by default
    usage: Usage = field(default_factory=lambda: Usage(prompt_tokens=1000, completion_tokens=100))


def _key(o: Outcome, model: str) -> str:
    return f"{o.text or o.article_id}|{model}"


def run(
    store_path: Path,
    outcomes: list[Outcome],
    *,
    model: str = MODEL,
    seen: list[Outcome] = (),  # type: ignore[assignment]
    wall: tuple[float, float] | None = (1000.0, 4600.0),
) -> int:
    """Record one run: ``outcomes`` are summarized by it, ``seen`` only listed as items."""
    with Store(store_path) as store:
        run_id = store.begin_run(model=model, prompt_version="p1", schema_hash="h", settings={})
        items = [*seen, *outcomes]
        store.add_items(
            run_id, [(n, o.article_id, "src", _key(o, model)) for n, o in enumerate(items, 1)]
        )
        for o in outcomes:
            key = _key(o, model)
            title = o.result.article.title if isinstance(o.result, ArticleSummary) else None
            meta = {
                "article_id": o.article_id,
                "source": "src",
                "text_sha256": o.text or o.article_id,
                "title": title,
                "url": None,
                "published": None,
                "language": "fr",
                "model": model,
                "prompt_version": "p1",
                "schema_hash": "h",
            }
            store.start(key, meta, run_id)
            if o.result is None:
                continue
            usage = o.usage.model_copy(update={"requests": 1, "seconds": o.seconds})
            if isinstance(o.result, ArticleSummary):
                store.finish(key, usage=usage, result=o.result.model_dump_json())
            else:
                store.finish(key, usage=usage, error=o.result)
        if wall is not None:
            store.finish_run(run_id, {"done": 0})
            store_sql(
                store_path,
                "UPDATE runs SET started_at = ?, finished_at = ? WHERE id = ?",
                *wall,
                run_id,
            )
    return run_id


def _done(n: int, **claims: str) -> Outcome:
    a = A(f"Article {n}", [C(s, q) for s, q in claims.items()] or [C("Bob Martin", f"Fait {n}")])
    return Outcome(f"a{n}", summary(a), seconds=float(n))


@pytest.fixture(scope="module")
def nights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two runs, built once: reports only read the store.

    Run 1: a1..a20 take 1..20 s; a3, a7 rate-limited, a11 invalid; a21 left pending.
    Run 2 sees them all again plus a22 (done) and a23 (a second id for a1's text): it retries
    the three failures (a3 done, a7 done, a11 fails again) and leaves a21 pending."""
    path = tmp_path_factory.mktemp("nights") / "night.db"
    first = [_done(n) for n in range(1, 21)]
    first[2].result = ("RateLimitError", "429 after 5 retries")
    first[6].result = ("RateLimitError", "429 after 5 retries (Retry-After 30)")
    first[10].result = ("ValidationExhaustedError", "still invalid after 2 re-asks")
    pending = Outcome("a21", None)
    run(path, [*first, pending])
    retried = [_done(3), _done(7), Outcome("a11", ("ValidationExhaustedError", "again"), 2.0)]
    others = [o for o in first if o.article_id not in {"a3", "a7", "a11"}]
    twin = Outcome("a23", None, text="a1")
    run(path, [*retried, _done(22)], seen=[*others, pending, twin], wall=(5000.0, 5090.0))
    return path


def test_last_run_counts_skips_usage_cost_and_latency(nights: Path) -> None:
    r = build_report(nights, prices=PRICES)
    assert r.scope == "run" and r.runs[0].id == 2 and r.runs[0].finished
    c = r.counts
    assert (c.items, c.articles) == (23, 22)  # a23 shares a1's text
    assert (c.done, c.failed, c.pending, c.skipped_done, c.skipped_failed, c.later) == (
        3, 1, 1, 17, 0, 0,
    )  # fmt: skip
    assert [(f.error_type, f.count) for f in r.failures] == [("ValidationExhaustedError", 1)]
    assert r.failures[0].examples[0].article_id == "a11"
    assert r.failures[0].examples[0].message == "again"
    # a3, a7, a11 were tried by run 1 too: their usage columns hold both runs' tokens
    assert r.total.articles == 4 and r.total.prompt_tokens == 7000
    assert r.total.requests == 7 and r.total.cost == pytest.approx((7000 + 2 * 700) / 1e6)
    assert any("earlier runs" in n for n in r.notes)
    assert r.wall_seconds == 90.0


def test_an_earlier_run_shows_what_later_runs_took_over(nights: Path) -> None:
    r = build_report(nights, run_id=1, prices=PRICES)
    c = r.counts
    assert (c.items, c.done, c.failed, c.pending, c.later) == (21, 17, 0, 1, 3)
    # 1..20 s minus a3/a7/a11, whose rows now belong to run 2: the 9th and 17th of 17 values
    assert r.latency.articles == 17
    assert (r.latency.p50, r.latency.p95, r.latency.max) == (12.0, 20.0, 20.0)
    assert r.wall_seconds == 3600.0
    assert r.usage[0].cost == pytest.approx(17 * (1000 + 2 * 100) / 1e6)


def test_failures_are_grouped_by_type_with_examples(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    outcomes = [_done(n) for n in range(1, 8)]
    for n in (1, 2, 3, 4):
        outcomes[n].result = ("RateLimitError", f"429 number {n}")
    outcomes[6].result = ("InputError", "empty article")
    run(path, outcomes)
    r = build_report(path, prices=PRICES)
    assert [(f.error_type, f.count) for f in r.failures] == [
        ("RateLimitError", 4),
        ("InputError", 1),
    ]
    assert [e.article_id for e in r.failures[0].examples] == ["a2", "a3", "a4"]  # the first 3


def test_percentiles_are_nearest_rank() -> None:
    values = [float(v) for v in range(1, 21)]
    assert (percentile(values, 50), percentile(values, 95), percentile(values, 100)) == (
        10.0,
        19.0,
        20.0,
    )
    assert percentile([4.0], 95) == 4.0 and percentile([], 50) is None


def test_an_unknown_price_is_said_never_guessed(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    run(path, [_done(1)], model="mystery-model")
    r = build_report(path, prices=PRICES)
    assert r.usage[0].cost is None and r.total.cost is None
    assert "unknown price for model mystery-model" in (r.usage[0].cost_note or "")
    md = report_markdown(r)
    assert "unknown price for model mystery-model" in md and "$" not in md


def test_prices_come_from_the_configured_price_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = tmp_path / "prices.json"
    table.write_text(json.dumps({MODEL: {"input": 1.0, "output": 2.0}}))
    monkeypatch.setenv("SUMMARIZER_PRICES", str(table))
    path = tmp_path / "s.db"
    run(path, [_done(1), _done(2)])
    r = build_report(path)
    assert r.total.cost == pytest.approx(2 * (1000 * 1 + 100 * 2) / 1e6)
    assert "$0.002400" in report_markdown(r)  # a fraction of a cent keeps its digits


def test_all_runs_covers_the_whole_store(nights: Path) -> None:
    r = build_report(nights, all_runs=True, prices=PRICES)
    assert r.scope == "all" and [x.id for x in r.runs] == [1, 2]
    assert (r.counts.articles, r.counts.done, r.counts.failed, r.counts.pending) == (22, 20, 1, 1)
    assert r.wall_seconds == 3690.0 and r.latency.articles == 21


def test_the_digest_reads_the_done_results_of_the_run(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    outcomes = [
        _done(1, **{"M. Vladimir Poutine": Q}),
        _done(2, Poutine=Q),
        Outcome(
            "a3", summary(A("Article 3", [C("Gérald X", "Rien", EvidenceStatus.none_provided)]))
        ),
        Outcome("a4", ("InputError", "binary file")),
    ]
    run(path, outcomes)
    with Store(path):  # a result written by another version of the schema
        store_sql(path, "UPDATE articles SET result = '{\"old\": 1}' WHERE article_id = 'a2'")
    r = build_report(path, prices=PRICES)
    assert r.digest.articles == 2 and any("could not be read" in n for n in r.notes)
    run(path, [_done(2, Poutine=Q)], seen=outcomes)  # resummarized the next night: a2 only
    r = build_report(path, prices=PRICES)
    assert r.digest.articles == 3  # the run's input, whichever run finished it
    assert r.digest.repeated[0].speaker == "M. Vladimir Poutine"
    assert r.digest.repeated[0].articles == 2
    assert [(x.speaker, x.article.title) for x in r.digest.no_evidence] == [
        ("Gérald X", "Article 3")
    ]


def test_a_report_reads_a_store_that_a_running_batch_holds(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    run(path, [_done(1)], wall=None)
    with Store(path):  # the batch's lock
        r = build_report(path, prices=PRICES)
    assert r.counts.done == 1 and not r.runs[0].finished
    assert any("has not finished" in n for n in r.notes)


# --- rendering ------------------------------------------------------------------------------------

EVIL = "<script>alert(1)</script>"


def hostile_report(tmp_path: Path) -> NightReport:
    path = tmp_path / "evil.db"
    quote = f"{EVIL} nous n'avons jamais rien fait"
    a = summary(
        A(f"T {EVIL}", [C(EVIL, quote, EvidenceStatus.none_provided)], url="javascript:alert(1)")
    )
    b = summary(
        A(
            "B",
            [C(EVIL, quote)],
            [R(1, f"Bob {EVIL}", f"Faux {EVIL}, {EVIL} nous a menti")],
            url="https://example.org/b?x=1&y=<2>",
        )
    )
    run(path, [Outcome("a1", a), Outcome("a2", b), Outcome(EVIL, (EVIL, EVIL))])
    return build_report(path, prices=PRICES)


def test_html_is_self_contained_and_escapes_every_untrusted_text(tmp_path: Path) -> None:
    r = hostile_report(tmp_path)
    assert r.digest.repeated_total == 1 and r.digest.disputes_total == 1
    page = report_html(r)
    assert "<script" not in page.casefold()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'href="javascript' not in page  # only http(s) URLs become links
    assert 'href="https://example.org/b?x=1&amp;y=&lt;2&gt;"' in page
    for external in ("src=", "<link", "@import", "url(", "<iframe", "<object"):
        assert external not in page
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert page.count("<!DOCTYPE html>") == 1


def test_markdown_escapes_html_and_cannot_break_tables(tmp_path: Path) -> None:
    r = hostile_report(tmp_path)
    md = report_markdown(r)
    assert not re.search(r"(?<!\\)<", md) and "\\<script>" in md  # every < is escaped
    assert "## Failures" in md and "| est. cost (USD) |" in md
    row = next(line for line in md.splitlines() if line.startswith(f"| {MODEL} |"))
    assert row.count(" | ") == 8


def test_json_output_round_trips(tmp_path: Path) -> None:
    r = hostile_report(tmp_path)
    assert NightReport.model_validate_json(r.model_dump_json()) == r


# --- the command ----------------------------------------------------------------------------------

app = typer.Typer()
app.command()(report_command)
cli = CliRunner()


def test_command_writes_each_format(
    nights: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SUMMARIZER_PRICES", raising=False)
    result = cli.invoke(app, [str(nights), "--format", "json", "--run", "1"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["counts"]["later"] == 3
    out = tmp_path / "out" / "report.html"
    result = cli.invoke(app, [str(nights), "-f", "html", "-o", str(out)])
    assert result.exit_code == 0 and result.stdout == ""
    assert out.read_text().startswith("<!DOCTYPE html>")
    result = cli.invoke(app, [str(nights), "--all-runs"])
    assert result.exit_code == 0 and "# Batch report — all runs (2)" in result.stdout
    assert cli.invoke(app, ["--help"]).stdout.count("--all-runs") == 1


def _error_line(result: Result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    return str(lines[0])


def test_command_errors_are_one_line_and_exit_3(tmp_path: Path) -> None:
    missing = tmp_path / "missing.db"
    result = cli.invoke(app, [str(missing)])
    assert result.exit_code == 3 and "does not exist" in _error_line(result)
    assert not missing.exists() and not (tmp_path / "missing.db.lock").exists()

    empty = tmp_path / "empty.db"
    empty.touch()
    result = cli.invoke(app, [str(empty)])
    assert result.exit_code == 3 and "empty" in _error_line(result)
    assert empty.stat().st_size == 0  # not turned into a store

    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not sqlite at all\n" * 200)
    result = cli.invoke(app, [str(garbage)])
    assert result.exit_code == 3 and "StoreError" in _error_line(result)

    foreign = tmp_path / "foreign.db"
    with sqlite3.connect(foreign) as db:
        db.execute("CREATE TABLE t (x)")
    result = cli.invoke(app, [str(foreign)])
    assert result.exit_code == 3 and "not a summarizer batch store" in _error_line(result)

    path = tmp_path / "s.db"
    run(path, [_done(1)])
    result = cli.invoke(app, [str(path), "--run", "7"])
    assert result.exit_code == 3 and "run 7 is not in" in _error_line(result)
    result = cli.invoke(app, [str(tmp_path)])
    assert result.exit_code == 3 and "directory" in _error_line(result)
    assert "Traceback" not in result.output


def test_no_runs_yet_and_conflicting_options(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    with Store(path):
        pass
    result = cli.invoke(app, [str(path)])
    assert result.exit_code == 3 and "no runs yet" in _error_line(result)
    assert cli.invoke(app, [str(path), "--run", "1", "--all-runs"]).exit_code == 2
    with pytest.raises(StoreError):
        build_report(tmp_path / "nope.db")


def test_the_digest_is_near_linear_in_the_copies_of_a_syndicated_article(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """2,000 copies of one article (a claim and a denial naming its speaker): the result is
    one cluster and one dispute per copy, found with a number of comparisons linear in the
    copies (all pairs would be 2,000² = 4 M; 6,000 copies took 44 s that way)."""
    import summarizer.batch._digest as module

    counted = {"jaccard": 0, "on_topic": 0}

    def counting(name: str) -> object:
        real = getattr(module, name)

        def wrapper(*args: object) -> object:
            counted[name] += 1
            return real(*args)

        return wrapper

    for name in counted:
        monkeypatch.setattr(module, name, counting(name))
    n = 2000
    copy = A(
        "Syndiqué",
        [C("Patrick Ryder", "La Corée du Nord a envoyé environ dix mille soldats en Russie")],
        [R(1, "Maria Zakharova", "Une farce : Patrick Ryder exagère sur les soldats de Corée")],
    )
    d = Digest()
    one = summary(copy)
    for i in range(n):
        d.add(ArticleRef(article_id=f"a{i}", title=copy.title), one, f"text{i}")
    report = d.report()
    assert report.repeated_total == 1 and report.repeated[0].articles == n
    assert report.disputes_total == n
    assert {x.total for x in report.disputes} == {n - 1}  # every other copy, not its own
    assert all(len(x.claims) == 5 for x in report.disputes)
    assert all(x.claim.article.article_id != x_by for x_by, x in _pairs(report))
    assert sum(counted.values()) <= 3 * n, counted


def _pairs(report: DigestReport) -> list[tuple[str, DisputedClaim]]:
    return [(d.by.article.article_id, c) for d in report.disputes for c in d.claims]

"""The scoring of ``summarizer eval``, on small cases checked by hand, and its plumbing.

Every expected number below was worked out on paper from the rules in
:mod:`summarizer.evaluation` (those of the shared evaluation data), not read off the code.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from summarizer import Summarizer
from summarizer._baseline import baseline_prediction
from summarizer._cli import app
from summarizer._evaluate import evaluate, format_labels, format_table, load_gold, select
from summarizer.batch import Store, Throttle
from summarizer.config import LOCAL_MODEL_NAME
from summarizer.evaluation import (
    content_tokens,
    match_contents,
    normalise_name,
    prf,
    score_document,
    score_documents,
    similarity,
    speaker_matches,
    to_prediction,
)
from summarizer.models import (
    ArticleMeta,
    ArticleSummary,
    Claim,
    Commitment,
    Counterclaim,
    Event,
    EventArgument,
    EventStatus,
    Evidence,
    EvidenceStatus,
    Provenance,
    Source,
    SourceType,
    Span,
    Stance,
    Usage,
)
from summarizer.testing import cassette_base_url

GOLD = Path(__file__).resolve().parent / "data" / "gold"


def _doc(attributions: list[dict[str, Any]], events: list[dict[str, Any]] | None = None) -> Any:
    return {
        "id": "d1",
        "source_corpus": "test",
        "text": "",
        "attributions": attributions,
        "events": events or [],
    }


ATTS = [
    {"speaker": "M. François Hollande", "content": "Nous allons réformer le code du travail"},
    {"speaker": "he", "content": "The economy grew by three percent last year"},
    {"speaker": "Angela Merkel", "content": "Wir schaffen das", "evidence": "not_applicable"},
    {"speaker": None, "content": "the plant will close in June"},
]
EVENTS = [
    {
        "trigger": "attack",
        "arguments": [{"role": "Place", "text": "Kabul"}, {"role": "Attacker", "text": "Taliban"}],
    },
    {"trigger": "killed", "arguments": [{"role": "Victim", "text": "three soldiers"}]},
]


# --- tokens and similarity --------------------------------------------------------------------


def test_tokens_ignore_case_punctuation_and_quotation_marks() -> None:
    assert content_tokens("« Nous, on part ! »") == Counter({"nous": 1, "on": 1, "part": 1})
    assert content_tokens("“Don't”") == Counter({"don": 1, "t": 1})


def test_overlap_coefficient_and_jaccard_by_hand() -> None:
    p = content_tokens("the cat sat on the mat")  # 6 tokens, "the" twice
    g = content_tokens("cat sat on mat today")  # 5 tokens
    # shared multiset {cat, sat, on, mat} = 4: overlap 4/min(6,5) = 0.8; union 7: jaccard 4/7
    assert similarity(p, g) == pytest.approx(0.8)
    assert similarity(p, g, "jaccard") == pytest.approx(4 / 7)


def test_a_match_needs_half_the_shorter_and_three_shared_tokens() -> None:
    # 2 of 4 shared: overlap 0.5, but fewer than min(3, 4, 6) = 3 shared tokens
    assert similarity(content_tokens("a b c d"), content_tokens("a b x y z w")) == 0
    # one-word contents need one shared token: min(3, 1, 2) = 1
    assert similarity(content_tokens("yes"), content_tokens("yes indeed")) == 1.0
    # 3 of 7 shared: 3/7 < 0.5
    assert similarity(content_tokens("a b c d e f g"), content_tokens("a b c h i j k")) == 0


def test_matching_is_one_to_one_and_greedy_by_similarity() -> None:
    g0 = content_tokens("one two three four")
    g1 = content_tokens("one two three five six")
    p0 = content_tokens("one two three four")  # g0: 1.0, g1: 3/4
    p1 = content_tokens("one two three four seven")  # g0: 1.0 (4/4), g1: 3/5
    # p0-g0 and p1-g0 tie at 1.0: the earlier prediction takes g0; then p1-g1 (0.6) is left
    assert match_contents([p0, p1], [g0, g1]) == [(0, 0, 1.0), (1, 1, 0.6)]
    # greedy, not optimal: q0 takes g0 (1.0), so q1, which only matches g0, stays unmatched
    q0 = content_tokens("one two three four five")  # g0: 1.0, g1: 4/5
    q1 = content_tokens("one two three four nine")  # g0: 1.0, g1: 3/5
    assert [(p, g) for p, g, _ in match_contents([q0, q1], [g0])] == [(0, 0)]


# --- names ------------------------------------------------------------------------------------


def test_names_are_normalised_and_match_by_containment_on_word_boundaries() -> None:
    assert normalise_name("M. François Hollande") == "françois hollande"
    assert normalise_name("Mrs. Clinton") == "clinton"
    assert speaker_matches("Hollande", "M. François Hollande")
    assert speaker_matches("President Barack Obama", "Obama")
    assert not speaker_matches("Holland", "Hollande")
    assert not speaker_matches(None, "Obama")
    assert speaker_matches("Merkel", "die Kanzlerin", resolved="Angela Merkel")


# --- documents --------------------------------------------------------------------------------


def test_a_perfect_prediction_scores_one() -> None:
    prediction = {"id": "d1", "attributions": ATTS, "events": EVENTS}
    s = score_document(_doc(ATTS, EVENTS), prediction).scores()
    assert (s["content"]["precision"], s["content"]["recall"], s["content"]["f1"]) == (1, 1, 1)
    # "he" and the missing speaker are not counted: 2 pairs, both right
    assert (s["speaker"]["pairs"], s["speaker"]["accuracy"]) == (2, 1.0)
    assert s["trigger"]["f1"] == 1.0 and s["argument"]["f1"] == 1.0
    assert s["evidence"] == {
        "pairs": 1,
        "accuracy": 1.0,
        "macro_f1": 1.0,
        "confusion": {"not_applicable": {"not_applicable": 1}},
    }


@pytest.mark.parametrize("prediction", [None, {"id": "d1", "attributions": [], "events": []}])
def test_an_empty_or_missing_prediction_scores_zero(prediction: Any) -> None:
    s = score_document(_doc(ATTS, EVENTS), prediction).scores()
    assert (s["content"]["precision"], s["content"]["recall"], s["content"]["f1"]) == (0, 0, 0)
    assert s["content"]["gold"] == 4 and s["speaker"]["accuracy"] is None
    assert (s["trigger"]["f1"], s["argument"]["f1"]) == (0, 0)
    assert s["trigger"]["gold"] == 2 and s["argument"]["gold"] == 3


def test_a_partial_prediction_by_hand() -> None:
    prediction = {
        "attributions": [
            # matches ATTS[0] (5 of 6 shared), wrong speaker
            {"speaker": "Manuel Valls", "content": "« Nous allons réformer le code »"},
            # matches ATTS[1]; gold speaker is a pronoun: not counted
            {"speaker": "Smith", "content": "the economy grew by three percent"},
            {"speaker": "Merkel", "content": "something else entirely was said"},
        ],
        "events": [
            # "attack": Place right; "Taliban" given the wrong role (counts only in arg_text)
            {
                "trigger": "Attack",
                "arguments": [
                    {"role": "place", "text": "Kabul city"},
                    {"role": "Target", "text": "the Taliban"},
                ],
            },
            {"trigger": "the killing", "arguments": [{"role": "Victim", "text": "soldiers"}]},
        ],
    }
    s = score_document(_doc(ATTS, EVENTS), prediction).scores()
    # 2 matched of 3 predicted and 4 gold: P 2/3, R 1/2, F1 2·(2/3)(1/2)/(7/6) = 4/7
    assert s["content"]["precision"] == pytest.approx(2 / 3)
    assert s["content"]["recall"] == pytest.approx(1 / 2)
    assert s["content"]["f1"] == pytest.approx(4 / 7)
    assert (s["speaker"]["pairs"], s["speaker"]["correct"]) == (1, 0)
    # triggers: 1 of 2 ("the killing" is not "killed"); arguments: 1 matched of 3 and 3
    assert s["trigger"]["f1"] == pytest.approx(0.5)
    assert s["argument"]["precision"] == pytest.approx(1 / 3)
    assert s["arg_text"]["matched"] == 2


def test_records_of_one_group_are_one_unit() -> None:
    gold = [
        {"speaker": "Smith", "content": "We will win", "group": "g1"},
        {"speaker": "Smith", "content": "and we will win big", "group": "g1"},
    ]
    prediction = {"attributions": [{"speaker": "Smith", "content": "We will win, and big"}]}
    s = score_document(_doc(gold), prediction).scores()
    assert (s["content"]["gold"], s["content"]["matched"], s["speaker"]["correct"]) == (1, 1, 1)


def test_parts_a_corpus_does_not_annotate_are_not_scored() -> None:
    events_only = _doc([], EVENTS)
    prediction = {"attributions": [{"speaker": "X", "content": "a b c"}], "events": EVENTS}
    s = score_document(events_only, prediction).scores()
    assert s["content"]["predicted"] == 0 and s["content"]["docs"] == 0
    assert s["trigger"]["f1"] == 1.0


def test_evidence_and_stance_confusion_on_matched_pairs() -> None:
    gold = [
        {"content": "one two three four", "evidence": "none_provided", "stance": None},
        {"content": "five six seven eight", "evidence": None, "stance": "denies"},
        {"content": "nine ten eleven twelve", "evidence": "unclear", "stance": None},
        {"content": "a gold set that labels no stance", "evidence": None},
    ]
    prediction = {
        "attributions": [
            {"content": "one two three four", "evidence": "unclear"},
            {"content": "five six seven eight", "stance": "disputes"},
            {"content": "nine ten eleven twelve", "evidence": "unclear", "stance": "denies"},
            {"content": "a gold set that labels no stance", "stance": "denies"},
        ]
    }
    s = score_document(_doc(gold), prediction).scores()
    assert s["evidence"]["accuracy"] == 0.5
    assert s["evidence"]["confusion"] == {
        "none_provided": {"unclear": 1},
        "unclear": {"unclear": 1},
    }
    assert s["stance"]["confusion"] == {"-": {"denies": 1}, "denies": {"disputes": 1}}


def test_commitment_is_scored_on_matched_pairs_with_a_macro_f1() -> None:
    gold = [
        {"content": "one two three four", "evidence": "unclear", "commitment": "hedged"},
        {"content": "five six seven eight", "stance": "denies", "commitment": "negated"},
        {"content": "nine ten eleven twelve", "evidence": "unclear", "commitment": "asserted"},
        {"content": "thirteen fourteen fifteen", "evidence": "unclear", "commitment": "asserted"},
        {"content": "an older gold without the field", "evidence": "unclear"},
    ]
    prediction = {
        "attributions": [
            {"content": "one two three four", "commitment": "hedged"},  # right
            {"content": "five six seven eight", "stance": "denies"},  # no commitment: wrong
            {"content": "nine ten eleven twelve", "commitment": "negated"},  # wrong
            {"content": "thirteen fourteen fifteen", "commitment": "asserted"},  # right
            {"content": "an older gold without the field", "commitment": "asserted"},
        ]
    }
    s = score_document(_doc(gold), prediction).scores()["commitment"]
    assert (s["pairs"], s["accuracy"]) == (4, 0.5)
    assert s["confusion"] == {
        "asserted": {"asserted": 1, "negated": 1},
        "hedged": {"hedged": 1},
        "negated": {"-": 1},
    }
    # F1 per gold label: asserted 2/3 (P 1, R 1/2), hedged 1, negated 0 (once said, wrongly)
    assert s["macro_f1"] == pytest.approx((2 / 3 + 1 + 0) / 3)


def test_answering_the_majority_label_everywhere_has_a_low_macro_f1() -> None:
    gold = [{"content": f"w{i} x{i} y{i} z{i}", "evidence": "not_applicable"} for i in range(8)]
    gold += [{"content": "the only unclear one here", "evidence": "unclear"}]
    prediction = {"attributions": [{**g, "evidence": "not_applicable"} for g in gold]}
    s = score_document(_doc(gold), prediction).scores()["evidence"]
    assert s["accuracy"] == pytest.approx(8 / 9)
    assert s["macro_f1"] == pytest.approx((16 / 17 + 0) / 2)


def test_micro_average_over_corpora() -> None:
    a = {**_doc(ATTS), "id": "a", "source_corpus": "x"}
    b = {**_doc(ATTS[:2]), "id": "b", "source_corpus": "y"}
    scores = score_documents([a, b], {"a": {"attributions": ATTS}})
    overall = scores["overall"].scores()["content"]
    assert (overall["matched"], overall["predicted"], overall["gold"]) == (4, 4, 6)
    assert scores["y"].scores()["content"]["f1"] == 0
    assert prf(0, 0, 0) == (0.0, 0.0, 0.0)


# --- mapping a summary ------------------------------------------------------------------------

TEXT = "Paris a annoncé la fermeture de l'usine. « C'est faux », a répondu Jean Martin."


def _summary() -> ArticleSummary:
    def span(piece: str) -> Span:
        start = TEXT.index(piece)
        return Span.of(TEXT, start, start + len(piece))

    unclear = Evidence(status=EvidenceStatus.unclear)
    return ArticleSummary(
        article=ArticleMeta(language="fr", sha256="0" * 64, chars=len(TEXT)),
        summary=[],
        sources=[
            Source(id="s1", name="Paris", type=SourceType.institution),
            Source(id="s2", name="Jean Martin", type=SourceType.named_on_record),
            Source(id="s3", name="the reporter", type=SourceType.reporter),
        ],
        events=[
            Event(
                id="e1",
                what="closure",
                trigger=span("fermeture"),
                arguments=[EventArgument(role="Place", span=span("Paris"))],
                status=EventStatus.planned,
            )
        ],
        claims=[
            Claim(
                id="c1",
                speaker="s1",
                quote=span("Paris a annoncé la fermeture de l'usine."),
                commitment=Commitment.hedged,
                evidence=Evidence(status=EvidenceStatus.none_provided),
            )
        ],
        counterclaims=[
            Counterclaim(
                id="cc1",
                target="c1",
                speaker="s2",
                quote=span("C'est faux"),
                stance=Stance.denies,
                commitment=Commitment.negated,
                evidence=unclear,
            )
        ],
        inconsistencies=[],
        provenance=Provenance(model="m", backend="local", prompt_version="p", usage=Usage()),
    )


def test_a_summary_maps_to_the_prediction_format() -> None:
    assert to_prediction("doc", _summary()) == {
        "id": "doc",
        "attributions": [
            {
                "speaker": "Paris",
                "cue": None,
                "content": "Paris a annoncé la fermeture de l'usine.",
                "evidence": "none_provided",
                "stance": None,
                "commitment": "hedged",
            },
            {
                "speaker": "Jean Martin",
                "cue": None,
                "content": "C'est faux",
                "evidence": "unclear",
                "stance": "denies",
                "commitment": "negated",  # a response is committed to as a claim is
            },
        ],
        "events": [{"trigger": "fermeture", "arguments": [{"role": "Place", "text": "Paris"}]}],
    }


# --- the rule baseline ------------------------------------------------------------------------


def test_baseline_takes_quotations_and_the_name_next_to_a_speech_verb() -> None:
    text = (
        "Le ministre Jean Dupont a déclaré : « Nous ne céderons pas sur ce point ». "
        "Le syndicat a démenti : « c'est un mensonge pur et simple ».\n"
        '"We will win this election," Smith said. "Yes" was the answer.'
    )
    got = baseline_prediction("x", text, "fr")["attributions"]
    assert [(a["speaker"], a["cue"], a["content"]) for a in got] == [
        ("Jean Dupont", "a déclaré", "Nous ne céderons pas sur ce point"),
        (None, "a démenti", "c'est un mensonge pur et simple"),
        ("Smith", "said", "We will win this election,"),
    ]
    assert [a["stance"] for a in got] == [None, "denies", None]
    assert baseline_prediction("y", "Rien à citer ici.", "fr") == {
        "id": "y",
        "attributions": [],
        "events": [],
    }


# --- the command ------------------------------------------------------------------------------


def _write_gold(path: Path, docs: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(d) + "\n" for d in docs), encoding="utf-8")
    return path


def test_select_takes_the_first_of_each_corpus_then_the_limit() -> None:
    docs = [{"id": str(i), "source_corpus": c} for i, c in enumerate("aabbbc")]
    assert [d["id"] for d in select(docs, per_corpus=1)] == ["0", "2", "5"]
    assert [d["id"] for d in select(docs, limit=2, per_corpus=2)] == ["0", "1"]


def test_split_keeps_one_half_of_our_gold(tmp_path: Path) -> None:
    halves = [d["split"] for d in load_gold(GOLD / "fr-wikinews.jsonl")]
    result = CliRunner().invoke(
        app, ["eval", str(GOLD / "fr-wikinews.jsonl"), "--baseline-only", "--split", "heldout"]
    )
    assert result.exit_code == 0, result.output
    assert f"| overall | baseline | {halves.count('heldout')} |" in result.output
    assert "commitment, baseline: accuracy" in result.output
    typo = CliRunner().invoke(
        app, ["eval", str(GOLD / "fr-wikinews.jsonl"), "--baseline-only", "--split", "test"]
    )
    assert typo.exit_code == 3 and "no gold documents with split 'test'" in typo.output


def test_gold_errors_are_one_line_input_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(app, ["eval", str(tmp_path / "nope.jsonl")])
    assert missing.exit_code == 3 and "Traceback" not in missing.output
    bad = _write_gold(tmp_path / "bad.jsonl", [{"id": "a"}])
    result = runner.invoke(app, ["eval", str(bad), "--baseline-only"])
    assert result.exit_code == 3
    assert 'bad.jsonl:1: expected a gold document with "id" and "text"' in result.output


def test_baseline_only_prints_the_table_and_writes_the_report(tmp_path: Path) -> None:
    doc = {
        "id": "d1",
        "source_corpus": "mine",
        "lang": "en",
        "text": '"We will win this election," Smith said.',
        "attributions": [{"speaker": "Smith", "content": "We will win this election,"}],
        "events": [],
    }
    gold = _write_gold(tmp_path / "gold.jsonl", [doc])
    out = tmp_path / "report.json"
    result = CliRunner().invoke(app, ["eval", str(gold), "--baseline-only", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "| mine | baseline | 1 | 1.000 | 1.000 | 1.000 | 1.000 (1) | – |" in result.output
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["scores"]["baseline"]["overall"]["content"]["f1"] == 1.0
    assert report["predictions"]["pipeline"] == []


def test_the_hand_labelled_gold_set_is_well_formed() -> None:
    docs = load_gold(GOLD / "fr-wikinews.jsonl")
    assert len(docs) == 34 and sum(len(d["attributions"]) for d in docs) == 204
    halves = {d["id"]: d["split"] for d in docs}
    assert list(halves.values()).count("tune") == list(halves.values()).count("heldout")
    rule_sources = ("seed-kursk", "frwikinews-015-", "frwikinews-053-", "frwikinews-099-")
    assert all(halves[i] == "tune" for i in halves if i.startswith(rule_sources))
    for d in docs:
        text = d["text"]
        assert d["lang"] == "fr" and d["attributions"]
        for a in d["attributions"]:
            s, e = a["content_span"]
            assert text[s:e] == a["content"]
            if a["speaker_span"] is not None:
                s, e = a["speaker_span"]
                assert text[s:e] == a["speaker"]
            assert (a["evidence"] is None) != (a["stance"] is None)  # a claim or a response
            assert a["commitment"] in {c.value for c in Commitment}
    seed = next(d for d in docs if d["id"] == "seed-kursk.fr")
    hedged = [a["content"] for a in seed["attributions"] if a["commitment"] == "hedged"]
    assert any("auraient été envoyés" in c for c in hedged)


def _shared_articles() -> Path | None:
    """``../shared/articles`` beside the checkout (or beside its worktree folder)."""
    for up in Path(__file__).resolve().parents[1:4]:
        if (up / "shared" / "articles" / "fr-wikinews").is_dir():
            return up / "shared" / "articles"
    return None


def test_the_gold_file_is_what_build_py_makes_from_the_articles() -> None:
    articles = _shared_articles()
    if articles is None:
        pytest.skip("the shared articles are not beside this checkout")
    sys.path.insert(0, str(GOLD))
    try:
        import build  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(GOLD))
    built = build.build(articles)  # raises SystemExit when a span is not in its text
    committed = load_gold(GOLD / "fr-wikinews.jsonl")
    assert built == committed


# --- the whole eval on three short gold articles, answered by cassettes ----------------------

CASSETTE_DOCS = 3
CASSETTE_IDS = ("015", "053", "099")  # the three shortest of the first 13: what was recorded


@pytest.mark.cassette
@pytest.mark.vcr
def test_eval_runs_the_pipeline_through_the_store_and_scores_it(tmp_path: Path) -> None:
    docs = sorted(
        (d for d in load_gold(GOLD / "fr-wikinews.jsonl") if d["id"][11:14] in CASSETTE_IDS),
        key=lambda d: len(d["text"]),
    )
    assert len(docs) == CASSETTE_DOCS
    throttle = Throttle(1)  # one request at a time: the order the cassette recorded
    summarizer = Summarizer(
        backend="local", base_url=cassette_base_url(), model=LOCAL_MODEL_NAME, gate=throttle
    )

    async def go() -> Any:
        async with summarizer:
            with Store(tmp_path / "eval.db") as store:
                return await evaluate(docs, store, summarizer, throttle=throttle)

    run = asyncio.run(go())
    assert run.failed == {} and run.pipeline is not None
    assert set(run.pipeline) == {d["id"] for d in docs}
    assert len(run.seconds) == CASSETTE_DOCS
    scores = run.scores()
    pipeline = scores["pipeline"]["overall"].scores()
    assert pipeline["content"]["predicted"] > 0 and pipeline["content"]["gold"] > 0
    assert pipeline["evidence"]["pairs"] > 0
    table = format_table(scores)
    assert "| overall | pipeline | 3 |" in table and "| overall | baseline | 3 |" in table
    assert "evidence, pipeline: accuracy" in format_labels(scores, "evidence")

    again = asyncio.run(go())  # everything is in the store: nothing is asked again
    assert again.pipeline == run.pipeline

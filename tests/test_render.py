"""Renderings: golden Markdown/HTML of the seed article, escaping of untrusted text, CSV rows.

The seed summary is replayed from the e2e cassette, so the goldens change only when the
pipeline or the renderers change. Rewrite them with ``SUMMARIZER_UPDATE_GOLDEN=1 pytest
tests/test_render.py --record-mode=none`` and review the diff.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import re
from pathlib import Path

import pytest

from summarizer import ArticleSummary, Summarizer
from summarizer.config import LOCAL_MODEL_NAME
from summarizer.models import (
    ArticleMeta,
    Basis,
    Claim,
    Commitment,
    Counterclaim,
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
from summarizer.pricing import PRICES_ENV
from summarizer.render import CSV_HEADER, speaker_label, to_csv, to_html, to_jsonl, to_markdown
from summarizer.testing import REPLAY_BASE_URL, read_article

TESTS = Path(__file__).resolve().parent
GOLDEN = TESTS / "golden"
CASSETTE = "test_summary_is_valid_grounded_and_costed[kursk.fr.txt]"


@pytest.fixture(scope="module")
def vcr_cassette_dir() -> str:
    return str(TESTS.parent / "cassettes" / "test_e2e")


@pytest.fixture
def default_cassette_name() -> str:
    return CASSETTE


def _seed_summary() -> ArticleSummary:
    article = read_article(TESTS / "data" / "kursk.fr.txt")

    async def go() -> ArticleSummary:
        async with Summarizer(
            backend="local", base_url=REPLAY_BASE_URL, model=LOCAL_MODEL_NAME
        ) as s:
            return await s.asummarize(
                article.text, title=article.title, published=article.published
            )

    summary = asyncio.run(go())
    # Wall-clock time is the one value a replay does not reproduce.
    usage = summary.provenance.usage.model_copy(update={"seconds": 12.5})
    summary.provenance = summary.provenance.model_copy(update={"usage": usage})
    return summary


def _check_golden(name: str, rendered: str) -> None:
    path = GOLDEN / name
    if os.environ.get("SUMMARIZER_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(rendered, encoding="utf-8")
    assert path.exists(), f"{path} is missing; create it with SUMMARIZER_UPDATE_GOLDEN=1"
    assert rendered == path.read_text(encoding="utf-8"), (
        f"{name} changed; if intended, rerun with SUMMARIZER_UPDATE_GOLDEN=1 and review the diff"
    )


@pytest.mark.vcr
def test_seed_article_markdown_and_html_match_the_goldens(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PRICES_ENV, raising=False)  # the goldens show the built-in prices
    summary = _seed_summary()
    markdown, page = to_markdown(summary), to_html(summary)
    _check_golden("kursk.md", markdown)
    _check_golden("kursk.html", page)
    assert "| c4 | Patrick Ryder |" in markdown and "no evidence provided" in markdown
    assert "12.5 s" in markdown and "12.5 s" in page
    assert "7 requests, 7670 prompt + 764 completion tokens" in markdown
    # the events table: who and what, where, who tells it
    assert "| Passenger: 10 000 soldats nord-coréens | Russie |" in markdown
    assert "alleged, by Le Pentagone (via RIA Novosti)" in markdown and "<th>where</th>" in page
    assert "12.5 s · est. cost $0.00" in markdown and "12.5 s · est. cost $0.00" in page


# --- a hand-built summary with hostile text ------------------------------------------------

EVIL = "<script>alert(1)</script>"


def _hostile() -> ArticleSummary:
    text = f"« {EVIL} » a dit {EVIL}. Faux, a dit Bob."
    quote = Span.of(text, 2, 2 + len(EVIL))
    answer = Span.of(text, text.index("Faux"), text.index("Faux") + 4)
    second = text.index(EVIL, 3)
    cue = Span.of(text, second, second + len(EVIL))
    return ArticleSummary(
        article=ArticleMeta(
            title=f"Title {EVIL}",
            language="fr",
            url=f'https://example.org/"onload="{EVIL}',
            sha256="0" * 64,
            chars=len(text),
        ),
        summary=[SummarySentence(text=f"Summary {EVIL}", refs=["c1", "cc1"])],
        sources=[
            Source(id="s1", name=f"AFP {EVIL}", type=SourceType.other_outlet),
            Source(id="s2", name=EVIL, type=SourceType.named_on_record, via="s1"),
            Source(id="s3", name="Bob", type=SourceType.named_on_record),
        ],
        events=[],
        claims=[
            Claim(
                id="c1",
                speaker="s2",
                quote=quote,
                commitment=Commitment.hedged,
                evidence=Evidence(status=EvidenceStatus.provided, cue=cue, basis=Basis.model),
            )
        ],
        counterclaims=[
            Counterclaim(
                id="cc1",
                target="c1",
                speaker="s3",
                quote=answer,
                stance=Stance.denies,
                stance_basis=Basis.cue,
                stance_note=f"cue “Faux”; the model said {EVIL}",
                evidence=Evidence(status=EvidenceStatus.unclear, basis=Basis.not_assessed),
            )
        ],
        inconsistencies=[],
        provenance=Provenance(
            model=f"m{EVIL}",
            backend="local",
            prompt_version="p@1",
            usage=Usage(prompt_tokens=10, completion_tokens=5, requests=2, seconds=1.25),
            warnings=[f"dropped {EVIL}"],
        ),
    )


def test_html_escapes_untrusted_text_and_has_no_script_at_all() -> None:
    page = to_html(_hostile())
    assert "<script" not in page.casefold()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'onload="' not in page
    for external in ("src=", "<link", "@import", "url(", "<iframe", "<object"):
        assert external not in page  # self-contained: nothing is fetched
    assert "Content-Security-Policy" in page and "default-src 'none'" in page


def test_html_shows_badges_anchors_via_chain_and_provenance() -> None:
    page = to_html(_hostile())
    assert '<a href="#c1">c1</a>' in page and '<tr id="c1">' in page
    assert '<tr class="answer" id="cc1">' in page
    # the counterclaim comes right after the claim it answers
    assert page.index('id="c1"') < page.index('id="cc1"')
    assert "(via AFP &lt;script&gt;" in page
    assert 'evidence provided</span> <span class="basis">(unverified)</span>' in page
    assert "not assessed" in page and "not_assessed" not in page
    assert 'class="badge bad">denies</span>' in page
    stance = page[page.index('id="cc1"') :].split("<td>")[4]  # the stance cell, not evidence
    assert "the model said &lt;script&gt;" in stance
    assert "2 requests · 10 prompt + 5 completion tokens" in page and "1.2 s" in page
    assert "unknown price for model m&lt;script&gt;" in page
    assert "dropped &lt;script&gt;" in page
    assert "cue: <q>&lt;script&gt;" in page


def test_html_of_several_articles_has_one_section_each_with_distinct_anchors() -> None:
    page = to_html([_hostile(), _hostile()])
    assert page.count('<section class="article">') == 2
    assert 'id="a1-c1"' in page and 'id="a2-c1"' in page and 'href="#a2-cc1"' in page
    assert page.count("<!DOCTYPE html>") == 1


def test_markdown_cells_cannot_break_the_table() -> None:
    s = _hostile()
    md = to_markdown(s)
    row = next(line for line in md.splitlines() if line.startswith("| c1 |"))
    assert row.count(" | ") == 4  # five cells, whatever the quote holds
    answer = next(line for line in md.splitlines() if line.startswith("| ↳ cc1 |"))
    assert answer.count(" | ") == 4
    escaped = EVIL.replace("<", "\\<")  # no raw HTML for a Markdown viewer
    assert f"**denies** — cue “Faux”; the model said {escaped} · asserted |" in answer
    assert "> warning: dropped" in md
    assert f"unknown price for model m{escaped}" in md
    priced = s.model_copy(
        update={
            "provenance": s.provenance.model_copy(
                update={"model": "gpt-4o", "usage": Usage(prompt_tokens=4000, completion_tokens=0)}
            )
        }
    )
    assert "4000 prompt + 0 completion tokens" in to_markdown(priced)
    assert "est. cost $0.01" in to_markdown(priced) and "est. cost $0.01" in to_html(priced)


def test_speaker_label_follows_the_via_chain_and_survives_cycles() -> None:
    s = _hostile()
    assert speaker_label(s, "s2") == f"{EVIL} (via AFP {EVIL})"
    assert speaker_label(s, "s3") == "Bob"
    loop = s.model_copy(
        update={
            "sources": [
                Source(id="s1", name="A", type=SourceType.other_outlet, via="s2"),
                Source(id="s2", name="B", type=SourceType.other_outlet, via="s1"),
            ]
        }
    )
    assert speaker_label(loop, "s1") == "A (via B)"


def test_csv_has_one_row_per_statement_and_neutralises_formulas() -> None:
    s = _hostile()
    s = s.model_copy(
        update={
            "article": s.article.model_copy(update={"title": "=HYPERLINK(1)"}),
        }
    )
    rows = list(csv.reader(io.StringIO(to_csv([s, s]))))
    assert tuple(rows[0]) == CSV_HEADER
    assert len(rows) == 5 and rows.count(list(CSV_HEADER)) == 1
    claim = dict(zip(CSV_HEADER, rows[1], strict=True))
    assert claim["kind"] == "claim" and claim["id"] == "c1"
    assert claim["speaker"] == f"{EVIL} (via AFP {EVIL})"
    assert claim["quote"] == EVIL
    assert claim["commitment_or_stance"] == "hedged"
    assert claim["evidence_basis"] == "model" and claim["article"] == "'=HYPERLINK(1)"
    assert claim["cue"] == EVIL
    answer = dict(zip(CSV_HEADER, rows[2], strict=True))
    assert answer["kind"] == "counterclaim" and answer["target"] == "c1"
    assert answer["commitment_or_stance"] == "denies"
    assert answer["stance_note"] == f"cue “Faux”; the model said {EVIL}"
    assert claim["stance_note"] == ""


def test_jsonl_is_one_compact_summary_per_line() -> None:
    s = _hostile()
    lines = to_jsonl([s, s]).splitlines()
    assert len(lines) == 2
    assert ArticleSummary.model_validate(json.loads(lines[1])) == s
    assert not re.search(r"\n\s", lines[0])

"""The night page (`report --format html`, `summarizer view`): the articles in their text with
their statements highlighted and linked, the index, the charts, the digest linking to the
articles; and the store keeps the text so that a summary can be shown later (store v3, with
v1 and v2 stores upgraded in place)."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from summarizer._cli import app
from summarizer._input import text_sha256
from summarizer.batch import Store
from summarizer.batch._report import night_page
from summarizer.models import ArticleSummary, EvidenceStatus, Usage
from tests.batch_support import run_night, store_sql, write_jsonl
from tests.fakes.fake_openai import FakeOpenAI
from tests.test_batch_report import A, C, R, summary

EVIL = "<script>alert(1)</script>"


def _text(a: A) -> str:
    """The text :func:`summary` grounds its spans in: the quotes one after the other."""
    quotes = [c.quote for c in a.claims] + [r.quote for r in a.counters]
    return "".join(f"« {q} », a dit quelqu'un. " for q in quotes).rstrip()


def _store(path: Path, articles: list[tuple[str, A]], *, text: bool = True) -> None:
    with Store(path) as store:
        run = store.begin_run(model="m", prompt_version="p", schema_hash="h", settings={})
        keys = [
            (n, article_id, f"{article_id}.txt", f"k{n}")
            for n, (article_id, _) in enumerate(articles, 1)
        ]
        store.add_items(run, keys)
        for (n, article_id, source, key), (_, a) in zip(keys, articles, strict=True):
            body = _text(a)
            meta = {
                "article_id": article_id,
                "source": str(path.parent / source),
                "text_sha256": text_sha256(body),
                "title": a.title,
                "url": a.url,
                "published": None,
                "language": "fr",
                "model": "m",
                "prompt_version": "p",
                "schema_hash": "h",
                **({"text": body} if text else {}),
            }
            store.start(key, meta, run)
            usage = Usage(prompt_tokens=10, completion_tokens=2, seconds=float(n))
            store.finish(key, usage=usage, result=summary(a).model_dump_json())
        store.finish_run(run, {})


NIGHT = [
    (
        "budget",
        A(
            "Le budget",
            [
                C("Jean Dupont", "Le budget sera voté en mars", EvidenceStatus.none_provided),
                C("Marie Curie", "Les économies sont réelles et chiffrées"),
            ],
            [R(1, "Paul Martin", "Jean Dupont se trompe sur le budget")],
            url="https://example.org/budget",
        ),
    ),
    ("pluie", A("La pluie", [C("Jean Dupont", "Il pleuvra demain sur Paris", about="pluie")])),
]


def _sections(page: str) -> dict[str, str]:
    found = re.findall(r'<section class="article" id="(a\d+)">(.*?)</section>', page, re.S)
    return dict(found)


def test_each_article_is_shown_in_its_text_with_its_statements_linked(tmp_path: Path) -> None:
    _store(tmp_path / "night.db", NIGHT)
    page = night_page(tmp_path / "night.db")
    articles = _sections(page)
    assert list(articles) == ["a1", "a2"]
    one = articles["a1"]
    # the quote is highlighted in the text, links to its row, and the row links back
    quote = '<a class="hl quote" href="#a1-c1" title="c1: claim by Jean Dupont">'
    assert quote + "Le budget sera voté en mars</a>" in one
    assert '<tr id="a1-c1">' in one and 'href="#a1-t-c1">in the text</a>' in one
    assert '<span id="a1-t-c1"></span>' in one
    # a counterclaim under the claim it answers, its quote linked the same way
    assert '<tr class="answer" id="a1-cc1">' in one
    assert 'href="#a1-cc1" title="cc1: counterclaim by Paul Martin">' in one
    # a speaker named in the text is marked where our search found the name
    assert re.search(r'<a class="hl (quote )?speaker" href="#a1-c1"[^>]*>Jean Dupont</a>', one)
    # an event trigger
    assert re.search(r'class="hl (quote )?trigger[^"]*" href="#a2-', articles["a2"])
    assert '<tr id="a2-e1">' in articles["a2"]


def test_the_index_digest_and_charts_point_at_the_articles(tmp_path: Path) -> None:
    _store(tmp_path / "night.db", NIGHT)
    page = night_page(tmp_path / "night.db")
    index = page[page.index('<h2 id="index">') : page.index('<h2 id="digest">')]
    assert '<a href="#a1">Le budget</a>' in index and '<a href="#a2">La pluie</a>' in index
    row = next(r for r in index.split("<tr>") if "#a1" in r)
    assert re.findall(r'class="num">(\d+)</td>', row) == ["1", "2", "1"]  # #, claims, answers
    assert "1 no evidence" in row and "1 provided" in row and "1 unclear" in row
    digest = page[page.index('<h2 id="digest">') : page.index('<h2 id="failures">')]
    assert '<a href="#a1-c1"><q>Le budget sera voté en mars</q></a>' in digest  # no evidence
    charts = page[page.index('<h2 id="charts">') : page.index('<h2 id="index">')]
    assert charts.count("<rect ") >= 2 and 'class="s-none_provided"' in charts
    speakers = re.findall(r'class="bar-label" title="([^"]+)"', charts)
    assert speakers[0] == "Jean Dupont"  # 2 claims, the top speaker
    assert "Jean Dupont: “Le budget sera voté en mars” — Le budget" in speakers  # answered
    assert "<script" not in page and "src=" not in page


def test_hostile_text_and_summaries_stay_text(tmp_path: Path) -> None:
    hostile = A(
        f"Titre {EVIL}",
        [C(f"Bob {EVIL}", f"Je dis {EVIL} et <img src=x onerror=alert(2)>")],
        url="javascript:alert(3)",
    )
    _store(tmp_path / "night.db", [(f"id {EVIL}", hostile)])
    page = night_page(tmp_path / "night.db")
    assert "<script" not in page.casefold() and "<img" not in page.casefold()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'href="javascript' not in page
    assert "Content-Security-Policy" in page and "default-src 'none'" in page


def test_a_span_that_is_not_in_the_text_is_not_highlighted(tmp_path: Path) -> None:
    a = NIGHT[1][1]
    s = summary(a)
    moved = s.claims[0].quote.model_copy(update={"start": 0, "end": 5})  # wrong words
    broken = s.model_copy(update={"claims": [s.claims[0].model_copy(update={"quote": moved})]})
    _store(tmp_path / "night.db", [("pluie", a)])
    with sqlite3.connect(tmp_path / "night.db") as db:
        db.execute("UPDATE articles SET result = ?", (broken.model_dump_json(),))
    page = _sections(night_page(tmp_path / "night.db"))["a1"]
    assert 'class="hl quote' not in page and "in the text</a>" not in page.split("events")[0]


def _downgrade(path: Path, version: int) -> None:
    """Make ``path`` what summarizer wrote at store ``version`` (1 or 2)."""
    with sqlite3.connect(path) as db:
        db.execute("ALTER TABLE articles DROP COLUMN text")
        db.execute("DROP TABLE answers")
        if version == 1:
            db.execute("ALTER TABLE articles DROP COLUMN batch_prompt_tokens")
            db.execute("ALTER TABLE articles DROP COLUMN batch_completion_tokens")
        db.execute(f"PRAGMA user_version={version}")


@pytest.mark.parametrize("version", [1, 2])
def test_an_old_store_is_shown_then_upgraded_and_keeps_its_rows(
    tmp_path: Path, version: int
) -> None:
    path = tmp_path / "night.db"
    _store(path, NIGHT, text=False)
    _downgrade(path, version)
    (tmp_path / "budget.txt").write_text(_text(NIGHT[0][1]) + "\n", encoding="utf-8")
    (tmp_path / "pluie.txt").write_text("Un autre texte.", encoding="utf-8")  # changed since
    page = _sections(night_page(path))  # read-only: the old store as it is
    assert "text re-read from" in page["a1"] and 'class="hl quote' in page["a1"]
    assert "has changed since it was summarized" in page["a2"]
    assert 'class="hl' not in page["a2"]
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == version  # not touched
    with Store(path):
        assert store_sql(path, "PRAGMA user_version") == [(4,)]
        columns = {row[1] for row in store_sql(path, "PRAGMA table_info(articles)")}
        assert {"text", "batch_prompt_tokens"} <= columns
        assert store_sql(path, "SELECT count(*) FROM articles WHERE state='done'") == [(2,)]
    (tmp_path / "budget.txt").unlink()
    page = _sections(night_page(path))
    assert "kept no text, and " in page["a1"] and "cannot be read again" in page["a1"]


pytestmark_fake = pytest.mark.block_network(allowed_hosts=["127.0.0.1", "localhost"])


@pytestmark_fake
def test_a_batch_keeps_the_text_and_view_writes_the_page(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "night.jsonl", 3)
    db = tmp_path / "night.db"
    with FakeOpenAI() as fake:
        run_night(fake.base_url, [tmp_path / "night.jsonl"], db)
    with sqlite3.connect(db) as con:
        rows = con.execute("SELECT text, text_sha256, result FROM articles").fetchall()
    assert len(rows) == 3
    for text, sha, result in rows:
        assert text_sha256(text) == sha
        s = ArticleSummary.model_validate_json(result)
        assert all(text[c.quote.start : c.quote.end] == c.quote.text for c in s.claims)
    result = CliRunner().invoke(app, ["view", str(db)])
    assert result.exit_code == 0, result.output
    page = (tmp_path / "night.db.html").read_text(encoding="utf-8")
    assert result.stdout.strip() == str(tmp_path / "night.db.html")
    assert len(_sections(page)) == 3 and page.count('class="hl quote') >= 3

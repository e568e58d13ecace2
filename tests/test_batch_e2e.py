"""The nightly batch on real articles, answered by cassettes recorded from the embedded model.

The same pipeline as ``summarize()``: each article's summary is grounded in the text the batch
keyed (its normalised form), the store holds it with its usage, and a rerun asks nothing.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from summarizer import ArticleSummary, Summarizer
from summarizer.batch import BatchOptions, Store, Throttle, normalise, run_batch
from summarizer.config import LOCAL_MODEL_NAME
from summarizer.testing import cassette_base_url

DATA = Path(__file__).resolve().parent / "data"
ARTICLES = [
    "015-espagne-l-agence-moody-s-degrade-28-banques-espagnoles.txt",
    "052-espagne-polemique-sur-l-avortement.txt",
]


def _night(inputs: Path, db: Path, out: Path) -> tuple[int, int, int]:
    throttle = Throttle(1)  # one request at a time: the order the cassette recorded
    summarizer = Summarizer(
        backend="local", base_url=cassette_base_url(), model=LOCAL_MODEL_NAME, gate=throttle
    )

    async def go() -> tuple[int, int, int]:
        async with summarizer:
            with Store(db) as store:
                stats = await run_batch(
                    [inputs], store, summarizer, BatchOptions(concurrency=1, out=out),
                    throttle=throttle,
                )  # fmt: skip
        return stats.done, stats.skipped_done, stats.usage.requests

    return asyncio.run(go())


@pytest.mark.cassette
@pytest.mark.vcr
def test_a_night_of_real_articles_is_grounded_stored_and_not_resent(tmp_path: Path) -> None:
    inputs = tmp_path / "incoming"
    inputs.mkdir()
    for name in ARTICLES:
        (inputs / name).write_bytes((DATA / name).read_bytes())
    db, out = tmp_path / "night.db", tmp_path / "night.jsonl"

    done, skipped, requests = _night(inputs, db, out)
    assert (done, skipped) == (2, 0) and requests >= 4

    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [line["id"] for line in lines] == ARTICLES
    for line, name in zip(lines, ARTICLES, strict=True):
        summary = ArticleSummary.model_validate(line["summary"])
        text = normalise((DATA / name).read_text(encoding="utf-8"))
        assert summary.check_grounded(text) == []
        assert summary.claims or summary.counterclaims
        assert summary.provenance.usage.requests >= 2

    again, skipped, requests = _night(inputs, db, tmp_path / "again.jsonl")
    assert (again, skipped, requests) == (0, 2, 0)
    assert (tmp_path / "again.jsonl").read_bytes() == out.read_bytes()

"""Streaming: 20,000 articles through the runner and the store without memory growing.

The model is replaced by a stub that returns one real summary (made once by the pipeline
against the fake endpoint), so what is measured is ours: inputs, store, outputs.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from summarizer.batch import BatchOptions, BatchStats, Store, Throttle, run_batch
from summarizer.models import ArticleSummary
from tests.batch_support import article_text, fake_summarizer, write_jsonl
from tests.fakes.fake_openai import FakeOpenAI

pytestmark = pytest.mark.block_network(allowed_hosts=["127.0.0.1", "localhost"])

N = 20_000


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")  # pragma: no cover


class _Stub:
    def __init__(self, summary: ArticleSummary, settings: Any) -> None:
        self.summary, self.settings, self.calls = summary, settings, 0

    async def asummarize(self, text: str, **_: Any) -> ArticleSummary:
        self.calls += 1
        return self.summary


def test_memory_stays_flat_streaming_20k_articles(tmp_path: Path) -> None:
    with FakeOpenAI() as fake:
        real = fake_summarizer(fake.base_url)
        summary = asyncio.run(real.asummarize(article_text(0)))
    stub = _Stub(summary, real.settings)
    ids = write_jsonl(tmp_path / "in.jsonl", N)
    marks: dict[str, float] = {}

    def progress(stats: BatchStats) -> None:
        if stats.seen >= N // 10 and "early" not in marks:
            marks["early"] = _rss_mb()
        marks["peak"] = max(marks.get("peak", 0.0), _rss_mb())

    throttle = Throttle(64)
    with Store(tmp_path / "night.db") as store:
        stats = asyncio.run(
            run_batch(
                [tmp_path / "in.jsonl"],
                store,
                stub,  # type: ignore[arg-type]
                BatchOptions(concurrency=64, out=tmp_path / "out.jsonl"),
                throttle=throttle,
                on_progress=progress,
            )
        )
    growth = marks["peak"] - marks["early"]
    print(f"RSS at 2k articles {marks['early']:.1f} MB, peak {marks['peak']:.1f} MB")
    assert stats.done == stub.calls == N
    assert growth < 50, f"RSS grew {growth:.1f} MB between 2k and 20k articles"
    with (tmp_path / "out.jsonl").open(encoding="utf-8") as out:
        assert sum(1 for _ in out) == N
    last = json.loads((tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()[-1])
    assert last["id"] == ids[-1] and last["state"] == "done"

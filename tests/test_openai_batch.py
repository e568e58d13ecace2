"""The OpenAI Batch API backend against a local fake of /v1/files and /v1/batches.

What a newsroom relies on: the same ArticleSummary as online, nothing uploaded twice for the
same question, resumable after a crash between any two steps, expired and partly failed
batches finished by later ones, and the file splitting within the provider's limits.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from summarizer.batch import BatchOptions, Store
from summarizer.batch._openai_batch import (
    ApiBatchStats,
    custom_id,
    run_openai_batch,
    split_requests,
    submit_queued,
)
from summarizer.batch._report import build_report, report_markdown
from summarizer.config import Settings
from summarizer.pricing import BATCH_DISCOUNT, Price
from tests.batch_support import fake_summarizer, write_jsonl
from tests.fakes.fake_batches import FakeBatchAPI

pytestmark = pytest.mark.block_network(allowed_hosts=["127.0.0.1", "localhost"])
ROOT = Path(__file__).resolve().parent.parent


def _settings(fake: FakeBatchAPI) -> Settings:
    return Settings.resolve(
        backend="openai",
        base_url=fake.base_url,
        api_key="sk-test-not-a-real-key",
        mode="tools",
        parallel_requests=64,
        env={},
    )


def _round(
    fake: FakeBatchAPI, inputs: Path, db: Path, out: Path, *, wait: bool = False
) -> ApiBatchStats:
    with Store(db) as store:
        return asyncio.run(
            run_openai_batch(
                [str(inputs)],
                store,
                _settings(fake),
                BatchOptions(concurrency=16, out=out),
                wait=wait,
                poll_interval=0.01,
            )
        )


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _states(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as con:
        return dict(con.execute("SELECT state, count(*) FROM articles GROUP BY state").fetchall())


def test_rounds_of_batches_give_the_same_summaries_as_online(tmp_path: Path) -> None:
    ids = write_jsonl(tmp_path / "in.jsonl", 12)
    db, out = tmp_path / "night.db", tmp_path / "out.jsonl"
    with FakeBatchAPI() as fake:
        first = _round(fake, tmp_path / "in.jsonl", db, out)
        assert first.run is not None and first.run.done == 0 and first.run.deferred == 12
        assert len(first.created_batches) == 1 and fake.uploads == 1
        assert first.in_progress == 1 and _states(db) == {"pending": 12}
        rest = _round(fake, tmp_path / "in.jsonl", db, out, wait=True)
        assert _states(db) == {"done": 12}
        # Round 1: attributions and overviews; round 2: which statements answer which;
        # round 3: evidence questions (about the claims that are left).
        assert len(first.created_batches) + len(rest.created_batches) == 3
        # Online, the same articles and the same (deterministic) fake answers:
        online = asyncio.run(_online(fake, tmp_path / "in.jsonl"))
    lines = _lines(out)
    assert [line["id"] for line in lines] == ids and {x["state"] for x in lines} == {"done"}
    for line in lines:
        batch_summary = line["summary"]
        expected = online[line["id"]]
        for part in ("claims", "counterclaims", "events", "sources", "summary"):
            assert batch_summary[part] == expected[part], part
        assert batch_summary["provenance"]["usage"]["requests"] >= 2
    # Every question was uploaded once: no custom_id appears in two batch files.
    uploaded = [
        json.loads(raw)["custom_id"]
        for f in fake.files.values()
        if f["purpose"] == "batch"
        for raw in f["content"].decode().splitlines()
    ]
    assert len(uploaded) == len(set(uploaded))


def test_the_morning_report_prices_batch_answers_at_the_discount(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "in.jsonl", 4)
    db = tmp_path / "night.db"
    with FakeBatchAPI() as fake:
        _round(fake, tmp_path / "in.jsonl", db, tmp_path / "out.jsonl")
        _round(fake, tmp_path / "in.jsonl", db, tmp_path / "out.jsonl", wait=True)
        model = _settings(fake).model
        answered = [
            json.loads(raw)["response"]["body"]["usage"]
            for f in fake.files.values()
            if f["purpose"] == "batch_output"
            for raw in f["content"].decode().splitlines()
        ]
    batch_tokens = sum(u["prompt_tokens"] + u["completion_tokens"] for u in answered)
    report = build_report(db, all_runs=True, prices={model: Price(input=1.0, output=1.0)})
    total = report.total
    assert total.articles == 4 and batch_tokens > 0
    assert total.batch_tokens == batch_tokens  # every answer the batches gave, counted once
    online_tokens = total.total_tokens - batch_tokens
    expected = (online_tokens + batch_tokens * BATCH_DISCOUNT) / 1e6
    assert total.cost == pytest.approx(expected)
    assert f"{batch_tokens:,} tokens at the Batch API price" in report_markdown(report)


async def _online(fake: FakeBatchAPI, inputs: Path) -> dict[str, Any]:
    results = {}
    async with fake_summarizer(fake.base_url, parallel_requests=64) as summarizer:
        for raw in inputs.read_text(encoding="utf-8").splitlines():
            doc = json.loads(raw)
            summary = await summarizer.asummarize(doc["text"], title=doc["title"])
            results[doc["id"]] = summary.model_dump(mode="json")
    return results


def test_expired_and_partly_failed_batches_are_finished_by_later_ones(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "in.jsonl", 6)
    db, out = tmp_path / "night.db", tmp_path / "out.jsonl"
    fates = ["expired", "partial", "failed"]  # then every later batch completes
    with FakeBatchAPI(outcomes=lambda i: fates[i] if i < len(fates) else "completed") as fake:
        _round(fake, tmp_path / "in.jsonl", db, out, wait=True)
        statuses = [b["status"] for b in fake.batches.values()]
    assert statuses[:3] == ["expired", "completed", "failed"]
    assert {line["state"] for line in _lines(out)} == {"done"}


def test_a_crash_after_upload_does_not_upload_or_create_twice(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "in.jsonl", 3)
    db, out = tmp_path / "night.db", tmp_path / "out.jsonl"
    with FakeBatchAPI() as fake:
        settings = _settings(fake)
        _round(fake, tmp_path / "in.jsonl", db, out)
        assert fake.uploads == 1 and len(fake.batches) == 1
        # Simulate a process that died after creating the batch, before recording it.
        with sqlite3.connect(db) as con:
            con.execute("UPDATE api_submissions SET state = 'uploaded', batch_id = NULL")
            con.execute("UPDATE api_requests SET state = 'queued'")
        with Store(db) as store:
            stats = ApiBatchStats()
            asyncio.run(_submit(store, settings, stats))
        assert fake.uploads == 1 and len(fake.batches) == 1  # adopted by its tag
        assert stats.created_batches == ["batch_1"]


async def _submit(store: Store, settings: Settings, stats: ApiBatchStats) -> None:
    from summarizer.batch._openai_batch import _api_client

    api = _api_client(settings)
    try:
        await submit_queued(store, api, stats)
    finally:
        await api.close()


def test_files_are_split_at_the_request_and_byte_limits() -> None:
    lines = [(f"id{i}", b"x" * 10 + b"\n") for i in range(25)]
    assert [len(g) for g in split_requests(lines, max_requests=10)] == [10, 10, 5]
    assert [len(g) for g in split_requests(lines, max_bytes=55)] == [5, 5, 5, 5, 5]
    assert list(split_requests([])) == []
    with pytest.raises(ValueError, match="alone is"):
        list(split_requests([("big", b"y" * 100)], max_bytes=50))


def test_custom_id_is_stable_and_ignores_key_order() -> None:
    a = {"model": "m", "messages": [{"role": "user", "content": "é"}]}
    b = {"messages": [{"content": "é", "role": "user"}], "model": "m"}
    assert custom_id(a) == custom_id(b) and custom_id(a) != custom_id({**a, "model": "n"})


def _cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "summarizer", "batch", *args],
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_command_submits_collects_and_cancels(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "in.jsonl", 4)
    args = [str(tmp_path / "in.jsonl"), "--store", str(tmp_path / "s.db"), "--backend",
            "openai-batch", "--out", str(tmp_path / "out.jsonl")]  # fmt: skip
    with FakeBatchAPI() as fake:
        env = {"OPENAI_BASE_URL": fake.base_url, "OPENAI_API_KEY": "sk-test-not-a-real-key"}
        first = _cli(args, env)
        assert first.returncode == 0, first.stderr
        assert "4 waiting for the Batch API" in first.stderr
        assert "1 batch(es) in progress: run the same command again" in first.stderr
        cancelled = _cli([*args, "--cancel"], env)
        assert cancelled.returncode == 0 and "cancelled 1 batch(es): batch_1" in cancelled.stderr
        done = _cli([*args, "--wait", "--poll-interval", "1"], env)
        assert done.returncode == 0, done.stderr
        assert fake.batches["batch_1"]["status"] == "cancelled"
    assert {line["state"] for line in _lines(tmp_path / "out.jsonl")} == {"done"}


def test_the_batch_api_needs_an_openai_endpoint(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "in.jsonl", 1)
    env = {"OPENAI_BASE_URL": "", "OPENAI_API_KEY": "", "SUMMARIZER_BACKEND": "local"}
    done = _cli([str(tmp_path / "in.jsonl"), "--store", str(tmp_path / "s.db"),
                 "--backend", "openai-batch"], env)  # fmt: skip
    assert done.returncode == 4 and "needs the OpenAI API" in done.stderr

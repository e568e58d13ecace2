"""A night stops early when its last articles all failed the same way (issue 16, item 15).

An endpoint whose every answer breaks the schema the same way used to spend the re-asks of every
article (593 requests, 694k tokens on 100 articles) before ``--max-failed`` stopped it at the end.
``--stop-after-same N`` (default 10) stops it after N such articles in a row, exit 5.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import tests.fakes.fake_openai as fake_openai
from summarizer import RetryPolicy
from summarizer._cli import app
from summarizer._cli._exits import EXIT_REPEATED_FAILURE
from summarizer.batch import BatchOptions, Store, Throttle, run_batch
from summarizer.batch._runner import RepeatedFailure
from tests.batch_support import fake_summarizer, write_jsonl
from tests.fakes.fake_openai import FakeOpenAI

pytestmark = pytest.mark.block_network(allowed_hosts=["127.0.0.1", "localhost"])

ARTICLES = 30
REASKS = 2


@pytest.fixture
def same_bad_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fake's invalid answer always breaks the schema the same way (a field missing)."""
    build = fake_openai._build_answer
    monkeypatch.setattr(
        fake_openai,
        "_build_answer",
        lambda schema, sents, variant, _i: build(schema, sents, variant, 0),
    )


def _night(base_url: str, inputs: Path, db: Path, **options: Any) -> Any:
    throttle = Throttle(1)

    async def go() -> Any:
        with Store(db) as store:
            summarizer = fake_summarizer(base_url, throttle, parallel_requests=1, max_reasks=REASKS)
            return await run_batch(
                [inputs],
                store,
                summarizer,
                BatchOptions(concurrency=1, **options),
                throttle=throttle,
            )

    return asyncio.run(asyncio.wait_for(go(), 120))


def test_ten_articles_failing_the_same_way_stop_the_night(
    tmp_path: Path, same_bad_answer: None
) -> None:
    inputs, db = tmp_path / "in.jsonl", tmp_path / "night.db"
    write_jsonl(inputs, ARTICLES)
    with FakeOpenAI(faults={"schema_invalid": 1.0}) as fake, pytest.raises(RepeatedFailure) as stop:
        _night(fake.base_url, inputs, db)
    assert fake.requests == 10 * (REASKS + 1)  # not 30 articles' worth
    stats = stop.value.stats
    assert stats is not None and (stats.failed, stats.done) == (10, 0)
    assert "the last 10 articles all failed with the same validation error" in stop.value.message
    with Store(db) as store:
        assert store.counts() == {"done": 0, "failed": 10, "pending": 0}  # the rest never started


def test_zero_turns_the_breaker_off(tmp_path: Path, same_bad_answer: None) -> None:
    inputs, db = tmp_path / "in.jsonl", tmp_path / "night.db"
    write_jsonl(inputs, 12)
    with FakeOpenAI(faults={"schema_invalid": 1.0}) as fake:
        stats = _night(fake.base_url, inputs, db, stop_after_same=0)
    assert stats.failed == 12


def test_the_command_exits_5_and_its_summary_line_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, same_bad_answer: None
) -> None:
    inputs, db = tmp_path / "in.jsonl", tmp_path / "night.db"
    write_jsonl(inputs, 12)
    monkeypatch.setattr(RetryPolicy, "wait_for", lambda _self, _attempt, _exc: 0.0)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    monkeypatch.setenv("SUMMARIZER_PARALLEL", "1")
    with FakeOpenAI(faults={"schema_invalid": 1.0}) as fake:
        monkeypatch.setenv("OPENAI_BASE_URL", fake.base_url)
        argv = ["batch", str(inputs), "--store", str(db), "--concurrency", "1"]
        result = CliRunner().invoke(app, [*argv, "--stop-after-same", "3"])
    assert result.exit_code == EXIT_REPEATED_FAILURE, result.output
    summary = next(line for line in result.output.splitlines() if line.startswith("run 1:"))
    assert "0 summarized, 3 failed" in summary
    assert "stopped early: the last 3 articles all failed" in summary
    with Store(db):  # the lock was released
        pass

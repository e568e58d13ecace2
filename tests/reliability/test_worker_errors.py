"""A worker's error never hangs the night (issue 16, item 1).

A full disk, an unwritable ``--out-dir`` or an endpoint reporting usage no store can hold used
to kill a worker silently; once every worker was dead the producer waited for ever on a full
queue, holding the store's lock. Now an error of the disk stops the night at once (one line,
exit 8, lock released) and any other error is its article's failure.
"""

from __future__ import annotations

import asyncio
import errno
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import tests.fakes.fake_openai as fake_openai
from summarizer import RetryPolicy, pipeline
from summarizer._cli import app
from summarizer._cli._exits import EXIT_UNWRITABLE
from summarizer.batch import BatchOptions, Store, Throttle, run_batch
from summarizer.batch import _runner as runner_module
from summarizer.batch._runner import NightUnwritable
from tests.batch_support import fake_summarizer, store_sql, write_jsonl
from tests.fakes.fake_openai import FakeOpenAI

pytestmark = pytest.mark.block_network(allowed_hosts=["127.0.0.1", "localhost"])

BOUND = 60.0  # a hang fails the test after this many seconds instead of blocking the suite
ARTICLES = 12  # more than the queue (2 x concurrency) and the workers together


def _night(base_url: str, inputs: Path, db: Path, **options: Any) -> Any:
    throttle = Throttle(2)

    async def go() -> Any:
        with Store(db) as store:
            return await run_batch(
                [inputs],
                store,
                fake_summarizer(base_url, throttle),
                BatchOptions(concurrency=2, **options),
                throttle=throttle,
            )

    return asyncio.run(asyncio.wait_for(go(), BOUND))


def _full_disk(path: Path, content: str) -> None:
    raise OSError(errno.ENOSPC, "No space left on device", str(path))


def test_a_full_disk_under_out_dir_stops_the_night_instead_of_hanging(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inputs, db = tmp_path / "in.jsonl", tmp_path / "night.db"
    write_jsonl(inputs, ARTICLES)
    monkeypatch.setattr(runner_module, "write_atomic", _full_disk)
    with FakeOpenAI() as fake, pytest.raises(NightUnwritable) as stopped:
        _night(fake.base_url, inputs, db, out_dir=tmp_path / "out")
    assert "No space left on device" in stopped.value.message
    with Store(db) as store:  # the lock was released; what was summarized is kept
        counts = store.counts()
    assert counts["done"] + counts["pending"] >= 1
    assert counts["done"] + counts["failed"] + counts["pending"] < ARTICLES  # stopped early


def test_the_command_says_it_in_one_line_and_exits_8(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inputs, db = tmp_path / "in.jsonl", tmp_path / "night.db"
    write_jsonl(inputs, ARTICLES)
    monkeypatch.setattr(runner_module, "write_atomic", _full_disk)
    monkeypatch.setattr(RetryPolicy, "wait_for", lambda _self, _attempt, _exc: 0.0)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    with FakeOpenAI() as fake:
        monkeypatch.setenv("OPENAI_BASE_URL", fake.base_url)
        argv = ["batch", str(inputs), "--store", str(db), "--out-dir", str(tmp_path / "out")]
        result = CliRunner().invoke(app, [*argv, "--quiet"])
    assert result.exit_code == EXIT_UNWRITABLE, result.output
    assert ("Traceback" not in result.output and result.exception is None) or isinstance(
        result.exception, SystemExit
    )
    errors = [line for line in result.output.splitlines() if line.startswith("error")]
    assert len(errors) == 1 and "No space left on device" in errors[0], result.output
    with Store(db):  # not held by a dead run
        pass


def test_usage_beyond_any_store_fails_the_articles_and_the_night_ends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inputs, db = tmp_path / "in.jsonl", tmp_path / "night.db"
    write_jsonl(inputs, ARTICLES)
    monkeypatch.setattr(fake_openai, "_tokens", lambda _chars: 2**63)
    with FakeOpenAI() as fake:
        stats = _night(fake.base_url, inputs, db)
    assert (stats.done, stats.failed) == (0, ARTICLES)
    with Store(db):
        rows = store_sql(db, "SELECT state, error_message, prompt_tokens FROM articles")
    assert len(rows) == ARTICLES
    assert all(state == "failed" and tokens == 0 for state, _message, tokens in rows)


def test_an_unexpected_error_of_one_article_is_its_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inputs, db = tmp_path / "in.jsonl", tmp_path / "night.db"
    write_jsonl(inputs, ARTICLES)
    calls: list[str] = []
    real = runner_module.write_atomic

    def flaky(path: Path, content: str) -> None:
        calls.append(path.name)
        if len(calls) == 3:
            raise UnicodeEncodeError("utf-8", "x", 0, 1, "surrogates not allowed")
        real(path, content)

    monkeypatch.setattr(runner_module, "write_atomic", flaky)
    with FakeOpenAI() as fake:
        stats = _night(fake.base_url, inputs, db, out_dir=tmp_path / "out")
    assert stats.done + stats.failed == ARTICLES and stats.failed <= 1


def test_a_full_disk_met_inside_the_pipeline_stops_the_night_and_fails_no_article(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full ``/tmp`` (the language identifier unpacks its model there) is the disk's error,
    not the articles': they must not be marked failed, which reruns would skip."""
    inputs, db = tmp_path / "in.jsonl", tmp_path / "night.db"
    write_jsonl(inputs, ARTICLES)

    def no_space(_text: str) -> str:
        raise OSError(errno.ENOSPC, "No space left on device", "/tmp/tmpmodel")

    monkeypatch.setattr(pipeline, "detect_language", no_space)
    with FakeOpenAI() as fake, pytest.raises(NightUnwritable):
        _night(fake.base_url, inputs, db)
    with Store(db) as store:
        assert store.counts()["failed"] == 0

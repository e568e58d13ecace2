"""The nightly batch against a fault-injecting fake endpoint on 127.0.0.1.

What a newsroom relies on: every article ends done or failed with a reason, none is lost or
written twice, usage adds up to what the server billed, a rerun sends nothing, a kill -9 at
any moment is repaired by running the same command again, and two runs cannot share a store.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from summarizer import RetryPolicy, Settings, Summarizer, pipeline
from summarizer.batch import BatchOptions, Store, Throttle, batch_concurrency, run_batch
from tests.batch_support import batch_cli, fake_summarizer, no_sleep, store_sql, write_jsonl
from tests.fakes.fake_openai import FakeOpenAI

pytestmark = pytest.mark.block_network(allowed_hosts=["127.0.0.1", "localhost"])

FAULTS = {  # 30 % of requests fail, in every way the batch must survive
    "429": 0.05,
    "500": 0.04,
    "503": 0.04,
    "reset": 0.03,
    "invalid_json": 0.03,
    "truncated_json": 0.03,
    "schema_invalid": 0.03,
    "ungrounded": 0.02,
    "empty_choices": 0.03,
}


def _run(fake: FakeOpenAI, inputs: Path, db: Path, out: Path, **options: Any) -> Any:
    throttle = Throttle(options.pop("concurrency", 8))
    summarizer = fake_summarizer(
        fake.base_url, throttle, parallel_requests=options.pop("parallel", 4)
    )
    with Store(db) as store:
        return asyncio.run(
            run_batch(
                [inputs],
                store,
                summarizer,
                BatchOptions(concurrency=throttle.max_concurrency, out=out, **options),
                throttle=throttle,
            )
        )


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _store_totals(db: Path) -> tuple[int, int, int, int]:
    with sqlite3.connect(db) as con:
        row = con.execute(
            "SELECT count(*), sum(requests), sum(prompt_tokens), sum(completion_tokens) "
            "FROM articles"
        ).fetchone()
    return tuple(int(x or 0) for x in row)  # type: ignore[return-value]


def test_faults_lose_nothing_duplicate_nothing_and_usage_adds_up(tmp_path: Path) -> None:
    ids = write_jsonl(tmp_path / "night.jsonl", 200)
    db, out = tmp_path / "night.db", tmp_path / "night.jsonl.out"
    with FakeOpenAI(faults=FAULTS, seed=11, retry_after=0.01) as fake:
        # One question at a time per article: with several, a failed question cancels its
        # siblings, whose requests the server may count and the meter does not.
        stats = _run(fake, tmp_path / "night.jsonl", db, out, parallel=1)
        served = fake.requests, fake.usage_served
    lines = _lines(out)
    assert [line["id"] for line in lines] == ids  # every article, once, in input order
    assert {line["state"] for line in lines} <= {"done", "failed"}
    for line in lines:
        if line["state"] == "failed":
            assert line["error"]["type"] and line["error"]["message"]
        else:
            assert line["summary"]["claims"], line["id"]
    assert stats.done + stats.failed == 200 and stats.done >= 150
    assert sum(fake_count for fake_count in [stats.failed]) == sum(stats.failures.values())
    articles, requests, prompt, completion = _store_totals(db)
    assert articles == 200
    assert requests == served[0] == stats.usage.requests  # every attempt is counted
    assert (prompt, completion) == (served[1]["prompt_tokens"], served[1]["completion_tokens"])
    assert stats.usage.transport_retries > 0 and stats.usage.reasks > 0


def test_rerun_of_a_finished_night_sends_nothing_and_writes_the_same_output(
    tmp_path: Path,
) -> None:
    write_jsonl(tmp_path / "in.jsonl", 30)
    db = tmp_path / "night.db"
    with FakeOpenAI() as fake:
        first = _run(fake, tmp_path / "in.jsonl", db, tmp_path / "one.jsonl")
        before = fake.requests
        again = _run(fake, tmp_path / "in.jsonl", db, tmp_path / "two.jsonl")
        assert fake.requests == before > 0
    assert (first.done, again.done, again.skipped_done) == (30, 0, 30)
    assert (tmp_path / "one.jsonl").read_bytes() == (tmp_path / "two.jsonl").read_bytes()


def _night(fake: FakeOpenAI, db: Path, inputs: list[Path], **summarizer: Any) -> Any:
    throttle = Throttle(4)
    with Store(db) as store:
        return asyncio.run(
            run_batch(
                inputs,
                store,
                fake_summarizer(fake.base_url, throttle, **summarizer),
                BatchOptions(concurrency=4),
                throttle=throttle,
            )
        )


def test_a_new_model_resummarizes_and_duplicates_are_sent_once(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "in.jsonl", 5)
    write_jsonl(tmp_path / "copy.jsonl", 5)  # the same five texts under the same ids
    db, inputs = tmp_path / "night.db", tmp_path / "in.jsonl"
    with FakeOpenAI() as fake:
        stats = _night(fake, db, [inputs, tmp_path / "copy.jsonl"])
        assert stats.done == 5 and stats.skipped_done + stats.duplicates == 5
        before = fake.requests
        other = _night(fake, db, [inputs], model="another-model")
        assert other.done == 5 and fake.requests > before
        # A complete extraction is another result too: not the stored 24-statement summaries.
        assert _night(fake, db, [inputs], max_statements=0).done == 5


def test_failed_articles_are_kept_and_only_they_are_retried(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "in.jsonl", 20)
    db, out = tmp_path / "night.db", tmp_path / "out.jsonl"
    # Every request of the first 20 fails for good (4 attempts of each article's first
    # question, asked one at a time); later ones succeed.
    with FakeOpenAI(faults=lambda i, _r: "500" if i < 20 else None) as fake:
        first = _run(fake, tmp_path / "in.jsonl", db, out, concurrency=1, parallel=1)
        assert first.failed == 5 and first.failures == {"ProviderUnavailableError": 5}
        again = _run(fake, tmp_path / "in.jsonl", db, out, concurrency=1)
        assert (again.done, again.skipped_failed, again.skipped_done) == (0, 5, 15)
        retried = _run(fake, tmp_path / "in.jsonl", db, out, concurrency=1, retry_failed=True)
    assert (retried.done, retried.skipped_done) == (5, 15)
    assert {line["state"] for line in _lines(out)} == {"done"}


# --- the command line, in a subprocess ----------------------------------------------------------


def _cli(args: list[str], base_url: str) -> subprocess.Popen[str]:
    return batch_cli(args, base_url)


def _done(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as con:
            return int(
                con.execute("SELECT count(*) FROM articles WHERE state='done'").fetchone()[0]
            )
    except sqlite3.OperationalError:
        return 0


def test_kill_9_at_any_moment_then_rerun_completes_the_night(tmp_path: Path) -> None:
    ids = write_jsonl(tmp_path / "in.jsonl", 60)
    db, out = tmp_path / "night.db", tmp_path / "out.jsonl"
    args = [str(tmp_path / "in.jsonl"), "--store", str(db), "--out", str(out), "-q"]
    with FakeOpenAI(latency=0.02, slots=8) as fake:
        for target in (5, 25, 40):  # kill three times, at different points of the night
            proc = _cli([*args, "--concurrency", "4"], fake.base_url)
            deadline = time.monotonic() + 60
            while _done(db) < target and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.02)
            proc.send_signal(signal.SIGKILL)
            proc.communicate(timeout=30)
            assert not out.exists()  # no half-written output, ever
        proc = _cli([*args, "--concurrency", "4"], fake.base_url)
        _, stderr = proc.communicate(timeout=120)
        assert proc.returncode == 0, stderr
    lines = _lines(out)
    assert [line["id"] for line in lines] == ids
    assert {line["state"] for line in lines} == {"done"}
    with sqlite3.connect(db) as con:
        resent = con.execute("SELECT count(*) FROM articles WHERE attempts > 1").fetchone()[0]
    assert resent <= 3 * 4  # only what was in flight at each kill is sent again


def test_second_run_on_a_busy_store_exits_7_with_a_clear_message(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "in.jsonl", 1)
    db = tmp_path / "night.db"
    with Store(db):
        proc = _cli([str(tmp_path / "in.jsonl"), "--store", str(db)], "http://127.0.0.1:9/v1")
        _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 7
    assert "another batch run is using" in stderr and "Traceback" not in stderr


def test_too_many_failures_exit_6_and_bad_sources_exit_3(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "in.jsonl", 4)
    (tmp_path / "bad.jsonl").write_text("{oops\n" * 4, encoding="utf-8")
    db = tmp_path / "night.db"
    with FakeOpenAI() as fake:
        proc = _cli([str(tmp_path), "--store", str(db), "--max-failed", "0.2"], fake.base_url)
        _, stderr = proc.communicate(timeout=60)
        assert proc.returncode == 6, stderr
        assert "50.0% of the articles failed" in stderr
        proc = _cli([str(tmp_path / "nope"), "--store", str(db)], fake.base_url)
        _, stderr = proc.communicate(timeout=60)
        assert proc.returncode == 3 and "no such file or directory" in stderr


def test_429s_shrink_the_articles_in_flight_then_they_grow_back(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "in.jsonl", 40)
    burst = set(range(30, 38))  # a burst of rate limits early in the night, then calm
    throttle = Throttle(8)
    with FakeOpenAI(faults=lambda i, _r: "429" if i in burst else None, retry_after=0.05) as fake:
        # Once the throttle is down to one request in flight, one article may meet the whole
        # burst in a row: enough attempts that the burst cannot exhaust them.
        retry = RetryPolicy(max_attempts=len(burst) + 2, sleep=no_sleep)
        summarizer = fake_summarizer(fake.base_url, throttle, retry=retry)
        with Store(tmp_path / "night.db") as store:
            stats = asyncio.run(
                run_batch(
                    [tmp_path / "in.jsonl"],
                    store,
                    summarizer,
                    BatchOptions(concurrency=8),
                    throttle=throttle,
                )
            )
    assert stats.done == 40 and stats.rate_limited == 8
    assert throttle.lowest_limit < 8  # backed off …
    assert throttle.limit == 8  # … and grew back to --concurrency


def test_since_out_dir_and_plain_progress_lines(tmp_path: Path) -> None:
    feed = tmp_path / "feed.jsonl"
    docs = [
        {"id": "old", "text": "Le ministre Paul Martin a déclaré que tout va bien.",
         "published": "2024-01-01"},
        {"id": "../../escape", "text": "Marie Curie a affirmé que le vote aura lieu.",
         "published": "2024-06-01"},
    ]  # fmt: skip
    feed.write_text("".join(json.dumps(d) + "\n" for d in docs), encoding="utf-8")
    out_dir = tmp_path / "per-article"
    with FakeOpenAI() as fake:
        proc = _cli(
            [str(feed), "--store", str(tmp_path / "s.db"), "--since", "2024-03-01",
             "--out-dir", str(out_dir), "--out", str(tmp_path / "out.jsonl")],
            fake.base_url,
        )  # fmt: skip
        _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr
    assert [line["id"] for line in _lines(tmp_path / "out.jsonl")] == ["../../escape"]
    files = list(out_dir.iterdir())
    assert len(files) == 1 and files[0].parent == out_dir and files[0].name.startswith("escape.")
    assert json.loads(files[0].read_text(encoding="utf-8"))["claims"]
    # Not a terminal: plain, timestamped progress lines and a closing summary, no bar.
    assert "done 1 · failed 0" in stderr and "\x1b[" not in stderr
    assert "1 summarized, 0 failed" in stderr and "1 before --since" in stderr


def test_a_library_night_on_the_embedded_model_sends_one_request_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``run_batch`` called as a library, without a throttle or a concurrency, on the embedded
    model: llama.cpp has one slot, so one article and one request at a time (the fake stands
    in for the embedded server; no model is started)."""

    class EmbeddedServer:  # what the pipeline uses of the embedded server
        def __init__(self, base_url: str) -> None:
            self.base_url = base_url

        def alive(self) -> bool:
            return True

    write_jsonl(tmp_path / "in.jsonl", 6)
    settings = Settings.resolve(env={})  # no endpoint and no key: the embedded model
    assert settings.embedded
    with FakeOpenAI(latency=0.05) as fake:
        server = EmbeddedServer(fake.base_url)
        monkeypatch.setattr(pipeline, "_local_server", lambda _current: server)
        with Store(tmp_path / "night.db") as store:
            stats = asyncio.run(
                run_batch([tmp_path / "in.jsonl"], store, Summarizer(settings=settings))
            )
            [(recorded,)] = store_sql(store.path, "SELECT settings FROM runs")
        peak = fake.max_in_flight
    assert stats.done == 6 and fake.requests > 6
    assert (stats.concurrency, peak, json.loads(recorded)["concurrency"]) == (1, 1, 1)


def test_articles_in_flight_by_default_follow_the_backend() -> None:
    embedded = Settings.resolve(env={})
    online = Settings.resolve(base_url="http://127.0.0.1:9/v1", api_key="k", env={})
    assert (batch_concurrency(embedded), batch_concurrency(embedded, 8)) == (1, 1)
    assert (batch_concurrency(online), batch_concurrency(online, 8)) == (4, 8)
    assert batch_concurrency(online, api_batch=True) == 64  # a wave's questions in one round
    local_server = Settings.resolve(backend="local", base_url="http://127.0.0.1:9/v1", env={})
    assert batch_concurrency(local_server) == 4  # a server of one's own: its slots are unknown

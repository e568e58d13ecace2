"""The store's answer cache: what keeps a rerun from paying twice for an answer it has."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from pathlib import Path
from typing import Any

from summarizer.batch._store import Store

REQUEST = {
    "model": "m",
    "messages": [{"role": "user", "content": "q"}],
    "max_tokens": 10,
    "temperature": 0,
    "extra_headers": {"Authorization": "Bearer sk-secret-key-123"},
}


def _ask(store: Store, fingerprint: str, run: int, request: dict[str, Any]) -> str | None:
    """What a new run's first asking of ``request`` finds."""
    return store.answers(fingerprint, run).get(request)[1]


def test_an_answer_is_reused_under_its_fingerprint_only(tmp_path: Path) -> None:
    path = tmp_path / "n.db"
    with Store(path) as store:
        run = store.begin_run(model="m", prompt_version="p", schema_hash="s", settings={})
        first = store.answers("fp1", run)
        asyncio.run(first.put(first.get(REQUEST)[0], '{"id": "a"}'))
        assert _ask(store, "fp1", run, REQUEST) == '{"id": "a"}'
        assert _ask(store, "fp2", run, REQUEST) is None  # another fingerprint
        reask = {**REQUEST, "messages": [*REQUEST["messages"], {"role": "user", "content": "r"}]}
        assert _ask(store, "fp1", run, reask) is None  # a re-ask is another request
    assert b"sk-secret-key-123" not in b"".join(p.read_bytes() for p in tmp_path.iterdir())


def test_the_same_request_asked_again_in_a_run_is_sent_again_and_replayed_in_order(
    tmp_path: Path,
) -> None:
    """A re-ask identical to the one before it (the model gave the same bad answer) must reach
    the model again; a rerun gets the killed run's answers in the order they came."""
    with Store(tmp_path / "n.db") as store:
        run = store.begin_run(model="m", prompt_version="p", schema_hash="s", settings={})
        killed = store.answers("fp", run)
        for answer in ('{"id": "first"}', '{"id": "second"}'):
            key, stored = killed.get(REQUEST)
            assert stored is None  # asked again in the same run: not answered from the cache
            asyncio.run(killed.put(key, answer))
        rerun = store.answers("fp", run)
        assert [rerun.get(REQUEST)[1] for _ in range(3)] == [
            '{"id": "first"}',
            '{"id": "second"}',
            None,
        ]
        assert rerun.reused == 2


def test_an_answer_whose_question_is_cancelled_is_still_stored_and_the_store_goes_on(
    tmp_path: Path,
) -> None:
    """A failed question cancels its siblings, one of them maybe storing its answer: that
    answer is still committed (it was paid for), and the store's writer takes later writes
    (a writer thread that died on the cancelled write hung the night)."""
    path = tmp_path / "n.db"
    with Store(path) as store:
        run = store.begin_run(model="m", prompt_version="p", schema_hash="s", settings={})
        answers = store.answers("fp", run)
        second = {**REQUEST, "max_tokens": 20}

        async def go() -> None:
            blocker = sqlite3.connect(path, isolation_level=None)
            blocker.execute("BEGIN IMMEDIATE")  # the writer waits on it, the put is pending
            storing = asyncio.create_task(answers.put(answers.get(REQUEST)[0], '{"id": "a"}'))
            await asyncio.sleep(0)  # the put has queued its write
            storing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await storing
            blocker.execute("ROLLBACK")
            blocker.close()
            await asyncio.wait_for(answers.put(answers.get(second)[0], '{"id": "b"}'), 20)

        asyncio.run(go())
        assert _ask(store, "fp", run, REQUEST) == '{"id": "a"}'
        assert _ask(store, "fp", run, second) == '{"id": "b"}'

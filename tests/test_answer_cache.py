"""The store's answer cache: what keeps a rerun from paying twice for an answer it has."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from pathlib import Path

from summarizer.batch._store import Store

REQUEST = {
    "model": "m",
    "messages": [{"role": "user", "content": "q"}],
    "max_tokens": 10,
    "temperature": 0,
    "extra_headers": {"Authorization": "Bearer sk-secret-key-123"},
}


def test_an_answer_is_reused_under_its_fingerprint_only(tmp_path: Path) -> None:
    path = tmp_path / "n.db"
    with Store(path) as store:
        run = store.begin_run(model="m", prompt_version="p", schema_hash="s", settings={})
        asyncio.run(store.answers("fp1", run).put(REQUEST, '{"id": "a"}'))
        assert store.answers("fp1", run).get(REQUEST) == '{"id": "a"}'
        assert store.answers("fp2", run).get(REQUEST) is None  # another fingerprint
        reask = {**REQUEST, "messages": [*REQUEST["messages"], {"role": "user", "content": "r"}]}
        assert store.answers("fp1", run).get(reask) is None  # a re-ask is another request
    assert b"sk-secret-key-123" not in b"".join(p.read_bytes() for p in tmp_path.iterdir())


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
            storing = asyncio.create_task(answers.put(REQUEST, '{"id": "a"}'))
            await asyncio.sleep(0)  # the put has queued its write
            storing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await storing
            blocker.execute("ROLLBACK")
            blocker.close()
            await asyncio.wait_for(answers.put(second, '{"id": "b"}'), 20)

        asyncio.run(go())
        assert answers.get(REQUEST) == '{"id": "a"}'
        assert answers.get(second) == '{"id": "b"}'

"""The store's answer cache: what keeps a rerun from paying twice for an answer it has."""

from __future__ import annotations

import asyncio
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

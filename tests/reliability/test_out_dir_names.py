"""Per-article files are unique per input (issue 16, item 10).

``--out-dir`` named a file from the article's id alone: the same ``id`` in two JSONL feeds
overwrote the first feed's file (10 articles, 7 files).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.batch_support import article_text, run_night
from tests.fakes.fake_openai import FakeOpenAI

pytestmark = pytest.mark.block_network(allowed_hosts=["127.0.0.1", "localhost"])


def _feed(path: Path, start: int) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for n in range(5):  # the same ids in both feeds, other articles
            doc = {"id": f"story-{n}", "text": article_text(start + n)}
            handle.write(json.dumps(doc, ensure_ascii=False) + "\n")


def test_the_same_id_in_two_feeds_gets_two_files(tmp_path: Path) -> None:
    morning, evening, out = tmp_path / "morning.jsonl", tmp_path / "evening.jsonl", tmp_path / "o"
    _feed(morning, 0)
    _feed(evening, 100)
    with FakeOpenAI() as fake:
        stats = run_night(fake.base_url, [morning, evening], tmp_path / "night.db", out_dir=out)
    assert stats.done == 10
    files = list(out.iterdir())
    assert len(files) == 10
    texts = {json.loads(p.read_text(encoding="utf-8"))["article"]["sha256"] for p in files}
    assert len(texts) == 10  # no article's file was written over by another's
    assert all(p.name.startswith("story-") for p in files)  # still named from the id

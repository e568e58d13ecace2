"""The store counts every request the server saw, and every token it billed (issue 16, item 16).

When one question of an article failed, its sibling questions in flight were cancelled and left
uncounted: under faults the store counted 1.5–2 % fewer requests than the server saw. Now the
requests in flight are let finish (no new one starts) and their usage is counted.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from summarizer.batch import Store
from tests.batch_support import run_night, store_sql, write_jsonl
from tests.fakes.fake_openai import FakeOpenAI, FakeRequest

pytestmark = pytest.mark.block_network(allowed_hosts=["127.0.0.1", "localhost"])

ARTICLES = 4


def test_a_failing_question_leaves_no_sibling_uncounted(tmp_path: Path) -> None:
    inputs, db = tmp_path / "in.jsonl", tmp_path / "night.db"
    write_jsonl(inputs, ARTICLES)
    never = threading.Event()  # the siblings are answered after hang_seconds, never sooner

    def hold(request: FakeRequest) -> threading.Event | None:
        return never if request.answer_model != "OverviewAnswer" else None

    def pick(_index: int, request: FakeRequest) -> str | None:
        return "length" if request.answer_model == "OverviewAnswer" else None

    with FakeOpenAI(faults=pick, hold=hold, hang_seconds=1.0) as fake:
        stats = run_night(fake.base_url, [inputs], db)  # 4 questions of an article at once
        seen, billed = fake.requests, fake.usage_served
        overviews = sum(1 for r in fake.log if r.answer_model == "OverviewAnswer")
    assert stats.failed == ARTICLES and seen - overviews >= ARTICLES  # siblings were out
    with Store(db):
        (stored,) = store_sql(
            db, "SELECT sum(requests), sum(prompt_tokens), sum(completion_tokens) FROM articles"
        )
    assert stored == (seen, billed["prompt_tokens"], billed["completion_tokens"])
    assert (stats.usage.requests, stats.usage.total_tokens) == (seen, billed["total_tokens"])

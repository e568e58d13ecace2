"""No request outgrows the model's context, and the token budget bounds the whole article.

A 900k-character article on one line used to be one "paragraph", so every overview and
evidence question carried all of it (49 requests, 6.7 M prompt tokens), and the budget only
stopped re-asks. The endpoint here is the scripted fake of tests/fakes on 127.0.0.1; it bills
about one token per 4 characters of the messages.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from summarizer import Settings, Summarizer, TokenBudgetExceededError
from tests.fakes.embedded_like import embedded_like
from tests.fakes.fake_openai import FakeOpenAI, FakeRequest

pytestmark = pytest.mark.block_network(allowed_hosts=["127.0.0.1", "localhost"])

MAX_INPUT_TOKENS = 2600  # the embedded model's setting: its context is 4096 tokens
MAX_REQUEST_CHARS = 12_000
"""Article text (2600 tokens ≈ 9100 characters) plus the longest instructions (≈ 1,100):
about 3,400 tokens, which leaves the embedded model room for its longest answer (600)."""
SENTENCE = "Le ministre a déclaré que la réforme serait appliquée dès demain dans le pays. "


def _run(text: str, **changes: Any) -> tuple[Any, list[int], list[str], FakeOpenAI]:
    """The outcome (a summary or the error), each request's message characters and answer
    model, and the fake (its usage served)."""
    sizes: list[int] = []
    models: list[str] = []

    def watch(_index: int, request: FakeRequest) -> None:
        sizes.append(sum(len(str(m.get("content") or "")) for m in request.messages))
        models.append(request.answer_model or "")

    with FakeOpenAI(faults=watch) as fake:
        settings = embedded_like(fake.base_url, **{"max_input_tokens": MAX_INPUT_TOKENS, **changes})

        async def run() -> Any:
            async with Summarizer(settings=settings) as s:
                try:
                    return await s.asummarize(text, language="fr")
                except TokenBudgetExceededError as exc:
                    return exc

        return asyncio.run(asyncio.wait_for(run(), 300)), sizes, models, fake


def test_a_900k_single_line_article_is_split_and_stopped_by_the_budget() -> None:
    text = (SENTENCE * (900_000 // len(SENTENCE) + 1))[:900_000].strip()
    outcome, sizes, _models, fake = _run(text)

    assert max(sizes) <= MAX_REQUEST_CHARS
    # The budget (120,000 tokens) bounds the article: first questions, not only re-asks.
    assert isinstance(outcome, TokenBudgetExceededError)
    served = fake.usage_served
    budget = Settings.token_budget
    assert budget is not None
    assert budget <= served["prompt_tokens"] + served["completion_tokens"]
    assert served["prompt_tokens"] + served["completion_tokens"] <= budget + max(sizes) // 3
    assert len(sizes) < 100  # of about 9,200 sentences in 107 parts
    assert outcome.usage is not None and outcome.usage.requests == len(sizes)


def test_a_giant_sentence_is_cut_so_every_question_fits() -> None:
    # One quotation over 36,000 characters is one sentence for the segmenter.
    text = "Le ministre a déclaré « " + "nous ferons tout. " * 2000 + "» hier."
    summary, sizes, models, _fake = _run(text, token_budget=None)

    assert max(sizes) <= MAX_REQUEST_CHARS
    assert summary.check_grounded(text) == []
    # The quotation is cut into pieces of at most half a part, read in parts of 2600 tokens:
    # 36,000 characters make 4 or 5 overview questions, not one with all of them.
    assert 4 <= models.count("OverviewAnswer") <= 6
    # the statement was asked about: one sentence question, or (parse path) the labels one,
    # which sends at most 300 characters of the quotation
    assert models.count("AttributionAnswer") + models.count("StatementLabels") >= 1
    assert len(sizes) <= 20


def test_a_normal_article_is_read_in_one_part() -> None:
    text = "\n".join(SENTENCE * 3 for _ in range(8))
    _summary, sizes, models, _fake = _run(text)
    assert models.count("OverviewAnswer") == 1
    assert max(sizes) <= MAX_REQUEST_CHARS

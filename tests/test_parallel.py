"""Questions of one article side by side on a hosted API, one at a time on llama.cpp."""

from __future__ import annotations

import asyncio

import pytest

from summarizer import ConfigurationError, Settings
from tests.batch_support import article_text, fake_summarizer
from tests.fakes.fake_openai import FakeOpenAI

pytestmark = pytest.mark.block_network(allowed_hosts=["127.0.0.1", "localhost"])

# 24 statements: three label questions and more at once
LONG = " ".join(article_text(i) for i in range(12))


@pytest.mark.parametrize(("parallel", "peak"), [(1, 1), (4, 4)])
def test_questions_in_flight_stay_within_the_limit(parallel: int, peak: int) -> None:
    with FakeOpenAI(latency=0.05) as fake:
        summarizer = fake_summarizer(fake.base_url, parallel_requests=parallel)
        summary = asyncio.run(summarizer.asummarize(LONG))
        assert fake.max_in_flight == peak
    quoted = " ".join(c.quote.text for c in [*summary.claims, *summary.counterclaims])
    assert all(f"budget numéro {i} " in quoted for i in range(12))  # every article's answer used


def test_defaults_and_bad_values() -> None:
    assert Settings.resolve(env={}).parallel_requests == 1  # embedded llama.cpp: one slot
    remote = Settings.resolve(env={"OPENAI_API_KEY": "sk-x"})
    assert remote.parallel_requests == 4
    assert Settings.resolve(env={"SUMMARIZER_PARALLEL": "16"}).parallel_requests == 16
    with pytest.raises(ConfigurationError, match="at least 1"):
        Settings.resolve(env={"SUMMARIZER_PARALLEL": "0"})


def test_an_article_without_statements_is_summarized_in_parallel_mode() -> None:
    text = "Le pont a rouvert lundi.\n\nLes travaux ont duré trois mois et coûté deux millions."
    with FakeOpenAI() as fake:
        summarizer = fake_summarizer(fake.base_url, parallel_requests=4)
        summary = asyncio.run(summarizer.asummarize(text))
        assert fake.requests == 1  # the overview only
    assert summary.claims == [] and summary.events

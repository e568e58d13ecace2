"""The price table: defaults, the SUMMARIZER_PRICES override, and the cost shown in reports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from summarizer.config import LOCAL_MODEL_NAME
from summarizer.exceptions import ConfigurationError
from summarizer.models import Usage
from summarizer.pricing import (
    BATCH_DISCOUNT,
    PRICES_ENV,
    describe_cost,
    estimate_cost,
    load_prices,
)

MILLION = Usage(prompt_tokens=1_000_000, completion_tokens=1_000_000)
SEED = Usage(prompt_tokens=5834, completion_tokens=668)


@pytest.fixture(autouse=True)
def _no_price_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PRICES_ENV, raising=False)


@pytest.mark.parametrize(
    ("model", "usd"),
    [
        ("gpt-4o-mini", 0.15 + 0.60),
        ("gpt-4o", 2.50 + 10.00),
        ("gpt-4.1", 2.00 + 8.00),
        ("gpt-4.1-mini", 0.40 + 1.60),
        ("gpt-4.1-nano", 0.10 + 0.40),
        ("o4-mini", 1.10 + 4.40),
        ("gpt-4o-mini-2024-07-18", 0.15 + 0.60),  # a dated snapshot is priced as its family
        (LOCAL_MODEL_NAME, 0.0),
    ],
)
def test_default_prices_per_million_tokens(model: str, usd: float) -> None:
    assert estimate_cost(MILLION, model) == pytest.approx(usd)


def test_an_unknown_model_has_no_cost_and_says_so() -> None:
    assert estimate_cost(MILLION, "llama3:8b") is None
    assert describe_cost(SEED, "llama3:8b").startswith("unknown price for model llama3:8b")


def test_cost_is_shown_to_the_fraction_of_a_cent() -> None:
    # The seed article's usage on gpt-4o-mini: 5834 × 0.15 + 668 × 0.60 per million tokens.
    assert describe_cost(SEED, "gpt-4o-mini") == "est. cost $0.001276"
    assert describe_cost(SEED, LOCAL_MODEL_NAME) == "est. cost $0.00"
    assert describe_cost(Usage(prompt_tokens=10_000_000), "gpt-4o") == "est. cost $25.00"


def test_the_batch_discount_is_half_price() -> None:
    assert BATCH_DISCOUNT == 0.5


def test_a_price_file_replaces_and_adds_entries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "prices.json"
    table = {"gpt-4o-mini": {"input": 1, "output": 2}, "llama3:8b": {"input": 0, "output": 0}}
    path.write_text(json.dumps(table))
    monkeypatch.setenv(PRICES_ENV, str(path))
    assert estimate_cost(MILLION, "gpt-4o-mini") == pytest.approx(3.0)
    assert estimate_cost(MILLION, "llama3:8b") == 0.0
    assert estimate_cost(MILLION, "gpt-4o") == pytest.approx(12.5)  # defaults kept


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot be read"),
        ("{not json", "not a valid price table"),
        ('{"m": {"input": -1, "output": 0}}', "m.input"),
        ('{"m": {"input": "0.1", "output": 0}}', "m.input"),
        ('{"m": {"input": 0.1}}', "m.output"),
        ('{"m": {"input": 0.1, "output": 0.2, "cached": 0}}', "m.cached"),
        ('[{"input": 0.1}]', "not a valid price table"),
    ],
)
def test_a_bad_price_file_is_a_configuration_error(
    tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "prices.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ConfigurationError, match=message) as caught:
        load_prices({PRICES_ENV: str(path)})
    assert f"{PRICES_ENV}={path}" in caught.value.message
    assert "\n" not in caught.value.message

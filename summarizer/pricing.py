"""Token prices per model, and what a summary cost.

Prices are USD per million tokens, input (prompt) and output (completion). The defaults are
public list prices; a newsroom with negotiated prices, another provider or a new model points
``SUMMARIZER_PRICES`` at a JSON file ``{"model": {"input": 0.15, "output": 0.6}, …}`` whose
entries replace or add to the defaults. Usage does not separate cached prompt tokens, so for a
provider that discounts them the estimate is an upper bound.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from summarizer.config import LOCAL_MODEL_NAME
from summarizer.exceptions import ConfigurationError
from summarizer.models import Usage

__all__ = [
    "BATCH_DISCOUNT",
    "DEFAULT_PRICES",
    "PRICES_ENV",
    "Price",
    "describe_cost",
    "estimate_cost",
    "load_prices",
    "price_of",
]

PRICES_ENV = "SUMMARIZER_PRICES"
BATCH_DISCOUNT = 0.5
"""Multiply a list-price estimate by this for the OpenAI Batch API (half price, 24 h window);
the morning report applies it to the tokens the batches answered."""

_USD_PER_M = Annotated[float, Field(ge=0, strict=True, allow_inf_nan=False)]


class Price(BaseModel):
    """USD per million input and output tokens."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    input: _USD_PER_M
    output: _USD_PER_M


# OpenAI list prices, standard tier, without the cached-input discount, as published on
# openai.com/api/pricing in August 2025. The embedded model runs on this machine: no charge.
DEFAULT_PRICES: Mapping[str, Price] = MappingProxyType(
    {
        "gpt-4o-mini": Price(input=0.15, output=0.60),
        "gpt-4o": Price(input=2.50, output=10.00),
        "gpt-4.1": Price(input=2.00, output=8.00),
        "gpt-4.1-mini": Price(input=0.40, output=1.60),
        "gpt-4.1-nano": Price(input=0.10, output=0.40),
        "gpt-5": Price(input=1.25, output=10.00),
        "gpt-5-mini": Price(input=0.25, output=2.00),
        "gpt-5-nano": Price(input=0.05, output=0.40),
        "o3": Price(input=2.00, output=8.00),
        "o3-mini": Price(input=1.10, output=4.40),
        "o4-mini": Price(input=1.10, output=4.40),
        LOCAL_MODEL_NAME: Price(input=0.0, output=0.0),
    }
)

_TABLE = TypeAdapter(dict[str, Price])
_EXAMPLE = '{"gpt-4o-mini": {"input": 0.15, "output": 0.6}} (USD per 1M tokens)'
_SNAPSHOT = re.compile(r"-\d{4}-\d{2}-\d{2}$")  # gpt-4o-mini-2024-07-18 is priced as gpt-4o-mini


def load_prices(env: Mapping[str, str] | None = None) -> dict[str, Price]:
    """The default table, with the entries of the ``SUMMARIZER_PRICES`` file over it."""
    path = (os.environ if env is None else env).get(PRICES_ENV)
    prices = dict(DEFAULT_PRICES)
    if not path:
        return prices
    where = f"{PRICES_ENV}={path}"
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise ConfigurationError(
            f"{where}: the price file cannot be read ({exc.strerror or exc}); fix the path "
            "or unset it to use the built-in prices"
        ) from None
    try:
        prices.update(_TABLE.validate_json(raw))
    except ValidationError as exc:
        error = exc.errors()[0]
        at = ".".join(str(part) for part in error["loc"])
        raise ConfigurationError(
            f"{where}: not a valid price table ({at + ': ' if at else ''}{error['msg']}); "
            f"expected {_EXAMPLE}"
        ) from None
    return prices


def price_of(model: str, prices: Mapping[str, Price] | None = None) -> Price | None:
    """The price of ``model`` (a dated snapshot falls back to its family), or None."""
    table = load_prices() if prices is None else prices
    return table.get(model) or table.get(_SNAPSHOT.sub("", model))


def estimate_cost(
    usage: Usage, model: str, prices: Mapping[str, Price] | None = None
) -> float | None:
    """USD spent on ``usage`` with ``model`` at list price; None when the price is unknown."""
    price = price_of(model, prices)
    if price is None:
        return None
    return (usage.prompt_tokens * price.input + usage.completion_tokens * price.output) / 1e6


def describe_cost(usage: Usage, model: str, prices: Mapping[str, Price] | None = None) -> str:
    """``est. cost $0.001276``, or ``unknown price for model X``, for reports and the CLI."""
    cost = estimate_cost(usage, model, prices)
    if cost is None:
        return f"unknown price for model {model} (add it to {PRICES_ENV})"
    # One article on a small model costs a fraction of a cent: keep its digits visible.
    return f"est. cost ${cost:.6f}" if 0 < cost < 0.01 else f"est. cost ${cost:,.2f}"
